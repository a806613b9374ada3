// Runs every dashboard query and every rule expression against a live Prometheus
// (the scrape test's), with the Grafana variables filled in, and fails on any query
// Prometheus rejects. Also reports which panels returned data.
// usage: node tests/monitoring/query-dashboards.mjs http://127.0.0.1:9090
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { dashboards, dashboardExprs, ruleExprs, ruleFile } from './promql-names.mjs';

const prom = process.argv[2];
if (!prom) { console.error('usage: query-dashboards.mjs PROMETHEUS_URL'); process.exit(2); }
const MON = join(import.meta.dirname, '..', '..', 'deploy', 'monitoring');

// What Grafana substitutes: "All" for the namespace and job variables, and the ranges.
const fill = (expr) => expr
  .replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '15s').replaceAll('$__range', '1h')
  .replaceAll('${datasource}', '').replaceAll('"$namespace"', '".*"').replaceAll('"$job"', '"carecast-.*"');

async function query(expr) {
  const url = `${prom}/api/v1/query?query=${encodeURIComponent(expr)}`;
  const res = await fetch(url);
  const body = await res.json();
  return body;
}

let bad = 0; let total = 0; let withData = 0;
const empty = [];
const items = [];
for (const [path, board] of dashboards(join(MON, 'dashboards'))) {
  for (const [where, expr] of dashboardExprs(board)) items.push([`${board.uid} ${where}`, fill(expr)]);
}
for (const f of readdirSync(join(MON, 'rules')).filter((x) => /\.ya?ml$/.test(x))) {
  for (const [where, expr] of ruleExprs(ruleFile(join(MON, 'rules', f)))) items.push([`${f} ${where}`, expr]);
}
for (const [where, expr] of items) {
  total++;
  const body = await query(expr);
  if (body.status !== 'success') {
    bad++;
    console.error(`  ${where}: ${body.errorType}: ${body.error}\n    ${expr}`);
  } else if ((body.data.result ?? []).length > 0) {
    withData++;
  } else {
    empty.push(where);
  }
}
console.log(`query-dashboards: ${total} queries, ${bad} rejected, ${withData} returned data`);
if (empty.length) console.log(`  no data yet (expected for errors, lateness without posts, ...): ${empty.length}\n    ${empty.join('\n    ')}`);
process.exit(bad ? 1 : 0);
