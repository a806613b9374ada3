// Validates rendered Kubernetes manifests offline:
//  1. every object against its Kubernetes / prometheus-operator schema (npm
//     kubernetes-models and @kubernetes-models/prometheus-operator);
//  2. the chart's own rules: recommended labels, restricted security context,
//     native gRPC probes on the gRPC port, no literal credentials, CARECAST_*_FILE
//     variables naming files in read-only mounts, selectors that match, alert rules
//     with severity/summary/description, dashboard labels.
// usage: node validate-manifests.mjs [--expect Kind=N ...] FILE...
// The packages come from .tools/ops (scripts/install-ops-tools.sh), or from
// $CARECAST_OPS_TOOLS.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';

const OPS = resolve(process.env.CARECAST_OPS_TOOLS ?? join(import.meta.dirname ?? '.', '..', '..', '.tools', 'ops'));
const requireFromOps = createRequire(join(OPS, 'package.json'));
const YAML = requireFromOps('yaml');

const args = process.argv.slice(2);
const expect = new Map();
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--expect') {
    const [kind, n] = args[++i].split('=');
    expect.set(kind, Number(n));
  } else {
    files.push(args[i]);
  }
}

const problems = [];
const fail = (obj, msg) => problems.push(`${obj?.kind ?? '?'}/${obj?.metadata?.name ?? '?'}: ${msg}`);

async function modelFor(apiVersion, kind) {
  // The packages export ESM only; import their files by path from .tools/ops.
  const pkg = apiVersion.startsWith('monitoring.coreos.com/')
    ? join('@kubernetes-models', 'prometheus-operator') : 'kubernetes-models';
  const path = join(OPS, 'node_modules', pkg, ...apiVersion.split('/'), `${kind}.js`);
  const mod = await import(pathToFileURL(path).href);
  return mod[kind];
}

const RECOMMENDED = ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/managed-by',
  'app.kubernetes.io/version', 'app.kubernetes.io/part-of', 'helm.sh/chart'];
const CREDENTIAL_NAME = /(PASSWORD|PASSWD|TOKEN|SECRET|APIKEY|API_KEY|PRIVATE_KEY)$/i;

function checkLabels(obj) {
  const labels = obj.metadata?.labels ?? {};
  for (const key of RECOMMENDED) if (!labels[key]) fail(obj, `missing label ${key}`);
}

