// Prints the `spec` (groups) of every PrometheusRule in rendered manifests as a plain
// Prometheus rule file, so promtool can check what the chart really ships.
// usage: node tests/chart/extract-rules.mjs RENDERED.yaml > rules.yml
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const ops = process.env.CARECAST_OPS_TOOLS ?? join(import.meta.dirname, '..', '..', '.tools', 'ops');
const YAML = createRequire(join(ops, 'package.json'))('yaml');
const groups = [];
for (const doc of YAML.parseAllDocuments(readFileSync(process.argv[2], 'utf8'))) {
  const obj = doc.toJS();
  if (obj?.kind === 'PrometheusRule') groups.push(...(obj.spec?.groups ?? []));
}
if (groups.length === 0) { console.error('extract-rules: no PrometheusRule groups'); process.exit(1); }
process.stdout.write(YAML.stringify({ groups }));
