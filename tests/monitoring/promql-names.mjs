// Metric names used by the CareCast dashboards and rules, found in their PromQL.
// Shared by check-metric-names.mjs (against live /metrics or the sources) and
// lint-dashboards.mjs.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring',
  'group_left', 'group_right', 'inf', 'nan', 'start', 'end']);

// Series Prometheus itself makes (never on a service's /metrics).
export const PROMETHEUS_SERIES = new Set(['up', 'ALERTS', 'ALERTS_FOR_STATE', 'scrape_duration_seconds',
  'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added']);

/** Metric names in one PromQL expression (functions, keywords, labels and Grafana variables removed). */
export function metricNames(expr) {
  let e = expr;
  e = e.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ');       // strings
  e = e.replace(/\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g, ' ');                 // ${var}, $var
  e = e.replace(/\{[^}]*\}/g, ' ');                                              // label matchers
  e = e.replace(/\[[^\]]*\]/g, ' ');                                             // ranges, subqueries
  e = e.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  e = e.replace(/\b\d+(\.\d+)?(e[+-]?\d+)?([smhdwy]|ms)?\b/gi, ' ');            // numbers, durations
  const names = new Set();
  const re = /[A-Za-z_:][A-Za-z0-9_:]*/g;
  let m;
  while ((m = re.exec(e)) !== null) {
    const rest = e.slice(m.index + m[0].length);
    if (/^\s*\(/.test(rest)) continue;                                           // function or aggregation
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return names;
}

/** The metric a Grafana `label_values(metric{...}, label)` / `query_result(...)` variable reads. */
export function variableQueryNames(query) {
  const m = /^\s*label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)/.exec(query);
  if (m) return new Set([m[1]]);
  const q = /^\s*query_result\((.*)\)\s*$/.exec(query);
  if (q) return metricNames(q[1]);
  return new Set();
}

/** Every (where, expr) pair in a dashboard JSON object. */
export function dashboardExprs(board) {
  const out = [];
  const walk = (panels) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) if (t.expr) out.push([`panel "${p.title}" ${t.refId}`, t.expr]);
      walk(p.panels);
    }
  };
  walk(board.panels);
  return out;
}

export function dashboardVariableQueries(board) {
  return (board.templating?.list ?? []).filter((v) => v.type === 'query')
    .map((v) => [`variable ${v.name}`, typeof v.query === 'string' ? v.query : v.query?.query ?? '']);
}

let YAML;
function yaml() {
  if (!YAML) {
    const ops = process.env.CARECAST_OPS_TOOLS ?? join(import.meta.dirname, '..', '..', '.tools', 'ops');
    YAML = createRequire(join(ops, 'package.json'))('yaml');
  }
  return YAML;
}

/** Rule groups of a plain Prometheus rule file. */
export function ruleFile(path) {
  return yaml().parse(readFileSync(path, 'utf8'));
}

export function ruleExprs(doc) {
  const out = [];
  for (const g of doc.groups ?? []) for (const r of g.rules ?? []) out.push([`rule ${r.alert ?? r.record}`, r.expr]);
  return out;
}

export function recordedNames(doc) {
  const names = new Set();
  for (const g of doc.groups ?? []) for (const r of g.rules ?? []) if (r.record) names.add(r.record);
  return names;
}

/** All dashboards (path, parsed JSON) in a folder. */
export function dashboards(dir) {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
    .map((f) => [join(dir, f), JSON.parse(readFileSync(join(dir, f), 'utf8'))]);
}

/** Metric names in Prometheus text exposition. */
export function expositionNames(text) {
  const names = new Set();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      names.add(name);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
      if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
    } else if (line && !line.startsWith('#')) {
      const m = /^([A-Za-z_:][A-Za-z0-9_:]*)/.exec(line);
      if (m) names.add(m[1]);
    }
  }
  return names;
}