function matches(selector, labels) {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

function checkPodSpec(obj, spec, { service }) {
  const psc = spec.securityContext ?? {};
  if (psc.seccompProfile?.type !== 'RuntimeDefault') fail(obj, 'pod seccompProfile is not RuntimeDefault');
  if (spec.automountServiceAccountToken !== false) fail(obj, 'automountServiceAccountToken is not false');
  const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
  for (const c of spec.containers ?? []) {
    const sc = c.securityContext ?? {};
    const where = `container ${c.name}`;
    if (!(sc.runAsNonRoot ?? psc.runAsNonRoot)) fail(obj, `${where}: runAsNonRoot is not true`);
    if (sc.readOnlyRootFilesystem !== true) fail(obj, `${where}: readOnlyRootFilesystem is not true`);
    if (sc.allowPrivilegeEscalation !== false) fail(obj, `${where}: allowPrivilegeEscalation is not false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) fail(obj, `${where}: capabilities.drop lacks ALL`);
    if ((sc.capabilities?.add ?? []).length) fail(obj, `${where}: adds capabilities`);
    if (sc.privileged) fail(obj, `${where}: privileged`);
    for (const e of c.env ?? []) {
      if (e.value !== undefined && CREDENTIAL_NAME.test(e.name)) fail(obj, `${where}: env ${e.name} carries a literal credential`);
      if (typeof e.value === 'string' && /^[a-z]+:\/\/[^/@\s]*:[^/@\s]*@/.test(e.value)) fail(obj, `${where}: env ${e.name} has a password in a URL`);
    }
    for (const m of c.volumeMounts ?? []) {
      if (!volumes.has(m.name)) fail(obj, `${where}: mount ${m.name} has no volume`);
    }
    // A CARECAST_*_FILE variable names a file in a read-only mount (a Secret's key).
    for (const e of c.env ?? []) {
      if (!/^CARECAST_.*_FILE$/.test(e.name) || typeof e.value !== 'string') continue;
      const mount = (c.volumeMounts ?? []).find((m) => e.value.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
      if (!mount) fail(obj, `${where}: env ${e.name} names ${e.value}, which is in no volume mount`);
      else if (mount.readOnly !== true) fail(obj, `${where}: env ${e.name} names a file in mount ${mount.name}, which is not read-only`);
    }
    if (service) {
      const grpc = (c.ports ?? []).find((p) => p.name === 'grpc');
      if (!grpc) { fail(obj, `${where}: no port named grpc`); continue; }
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const p = c[probe];
        if (!p?.grpc) fail(obj, `${where}: ${probe} is not a native gRPC probe`);
        else if (p.grpc.port !== grpc.containerPort) fail(obj, `${where}: ${probe} port ${p.grpc.port} is not the gRPC port ${grpc.containerPort}`);
      }
      if (!c.resources?.requests) fail(obj, `${where}: no resource requests`);
    }
  }
}

function checkRules(obj) {
  for (const group of obj.spec?.groups ?? []) {
    for (const rule of group.rules ?? []) {
      if (!rule.alert) continue;
      const sev = rule.labels?.severity;
      if (!['critical', 'warning', 'info'].includes(sev)) fail(obj, `alert ${rule.alert}: severity ${sev}`);
      if (!rule.annotations?.summary) fail(obj, `alert ${rule.alert}: no summary`);
      if (!rule.annotations?.description) fail(obj, `alert ${rule.alert}: no description`);
      if (!/^CareCast[A-Z]/.test(rule.alert)) fail(obj, `alert ${rule.alert}: name lacks the CareCast prefix`);
    }
  }
}

const objects = [];
for (const file of files) {
  const docs = YAML.parseAllDocuments(readFileSync(file, 'utf8'), { version: '1.1' });
  for (const doc of docs) {
    if (doc.errors.length) { problems.push(`${file}: YAML error ${doc.errors[0].message}`); continue; }
    const obj = doc.toJS();
    if (obj == null) continue;
    objects.push(obj);
  }
}

const counts = new Map();
for (const obj of objects) {
  counts.set(obj.kind, (counts.get(obj.kind) ?? 0) + 1);
  if (!obj.apiVersion || !obj.kind) { fail(obj, 'no apiVersion/kind'); continue; }
  let Model;
  try { Model = await modelFor(obj.apiVersion, obj.kind); } catch (e) {
    fail(obj, `no schema for ${obj.apiVersion} ${obj.kind}`); continue;
  }
  try { new Model(obj).validate(); } catch (e) { fail(obj, `schema: ${e.message}`); }
  checkLabels(obj);
  if (obj.kind === 'Deployment') {
    const tmpl = obj.spec.template;
    if (!matches(obj.spec.selector.matchLabels, tmpl.metadata?.labels)) fail(obj, 'selector does not match the pod labels');
    checkPodSpec(obj, tmpl.spec, { service: true });
  }
  if (obj.kind === 'Pod') checkPodSpec(obj, obj.spec, { service: false });
  if (obj.kind === 'Secret') {
    for (const [k, v] of Object.entries(obj.data ?? {})) {
      const text = Buffer.from(v, 'base64').toString();
      if (!text.startsWith('-----BEGIN PUBLIC KEY-----')) fail(obj, `Secret key ${k} is not a public key: credentials come from existingSecret`);
    }
    if (obj.stringData) fail(obj, 'stringData in a rendered Secret');
  }
  if (obj.kind === 'PrometheusRule') checkRules(obj);
  if (obj.kind === 'ConfigMap' && /dashboard/.test(obj.metadata.name)) {
    const labels = obj.metadata.labels ?? {};
    if (!Object.keys(labels).some((k) => /dashboard/.test(k))) fail(obj, 'dashboard ConfigMap without the sidecar label');
    for (const [k, v] of Object.entries(obj.data ?? {})) {
      try { const d = JSON.parse(v); if (!d.uid) fail(obj, `${k}: dashboard without uid`); } catch (e) { fail(obj, `${k}: not JSON`); }
    }
  }
}

// Cross-object checks: Services, PDBs and HPAs point at Deployments that exist.
const deployments = objects.filter((o) => o.kind === 'Deployment');
for (const obj of objects) {
  if (obj.kind === 'Service' && !deployments.some((d) => matches(obj.spec.selector, d.spec.template.metadata.labels))) fail(obj, 'selects no Deployment');
  if (obj.kind === 'PodDisruptionBudget' && !deployments.some((d) => matches(obj.spec.selector.matchLabels, d.spec.template.metadata.labels))) fail(obj, 'selects no Deployment');
  if (obj.kind === 'HorizontalPodAutoscaler' && !deployments.some((d) => d.metadata.name === obj.spec.scaleTargetRef.name)) fail(obj, 'scales no Deployment');
  if (obj.kind === 'HorizontalPodAutoscaler') {
    const d = deployments.find((x) => x.metadata.name === obj.spec.scaleTargetRef.name);
    if (d && d.spec.replicas !== undefined) fail(obj, 'the Deployment also sets replicas (the HPA owns them)');
  }
}

for (const [kind, n] of expect) {
  const got = counts.get(kind) ?? 0;
  if (got !== n) problems.push(`expected ${n} ${kind}, rendered ${got}`);
}

const summary = [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
if (problems.length) {
  for (const p of problems) console.error(`  ${p}`);
  console.error(`validate-manifests: ${problems.length} problem(s) in ${objects.length} objects (${summary})`);
  process.exit(1);
}
console.log(`validate-manifests: ${objects.length} objects valid (${summary})`);
