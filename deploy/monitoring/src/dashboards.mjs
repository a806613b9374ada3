// Generates the CareCast Grafana dashboards (deploy/monitoring/dashboards/*.json).
//   node deploy/monitoring/src/dashboards.mjs            write the JSON files
//   node deploy/monitoring/src/dashboards.mjs --check    exit 1 when they are stale
// Panels are built from a few helpers so every query uses the ${datasource}
// variable and the same namespace/job selectors; uids are fixed so links survive.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'dashboards');
const DS = { type: 'prometheus', uid: '${datasource}' };
const NS = 'namespace=~"$namespace"';
const SERVER_ERRORS = 'Unknown|DeadlineExceeded|Unimplemented|Internal|Unavailable|DataLoss|ResourceExhausted';

// ---------------------------------------------------------------- layout helpers
class Board {
  constructor() { this.panels = []; this.y = 0; this.x = 0; this.rowH = 0; this.id = 1; }
  row(title) {
    this.newline();
    this.panels.push({ id: this.id++, type: 'row', title, collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y: this.y }, panels: [] });
    this.y += 1;
  }
  add(panel, w, h) {
    if (this.x + w > 24) this.newline();
    panel.id = this.id++;
    panel.gridPos = { h, w, x: this.x, y: this.y };
    this.panels.push(panel);
    this.x += w;
    this.rowH = Math.max(this.rowH, h);
  }
  newline() { if (this.x > 0) { this.y += this.rowH; this.x = 0; this.rowH = 0; } }
}

function targets(queries) {
  return queries.map(([expr, legendFormat, extra], i) => ({
    datasource: DS, refId: String.fromCharCode(65 + i), expr, legendFormat: legendFormat ?? '',
    range: true, ...(extra ?? {}),
  }));
}

function timeseries(title, description, unit, queries, opts = {}) {
  return {
    type: 'timeseries', title, description, datasource: DS,
    fieldConfig: {
      defaults: {
        unit, min: opts.min ?? 0,
        custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: opts.fill ?? 10,
          showPoints: 'never', stacking: { mode: opts.stack ? 'normal' : 'none', group: 'A' } },
        ...(opts.max !== undefined ? { max: opts.max } : {}),
        ...(opts.thresholds ? { thresholds: opts.thresholds } : {}),
      },
      overrides: [],
    },
    options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' } },
    targets: targets(queries),
  };
}

function stat(title, description, unit, queries, opts = {}) {
  return {
    type: 'stat', title, description, datasource: DS,
    fieldConfig: {
      defaults: { unit, mappings: opts.mappings ?? [],
        thresholds: opts.thresholds ?? { mode: 'absolute', steps: [{ color: 'green', value: null }] },
        color: { mode: 'thresholds' } },
      overrides: [],
    },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'background', graphMode: 'none', textMode: 'auto', justifyMode: 'auto',
      orientation: 'auto' },
    targets: targets(queries.map(([e, l]) => [e, l, { instant: true, range: false }])),
  };
}

function bargauge(title, description, unit, queries, opts = {}) {
  return {
    type: 'bargauge', title, description, datasource: DS,
    fieldConfig: {
      defaults: { unit, min: 0, ...(opts.max !== undefined ? { max: opts.max } : {}),
        thresholds: opts.thresholds ?? { mode: 'absolute', steps: [{ color: 'green', value: null }] },
        color: { mode: 'thresholds' } },
      overrides: [],
    },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      orientation: 'horizontal', displayMode: 'gradient', showUnfilled: true },
    targets: targets(queries.map(([e, l]) => [e, l, { instant: true, range: false }])),
  };
}

function piechart(title, description, queries) {
  return {
    type: 'piechart', title, description, datasource: DS,
    fieldConfig: { defaults: { unit: 'short' }, overrides: [] },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      pieType: 'donut', legend: { displayMode: 'table', placement: 'right', showLegend: true,
        values: ['value', 'percent'] } },
    targets: targets(queries.map(([e, l]) => [e, l, { instant: true, range: false }])),
  };
}

function table(title, description, queries, organize = {}) {
  return {
    type: 'table', title, description, datasource: DS,
    fieldConfig: { defaults: {}, overrides: [] },
    options: { showHeader: true },
    transformations: [{ id: 'organize', options: organize }],
    targets: targets(queries.map(([e, l]) => [e, l, { instant: true, range: false, format: 'table' }])),
  };
}

