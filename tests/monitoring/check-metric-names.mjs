// Checks that every metric the dashboards and rules query is really exported.
//   node tests/monitoring/check-metric-names.mjs URL...        live /metrics endpoints
//   node tests/monitoring/check-metric-names.mjs --sources     names registered in services/
//   node tests/monitoring/check-metric-names.mjs --allow-registered URL...
// The live form is the real check (the Prometheus scrape test runs it against the
// running suite); --sources is a quick offline pre-check. A labelled family shows no
// line on /metrics until a label set is used (prometheus-cpp and common::SeriesTable
// print no empty family):
// --allow-registered accepts such names when the sources register them, and lists
// them, so that a run that never hit e.g. a failure still passes but says so.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  PROMETHEUS_SERIES, dashboards, dashboardExprs, dashboardVariableQueries, expositionNames,
  metricNames, recordedNames, ruleExprs, ruleFile, variableQueryNames,
} from './promql-names.mjs';

const ROOT = join(import.meta.dirname, '..', '..');
const MON = join(ROOT, 'deploy', 'monitoring');

function sourceNames() {
  const names = new Set();
  const walk = (dir) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(cc|h)$/.test(f)) {
        const text = readFileSync(p, 'utf8');
        for (const m of text.matchAll(/Build(Counter|Gauge|Histogram|Summary)\(\)\s*\.Name\("([a-z_:][a-z0-9_:]*)"\)/g)) {
          names.add(m[2]);
          if (m[1] === 'Histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m[2] + s);
          if (m[1] === 'Summary') for (const s of ['_sum', '_count']) names.add(m[2] + s);
        }
        // common::SeriesTable families: table.AddCounter("name", ...) / AddGauge.
        for (const m of text.matchAll(/\.Add(Counter|Gauge)\(\s*"([a-z_:][a-z0-9_:]*)"/g)) names.add(m[2]);
      }
    }
  };
  walk(join(ROOT, 'services'));
  return names;
}

async function liveNames(urls) {
  const names = new Set();
  for (const url of urls) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    const found = expositionNames(await res.text());
    if (found.size === 0) throw new Error(`${url}: no metrics`);
    for (const n of found) names.add(n);
  }
  return names;
}

let args = process.argv.slice(2);
const allowRegistered = args[0] === '--allow-registered';
if (allowRegistered) args = args.slice(1);
if (args.length === 0) {
  console.error('usage: check-metric-names.mjs URL... | --sources');
  process.exit(2);
}
const exported = args[0] === '--sources' ? sourceNames() : await liveNames(args);
const origin = args[0] === '--sources' ? 'the service sources' : `${args.length} /metrics endpoint(s)`;

const uses = [];  // [file, where, name]
const recorded = new Set();
for (const f of readdirSync(join(MON, 'rules')).filter((x) => /\.ya?ml$/.test(x))) {
  const doc = ruleFile(join(MON, 'rules', f));
  for (const n of recordedNames(doc)) recorded.add(n);
  for (const [where, expr] of ruleExprs(doc)) for (const n of metricNames(expr)) uses.push([f, where, n]);
}
for (const [path, board] of dashboards(join(MON, 'dashboards'))) {
  const file = path.split('/').pop();
  for (const [where, expr] of dashboardExprs(board)) for (const n of metricNames(expr)) uses.push([file, where, n]);
  for (const [where, q] of dashboardVariableQueries(board)) for (const n of variableQueryNames(q)) uses.push([file, where, n]);
}

let missing = uses.filter(([, , n]) => !exported.has(n) && !recorded.has(n) && !PROMETHEUS_SERIES.has(n));
const distinct = new Set(uses.map(([, , n]) => n));
let unobserved = new Set();
if (allowRegistered && args[0] !== '--sources') {
  const registered = sourceNames();
  unobserved = new Set(missing.map(([, , n]) => n).filter((n) => registered.has(n)));
  missing = missing.filter(([, , n]) => !unobserved.has(n));
}
if (missing.length) {
  for (const [file, where, n] of missing) console.error(`  ${file}: ${where}: ${n} is not exported`);
  console.error(`check-metric-names: ${missing.length} use(s) of metrics missing from ${origin}`);
  process.exit(1);
}
if (unobserved.size) {
  console.log(`check-metric-names: ${distinct.size - unobserved.size} of ${distinct.size} metric names used by dashboards and rules exist in ${origin}; ` +
    `registered in the sources but without a series yet: ${[...unobserved].sort().join(', ')}`);
} else {
  console.log(`check-metric-names: all ${distinct.size} metric names used by dashboards and rules exist in ${origin}`);
}
