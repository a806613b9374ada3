// Lints the Grafana dashboards in deploy/monitoring/dashboards (and any folder given):
// stable, unique uids; a `datasource` template variable of type datasource; every
// panel and target on ${datasource}; no __inputs / ${DS_...} import placeholders;
// unique panel ids; panels inside the 24-column grid; every target has a PromQL expr.
import { join } from 'node:path';
import { dashboards, dashboardExprs, metricNames } from './promql-names.mjs';

const dirs = process.argv.slice(2);
if (dirs.length === 0) dirs.push(join(import.meta.dirname, '..', '..', 'deploy', 'monitoring', 'dashboards'));

const problems = [];
const uids = new Map();
let count = 0;
for (const dir of dirs) {
  for (const [path, board] of dashboards(dir)) {
    count++;
    const p = (msg) => problems.push(`${path}: ${msg}`);
    if (!/^carecast-[a-z0-9-]+$/.test(board.uid ?? '')) p(`uid "${board.uid}" is not a stable carecast-* uid`);
    if (uids.has(board.uid)) p(`uid ${board.uid} also used by ${uids.get(board.uid)}`);
    uids.set(board.uid, path);
    if (board.id !== undefined && board.id !== null) p('has a numeric id (instance-specific; leave it out)');
    if (!board.title) p('no title');
    if (!(board.tags ?? []).includes('carecast')) p('no "carecast" tag');
    if ('__inputs' in board || '__requires' in board) p('has __inputs/__requires (UI-import placeholders break file provisioning)');
    const text = JSON.stringify(board);
    if (/\$\{DS_[A-Z0-9_]+\}/.test(text)) p('uses a ${DS_...} import placeholder');
    const vars = board.templating?.list ?? [];
    const ds = vars.find((v) => v.name === 'datasource');
    if (!ds || ds.type !== 'datasource' || ds.query !== 'prometheus') p('no `datasource` variable of type datasource (query prometheus)');
    for (const v of vars.filter((x) => x.type === 'query')) {
      if (v.datasource?.uid !== '${datasource}') p(`variable ${v.name} is not on \${datasource}`);
    }
    const ids = new Set();
    const walk = (panels) => {
      for (const panel of panels ?? []) {
        const where = `panel "${panel.title}"`;
        if (ids.has(panel.id)) p(`${where}: duplicate id ${panel.id}`);
        ids.add(panel.id);
        const g = panel.gridPos;
        if (!g || g.x < 0 || g.w < 1 || g.x + g.w > 24 || g.h < 1) p(`${where}: gridPos outside the 24-column grid`);
        if (panel.type !== 'row') {
          if (!panel.title) p(`panel ${panel.id}: no title`);
          if (panel.datasource?.uid !== '${datasource}') p(`${where}: datasource is not \${datasource}`);
          if (!(panel.targets ?? []).length) p(`${where}: no queries`);
          for (const t of panel.targets ?? []) {
            if (t.datasource?.uid !== '${datasource}') p(`${where} ${t.refId}: target datasource is not \${datasource}`);
            if (!t.expr) p(`${where} ${t.refId}: no expr`);
            else if (metricNames(t.expr).size === 0) p(`${where} ${t.refId}: expr names no metric`);
          }
        }
        walk(panel.panels);
      }
    };
    walk(board.panels);
    if (dashboardExprs(board).length === 0) p('no queries at all');
  }
}
if (count === 0) problems.push(`no dashboards in ${dirs.join(', ')}`);
if (problems.length) {
  for (const x of problems) console.error(`  ${x}`);
  console.error(`lint-dashboards: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`lint-dashboards: ${count} dashboards clean (uids: ${[...uids.keys()].join(', ')})`);