const RYG = (amber, red) => ({ mode: 'absolute', steps: [
  { color: 'green', value: null }, { color: 'orange', value: amber }, { color: 'red', value: red }] });

function datasourceVar() {
  return { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus',
    current: {}, hide: 0, refresh: 1, regex: '', options: [], includeAll: false, multi: false };
}
function queryVar(name, label, query, allValue, multi) {
  return { name, label, type: 'query', datasource: DS,
    query: { query, refId: `${name}-query` }, definition: query,
    includeAll: true, allValue, multi, refresh: 2, sort: 1, hide: 0, regex: '',
    current: multi ? { selected: true, text: ['All'], value: ['$__all'] }
      : { selected: true, text: 'All', value: '$__all' }, options: [] };
}

function dashboard({ uid, title, description, tags, board, vars }) {
  return {
    uid, title, description, tags, editable: true, graphTooltip: 1, timezone: 'browser',
    schemaVersion: 39, version: 1, refresh: '30s', time: { from: 'now-6h', to: 'now' },
    fiscalYearStartMonth: 0, liveNow: false, weekStart: '',
    annotations: { list: [{ builtIn: 1, datasource: { type: 'grafana', uid: '-- Grafana --' },
      enable: true, hide: true, iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations & Alerts',
      type: 'dashboard' }] },
    links: [{ title: 'CareCast dashboards', type: 'dashboards', tags: ['carecast'], asDropdown: true,
      includeVars: true, keepTime: true, icon: 'external link', targetBlank: false, tooltip: '', url: '' }],
    templating: { list: [datasourceVar(), ...vars] },
    panels: board.panels,
  };
}

// ---------------------------------------------------------------- SRE board
function sreBoard() {
  const b = new Board();
  const J = `job=~"$job",${NS}`;
  const rate = (m, sel = J) => `rate(${m}{${sel}}[$__rate_interval])`;

  b.row('Services');
  b.add(stat('Instances up', 'Scrape targets answering, per service.', 'short',
    [[`sum by (job) (up{job=~"carecast-.*",${NS}})`, '{{job}}']],
    { thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }] } }), 12, 4);
  b.add(stat('Firing CareCast alerts', 'Alerts from the CareCast rules firing now.', 'short',
    [[`count(ALERTS{alertname=~"CareCast.*",alertstate="firing",${NS}}) or vector(0)`, 'firing']],
    { thresholds: RYG(1, 1) }), 6, 4);
  b.add(stat('In-flight RPCs', 'RPCs started and not yet finished, all services.', 'short',
    [[`sum(grpc_server_started_total{${J}}) - sum(grpc_server_handled_total{${J}})`, 'in flight']]), 6, 4);

  b.row('RPCs: rate, errors, duration');
  b.add(timeseries('Request rate by service', 'Finished RPCs per second.', 'reqps',
    [[`sum by (job) (${rate('grpc_server_handled_total')})`, '{{job}}']]), 8, 8);
  b.add(timeseries('Server error ratio by service',
    `Share of RPCs answered with a server error (${SERVER_ERRORS.split('|').join(', ')}). Client mistakes are not errors.`,
    'percentunit',
    [[`sum by (job) (${rate('grpc_server_handled_total', `${J},grpc_code=~"${SERVER_ERRORS}"`)}) / sum by (job) (${rate('grpc_server_handled_total')})`, '{{job}}']],
    { thresholds: RYG(0.05, 0.25) }), 8, 8);
  b.add(timeseries('Latency p95 by service', 'Server-side handling time, 95th percentile.', 's',
    [[`histogram_quantile(0.95, sum by (job, le) (${rate('grpc_server_handling_seconds_bucket')}))`, '{{job}}']]), 8, 8);
  b.add(timeseries('Request rate by method', 'Finished RPCs per second per method.', 'reqps',
    [[`sum by (grpc_service, grpc_method) (${rate('grpc_server_handled_total')})`, '{{grpc_method}}']]), 8, 8);
  b.add(timeseries('Responses by code', 'Finished RPCs per second per gRPC status code.', 'reqps',
    [[`sum by (grpc_code) (${rate('grpc_server_handled_total')})`, '{{grpc_code}}']], { stack: true }), 8, 8);
  b.add(timeseries('Latency by method (p50 / p99)', 'Server-side handling time per method.', 's',
    [[`histogram_quantile(0.5, sum by (grpc_method, le) (${rate('grpc_server_handling_seconds_bucket')}))`, 'p50 {{grpc_method}}'],
     [`histogram_quantile(0.99, sum by (grpc_method, le) (${rate('grpc_server_handling_seconds_bucket')}))`, 'p99 {{grpc_method}}']]), 8, 8);

  const P = `job="carecast-publisher",${NS}`;
  b.row('Publisher');
  b.add(stat('Publishing', 'The global hold (crisis pause).', 'short',
    [[`max(carecast_publisher_held{${P}})`, 'hold']],
    { mappings: [{ type: 'value', options: { 0: { text: 'RUNNING', color: 'green' }, 1: { text: 'HELD', color: 'red' } } }],
      thresholds: RYG(1, 1) }), 4, 8);
  b.add(timeseries('Publish lateness by network', 'Seconds between a post\'s publish time and its publication, per network (a network\'s rate limit shows here).', 's',
    [[`histogram_quantile(0.5, sum by (network, le) (${rate('carecast_publisher_publish_lateness_seconds_bucket', P)}))`, 'p50 {{network}}'],
     [`histogram_quantile(0.99, sum by (network, le) (${rate('carecast_publisher_publish_lateness_seconds_bucket', P)}))`, 'p99 {{network}}']],
    { thresholds: RYG(10, 30) }), 10, 8);
  b.add(timeseries('Posts published and failed', 'Per minute, by network (failed: by reason kind).', 'short',
    [[`sum by (network) (${rate('carecast_publisher_posts_published_total', P)}) * 60`, 'published {{network}}'],
     [`sum by (network, reason_kind) (${rate('carecast_publisher_posts_failed_total', P)}) * 60`, 'failed {{network}} {{reason_kind}}']]), 10, 8);
  b.add(timeseries('Due-time index', 'Posts in the due-time index waiting for dispatch, per publisher.', 'short',
    [[`carecast_publisher_due_posts{${P}}`, '{{instance}}']]), 8, 8);
  b.add(timeseries('Claims lost', 'Claims another publisher won (compare-and-set lost), per minute. Expected with several publishers.', 'short',
    [[`sum by (instance) (${rate('carecast_publisher_claims_lost_total', P)}) * 60`, '{{instance}}']]), 8, 8);
  b.add(timeseries('Index rebuilds (Redis lost or restarted)',
    'Rebuilds of the Redis indexes from JetStream, per hour. A burst means Redis lost its data.', 'short',
    [[`sum(increase(carecast_publisher_index_rebuilds_total{${P}}[1h]))`, 'publisher due-time index'],
     [`sum(increase(carecast_planner_calendar_rebuilds_total{job="carecast-planner",${NS}}[1h]))`, 'planner calendar index']]), 8, 8);
  b.add(bargauge('Channel tokens: days to expiry',
    'Days until the earliest channel access token of each network and spoke expires (read by the publishers from CARECAST_CHANNEL_SECRETS_DIR). Amber within 7 days, red within 1 (and once expired).', 'd',
    [[`(min by (network, spoke) (carecast_channel_token_expiry_timestamp_seconds{${P}}) - time()) / 86400`, '{{network}} {{spoke}}']],
    { thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'orange', value: 1 }, { color: 'green', value: 7 }] } }), 16, 8);
  b.add(stat('Unreadable token files', 'Failed reads of channel token files in the last hour (counted once per scan); the publisher log names the files.', 'short',
    [[`sum(increase(carecast_channel_token_read_errors_total{${P}}[1h]))`, 'read errors']],
    { thresholds: RYG(1, 1) }), 8, 8);

  const M = `job="carecast-metrics",${NS}`;
  const UPDOWN = (up, down) => ({
    mappings: [{ type: 'value', options: { 0: { text: down, color: 'red' }, 1: { text: up, color: 'green' } } }],
    thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }] },
  });
  b.row('Event bus (NATS JetStream)');
  b.add(stat('Connected to NATS', 'Per service: UP when every instance is connected (carecast_bus_connected).', 'short',
    [[`min by (job) (carecast_bus_connected{${J}})`, '{{job}}']], UPDOWN('UP', 'DOWN')), 8, 8);
  b.add(timeseries('NATS reconnects', 'Times an instance\'s NATS connection came back after a disconnect.', 'short',
    [[`sum by (job, instance) (increase(carecast_bus_reconnects_total{${J}}[$__rate_interval]))`, '{{job}} {{instance}}']]), 8, 8);
  b.add(timeseries('Redeliveries per consumer',
    'Deliveries of events delivered before (handler asked to retry, ack timeout, a replica died), per minute.', 'short',
    [[`sum by (stream, consumer) (${rate('carecast_bus_messages_redelivered_total')}) * 60`, '{{consumer}} ({{stream}})']],
    { thresholds: RYG(1, 10) }), 8, 8);
  b.add(timeseries('Consumer lag: events not yet delivered',
    'Per consumer (durable name, or ephemeral-<purpose>); replicas sharing a durable report the same figure.', 'short',
    [[`max by (stream, consumer) (carecast_bus_consumer_pending_messages{${J}})`, '{{consumer}} ({{stream}})']],
    { thresholds: RYG(100, 1000) }), 12, 8);
  b.add(timeseries('Delivered, not yet acknowledged', 'Per consumer: events handlers are working on (or that wait for ack_wait to expire).', 'short',
    [[`max by (stream, consumer) (carecast_bus_consumer_ack_pending_messages{${J}})`, '{{consumer}} ({{stream}})']]), 12, 8);
  b.add(timeseries('Events consumed by domain', 'Events per second the metrics service reads from the stream.', 'short',
    [[`sum by (domain) (${rate('carecast_metrics_events_consumed_total', M)})`, '{{domain}}']], { stack: true }), 12, 8);
  b.add(timeseries('Events rejected', 'Events whose payload could not be decoded, per minute.', 'short',
    [[`sum by (instance) (${rate('carecast_metrics_events_rejected_total', M)}) * 60`, '{{instance}}']],
    { thresholds: RYG(0.1, 1) }), 12, 8);

  b.row('Redis (indexes)');
  b.add(stat('Connected to Redis', 'Per service: UP when every instance\'s last Redis call found a connection (carecast_redis_connected).', 'short',
    [[`min by (job) (carecast_redis_connected{${J}})`, '{{job}}']], UPDOWN('UP', 'DOWN')), 6, 8);
  b.add(timeseries('Redis errors', 'Failed Redis calls per minute (unreachable, connection lost, error reply), by service and command. Redis holds only indexes: errors delay, never lose.', 'short',
    [[`sum by (job, op) (${rate('carecast_redis_errors_total')}) * 60`, '{{job}} {{op}}']],
    { thresholds: RYG(1, 10) }), 9, 8);
  b.add(timeseries('Redis command latency', 'Round trip of one command (or pipeline), by command.', 's',
    [[`histogram_quantile(0.5, sum by (op, le) (${rate('carecast_redis_command_seconds_bucket')}))`, 'p50 {{op}}'],
     [`histogram_quantile(0.99, sum by (op, le) (${rate('carecast_redis_command_seconds_bucket')}))`, 'p99 {{op}}']]), 9, 8);

  const L = `job="carecast-listener",${NS}`;
  b.row('Listener');
  b.add(timeseries('Mentions received', 'Accepted mentions per minute, by network and source.', 'short',
    [[`sum by (network, source) (${rate('carecast_listener_mentions_received_total', L)}) * 60`, '{{network}} {{source}}']], { stack: true }), 8, 8);
  b.add(timeseries('Mentions rejected', 'Refused mentions per minute, by reason.', 'short',
    [[`sum by (reason) (${rate('carecast_listener_mentions_rejected_total', L)}) * 60`, '{{reason}}']]), 8, 8);
  b.add(timeseries('Classification time', 'Time to classify one mention.', 's',
    [[`histogram_quantile(0.5, sum by (le) (${rate('carecast_listener_classify_seconds_bucket', L)}))`, 'p50'],
     [`histogram_quantile(0.99, sum by (le) (${rate('carecast_listener_classify_seconds_bucket', L)}))`, 'p99']]), 8, 8);
  b.add(timeseries('Webhook requests', 'POST /v1/mentions per minute, by outcome.', 'short',
    [[`sum by (outcome) (${rate('carecast_listener_webhook_requests_total', L)}) * 60`, '{{outcome}}']]), 12, 8);
  b.add(timeseries('Inbox items created', 'Per minute, by priority.', 'short',
    [[`sum by (priority) (${rate('carecast_listener_inbox_items_created_total', L)}) * 60`, '{{priority}}']], { stack: true }), 12, 8);

  const PL = `job="carecast-planner",${NS}`;
  b.row('Planner');
  b.add(timeseries('Content transitions', 'Workflow transitions per minute.', 'short',
    [[`sum by (transition) (${rate('carecast_planner_content_transitions_total', PL)}) * 60`, '{{transition}}']]), 8, 8);
  b.add(timeseries('Guard blocks', 'Guard findings that blocked an approval, per hour, by kind.', 'short',
    [[`sum by (kind) (increase(carecast_planner_guard_blocks_total{${PL}}[1h]))`, '{{kind}}']]), 8, 8);
  b.add(timeseries('Posts scheduled and cancelled', 'Per hour.', 'short',
    [[`sum by (event) (increase(carecast_planner_posts_total{${PL}}[1h]))`, '{{event}}'],
     [`sum by (state) (increase(carecast_planner_publishing_switches_total{${PL}}[1h]))`, 'hold {{state}}']]), 8, 8);

  return dashboard({
    uid: 'carecast-sre', title: 'CareCast / SRE',
    description: 'Rate, errors and duration per service and RPC; publisher, NATS and Redis, listener and planner health.',
    tags: ['carecast', 'sre'], board: b,
    vars: [
      queryVar('namespace', 'Namespace', 'label_values(up{job=~"carecast-.*"}, namespace)', '.*', false),
      queryVar('job', 'Service', `label_values(up{job=~"carecast-.*",${NS}}, job)`, 'carecast-.*', true),
    ],
  });
}

// ---------------------------------------------------------------- program board
function programBoard() {
  const b = new Board();
  const M = `job="carecast-metrics",${NS}`;
  // Every metrics replica holds every figure (it replays the stream): take max, not sum.
  b.row('Objectives');
  b.add(bargauge('Objective progress', 'Current KPI value over target, per objective (1 = target met).', 'percentunit',
    [[`max by (objective, kpi) (carecast_objective_progress_ratio{${M}})`, '{{objective}} ({{kpi}})']],
    { max: 1, thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'orange', value: 0.5 }, { color: 'green', value: 1 }] } }), 14, 10);
  b.add(table('Objective figures', 'KPI value and progress per objective.',
    [[`max by (objective, kpi) (carecast_objective_current{${M}})`, 'current'],
     [`max by (objective, kpi) (carecast_objective_progress_ratio{${M}})`, 'progress']],
    { excludeByName: { Time: true } }), 10, 10);

  b.row('Publishing');
  b.add(bargauge('Posts published per channel', 'Posts published in the retained event window, per network.', 'short',
    [[`max by (network) (carecast_posts_published_total{${M}})`, '{{network}}']]), 8, 8);
  b.add(timeseries('Posts published per hour', 'By network.', 'short',
    [[`sum by (network) (increase(carecast_publisher_posts_published_total{job="carecast-publisher",${NS}}[1h]))`, '{{network}}']], { stack: true }), 6, 8);
  b.add(bargauge('Posts failed or needing a human', 'In the retained event window, per network and state (history: counts every such post).', 'short',
    [[`max by (network, state) (carecast_posts_failed_total{${M}})`, '{{network}} {{state}}']],
    { thresholds: RYG(1, 1) }), 6, 8);
  b.add(stat('Waiting for a human now', 'Posts whose outcome is unknown (NEEDS_HUMAN) and not published since: a person must check the network.', 'short',
    [[`sum(max by (network) (carecast_posts_needing_human{${M}})) or vector(0)`, 'posts']],
    { thresholds: RYG(1, 1) }), 4, 8);

  b.row('Listening');
  b.add(piechart('Mentions by sentiment', 'Classified mentions in the retained event window.',
    [[`max by (sentiment) (carecast_mentions_total{${M}})`, '{{sentiment}}']]), 8, 8);
  b.add(timeseries('Positive share of mentions', 'Positive mentions over all classified mentions, last 24 h.', 'percentunit',
    [[`sum(max by (sentiment) (increase(carecast_mentions_total{${M},sentiment="positive"}[1d]))) / sum(max by (sentiment) (increase(carecast_mentions_total{${M}}[1d])))`, 'positive share']],
    { max: 1 }), 8, 8);
  b.add(timeseries('Mentions per hour', 'Accepted mentions by network.', 'short',
    [[`sum by (network) (increase(carecast_listener_mentions_received_total{job="carecast-listener",${NS}}[1h]))`, '{{network}}']], { stack: true }), 8, 8);

  b.row('Inbox');
  b.add(stat('Open inbox items', 'Items created and not yet closed.', 'short',
    [[`max(carecast_inbox_open_items{${M}})`, 'open']], { thresholds: RYG(25, 100) }), 6, 8);
  b.add(timeseries('Inbox backlog', 'Open items over time.', 'short',
    [[`max(carecast_inbox_open_items{${M}})`, 'open items']]), 9, 8);
  b.add(timeseries('Response time', 'Time from an inbox item\'s creation to its close, over the last 24 h.', 's',
    [[`histogram_quantile(0.5, max by (le) (increase(carecast_inbox_response_seconds_bucket{${M}}[1d])))`, 'median'],
     [`histogram_quantile(0.9, max by (le) (increase(carecast_inbox_response_seconds_bucket{${M}}[1d])))`, 'p90']]), 9, 8);
  b.add(timeseries('Inbox items created and closed per hour', 'Created by priority (listener); closed (metrics).', 'short',
    [[`sum by (priority) (increase(carecast_listener_inbox_items_created_total{job="carecast-listener",${NS}}[1h]))`, 'created {{priority}}'],
     [`max(increase(carecast_inbox_closed_total{${M}}[1h]))`, 'closed']]), 24, 8);

  b.row('Alerts');
  b.add(table('Firing CareCast alerts', 'Alerts from the CareCast rules firing now.',
    [[`ALERTS{alertname=~"CareCast.*",alertstate="firing",${NS}}`, '']],
    { excludeByName: { Time: true, Value: true, __name__: true, alertstate: true } }), 16, 8);
  b.add(timeseries('Alert events raised', 'Crisis and spike alert events on the bus, per hour.', 'short',
    [[`max(increase(carecast_metrics_events_consumed_total{${M},domain="alert"}[1h]))`, 'alert events']]), 8, 8);

  // Last, so the earlier panels keep their ids.
  b.row('Engagement');
  // Gauges over each post's latest reading from its network (docs/measurement.md).
  b.add(bargauge('Impressions per network and spoke', 'Impressions of all posts read back from the networks (latest reading per post; networks that report none are absent).', 'short',
    [[`max by (network, spoke) (carecast_post_impressions{${M}})`, '{{network}} {{spoke}}']]), 8, 8);
  b.add(bargauge('Interactions per network and spoke', 'Likes, shares, replies and link clicks of all posts, each where the network reports it.', 'short',
    [[`max by (network, spoke) (carecast_post_interactions{${M}})`, '{{network}} {{spoke}}']]), 8, 8);
  b.add(bargauge('Link clicks per network and spoke', 'Link clicks on all posts, where the network reports them.', 'short',
    [[`max by (network, spoke) (carecast_link_clicks{${M}})`, '{{network}} {{spoke}}']]), 8, 8);
  b.add(timeseries('Followers', 'Latest follower count of the accounts, per network and spoke.', 'short',
    [[`max by (network, spoke) (carecast_account_followers{${M}})`, '{{network}} {{spoke}}']]), 12, 8);
  b.add(timeseries('Impressions gained per day', 'Change in impressions over the last 24 h, per network.', 'short',
    [[`sum by (network) (max by (network, spoke) (delta(carecast_post_impressions{${M}}[1d])))`, '{{network}}']], { stack: true }), 12, 8);

  return dashboard({
    uid: 'carecast-program', title: 'CareCast / Program',
    description: 'Objective progress, engagement and followers, posts per channel, sentiment, inbox backlog and response time, alerts.',
    tags: ['carecast', 'program'], board: b,
    vars: [queryVar('namespace', 'Namespace', 'label_values(up{job=~"carecast-.*"}, namespace)', '.*', false)],
  });
}

// ---------------------------------------------------------------- main
const files = {
  'carecast-sre.json': sreBoard(),
  'carecast-program.json': programBoard(),
};
const check = process.argv.includes('--check');
let stale = 0;
for (const [name, board] of Object.entries(files)) {
  const text = JSON.stringify(board, null, 2) + '\n';
  const path = join(OUT, name);
  if (check) {
    let old = '';
    try { old = readFileSync(path, 'utf8'); } catch { /* missing counts as stale */ }
    if (old !== text) { console.error(`stale: ${path} (run node deploy/monitoring/src/dashboards.mjs)`); stale++; }
  } else {
    writeFileSync(path, text);
  }
}
process.exit(stale ? 1 : 0);
