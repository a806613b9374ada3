// Generates charts/carecast/values.schema.json (draft-07). Every object is closed
// (additionalProperties: false) so an unknown or misspelt key fails helm lint,
// template and install; the four service blocks share one definition here.
//   node tests/chart/values-schema.mjs           write the schema
//   node tests/chart/values-schema.mjs --check   exit 1 when the committed one is stale
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'charts', 'carecast', 'values.schema.json');

const closed = (properties, extra = {}) => ({ type: 'object', additionalProperties: false, properties, ...extra });
const str = (description, extra = {}) => ({ type: 'string', description, ...extra });
const bool = (description) => ({ type: 'boolean', description });
const int = (description, minimum, maximum) => ({
  type: 'integer', description, ...(minimum !== undefined ? { minimum } : {}),
  ...(maximum !== undefined ? { maximum } : {}) });
const port = (description) => int(description, 1, 65535);
const map = (description, valueType = 'string') => ({
  type: 'object', description, additionalProperties: { type: valueType } });
const labels = (description) => map(description);
// Kubernetes objects passed through verbatim (the API server validates their inside).
const k8sObject = (description) => ({ type: 'object', description });
const k8sList = (description) => ({ type: 'array', description, items: { type: 'object' } });
const duration = (description) => str(description, { pattern: '^[0-9]+(ms|s|m|h)$' });
const secretKey = (description) => str(description, { pattern: '^[-._a-zA-Z0-9]+$', minLength: 1 });
const secretName = (description) => str(description, { pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$', maxLength: 253 });
const intOrPercent = (description) => ({
  description,
  oneOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^([0-9]+%?)?$' }] });

// One network's adapter endpoint: an http(s) URL without credentials or #fragment
// (empty: not configured) and a timeout the services accept (1s..120s; empty: 20s).
const channelEndpoint = (net) => closed({
  baseUrl: str(`${net} API base URL; empty leaves ${net} without an adapter`,
    { pattern: '^(https?://[^/?#@\\s]+([/?][^#\\s]*)?)?$' }),
  timeout: str(`Deadline of each call to ${net}; empty means 20s`,
    { pattern: '^(([1-9]|[1-9][0-9]|1[01][0-9]|120)s|([1-9][0-9]{3}|[1-9][0-9]{4}|1[01][0-9]{4}|120000)ms|[12]m)?$' }),
}, { description: `Channel adapter for ${net}` });

const probe = (description) => closed({
  initialDelaySeconds: int('Seconds before the first probe', 0),
  periodSeconds: int('Seconds between probes', 1),
  timeoutSeconds: int('Seconds a probe may take', 1),
  failureThreshold: int('Failures before the probe counts as failed', 1),
  successThreshold: int('Successes before the probe counts as passed (1 for liveness and startup)', 1),
}, { description });

const image = (description) => closed({
  repository: str('Image repository (without registry)', { minLength: 1 }),
  tag: str('Image tag; empty means image.tag, then the chart appVersion'),
  digest: str('Image digest; overrides the tag', { pattern: '^(sha256:[a-f0-9]{64})?$' }),
}, { description, required: ['repository'] });

function serviceBlock(name, { autoscaling = true, extra = {} } = {}) {
  const properties = {
    enabled: bool(`Run the ${name}`),
    replicas: int('Replicas when autoscaling is off', 0),
    image: image(`${name} image`),
    grpcPort: port('gRPC port (API, grpc.health.v1, reflection)'),
    httpPort: port('HTTP port (/metrics, /healthz, /readyz)'),
    resources: closed({
      requests: map('Requested resources', ['string', 'number']),
      limits: map('Resource limits', ['string', 'number']),
      claims: k8sList('Dynamic resource claims'),
    }, { description: 'Resource requests and limits' }),
    env: {
      type: 'object', description: 'Extra environment variables, NAME: "value"',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      additionalProperties: { type: 'string' },
    },
    extraEnv: {
      type: 'array', description: 'Extra environment variables in Kubernetes EnvVar form',
      items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
    },
    podAnnotations: map('Pod annotations'),
    podLabels: labels('Pod labels'),
    nodeSelector: map('Node selector'),
    tolerations: k8sList('Tolerations'),
    affinity: k8sObject('Affinity'),
    topologySpreadConstraints: k8sList('Topology spread constraints; empty spreads replicas over nodes'),
    priorityClassName: str('Priority class'),
    terminationGracePeriodSeconds: int('Must exceed preStopSleepSeconds + shutdownGraceSeconds', 1),
    startupProbe: probe('Startup probe timing (native gRPC probe)'),
    readinessProbe: probe('Readiness probe timing (native gRPC probe)'),
    livenessProbe: probe('Liveness probe timing (native gRPC probe)'),
    pdb: closed({
      enabled: bool('Create a PodDisruptionBudget when more than one replica runs'),
      minAvailable: intOrPercent('Minimum available pods'),
      maxUnavailable: intOrPercent('Maximum unavailable pods; used instead of minAvailable when set'),
    }, { description: 'PodDisruptionBudget' }),
    ...extra,
  };
  if (autoscaling) {
    properties.autoscaling = closed({
      enabled: bool('Create a HorizontalPodAutoscaler'),
      minReplicas: int('Minimum replicas', 1),
      maxReplicas: int('Maximum replicas', 1),
      targetCPUUtilizationPercentage: int('Target CPU utilisation', 1, 100),
      targetMemoryUtilizationPercentage: int('Target memory utilisation; 0 disables', 0, 100),
    }, { description: 'HorizontalPodAutoscaler' });
  }
  return closed(properties, { description: `The ${name} service`, required: Object.keys(properties) });
}

const schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'CareCast chart values',
  ...closed({
    nameOverride: str('Replaces the chart name in object names'),
    fullnameOverride: str('Replaces the whole "<release>-<chart>" prefix of object names'),
    commonLabels: labels('Labels added to every object'),
    commonAnnotations: map('Annotations added to every object'),
    image: closed({
      registry: str('Registry host prefixed to every repository; empty for none'),
      tag: str('Tag for every image; empty means the chart appVersion'),
      pullPolicy: { type: 'string', enum: ['Always', 'IfNotPresent', 'Never'] },
    }, { description: 'Images' }),
    imagePullSecrets: { type: 'array', description: 'Names of registry credential Secrets', items: secretName('Secret name') },
    serviceAccount: closed({
      create: bool('Create a ServiceAccount shared by the services'),
      name: str('Name of the ServiceAccount'),
      annotations: map('Annotations of the ServiceAccount'),
      automountServiceAccountToken: bool('Mount an API token (the services never call the Kubernetes API)'),
    }),
    nats: closed({
      url: str('NATS URL(s), comma-separated', { minLength: 1, pattern: '^(nats|tls)://[^,\\s]+(,(nats|tls)://[^,\\s]+)*$' }),
      streamReplicas: int('JetStream replicas for CareCast streams and buckets', 1, 5),
      credentials: closed({
        existingSecret: secretName('Secret holding a NATS credentials file'),
        key: secretKey('Key of the credentials file in that Secret'),
      }),
    }, { required: ['url', 'streamReplicas', 'credentials'] }),
    redis: closed({
      url: str('Redis URL without a password', { minLength: 1, pattern: '^rediss?://[^@\\s]+$' }),
      auth: closed({
        existingSecret: secretName('Secret holding the Redis password'),
        key: secretKey('Key of the password in that Secret'),
      }),
    }, { required: ['url', 'auth'] }),
    auth: closed({
      jwt: closed({
        issuer: str('Expected iss of bearer tokens', { minLength: 1 }),
        audience: str('Expected aud of bearer tokens', { minLength: 1 }),
        existingSecret: secretName('Secret holding the PEM public key'),
        key: secretKey('Key of the PEM public key in that Secret'),
        publicKey: str('PEM public key (not a secret); the chart then creates "<fullname>-jwt"',
          { pattern: '^(-----BEGIN PUBLIC KEY-----[\\s\\S]*-----END PUBLIC KEY-----\\s*)?$' }),
      }),
    }),
    links: closed({
      existingSecret: secretName('Secret holding the link key ring (calendar feeds, weekly report links)'),
      key: secretKey('Key of the key ring in that Secret'),
      currentKey: str("Key id that signs new links; empty means the file's last key",
        { pattern: '^[A-Za-z0-9_-]{0,32}$' }),
    }),
    channels: closed({
      existingSecret: secretName('Secret whose keys are channel access tokens'),
      mountPath: str('Where the token files appear', { pattern: '^/' }),
      networks: closed(Object.fromEntries(
        ['x', 'facebook', 'instagram', 'linkedin', 'mastodon', 'bluesky', 'wordpress', 'webhook']
          .map((net) => [net, channelEndpoint(net)])),
      { description: 'Networks with a channel adapter (CARECAST_CHANNEL_<NET>_BASE_URL, _TIMEOUT)' }),
      tokenSealing: closed({
        existingSecret: secretName('Secret holding the key that seals refreshed channel tokens'),
        key: secretKey('Key of the sealing key in that Secret'),
      }),
    }),
    logLevel: { type: 'string', enum: ['debug', 'info', 'warn', 'error'], description: 'Log level' },
    shutdownGraceSeconds: int('Seconds a service lets in-flight work finish after SIGTERM', 1, 600),
    preStopSleepSeconds: int('Seconds to wait before SIGTERM (Kubernetes >= 1.30); 0 disables', 0, 120),
    podSecurityContext: k8sObject('Pod security context'),
    containerSecurityContext: k8sObject('Container security context'),
    extraVolumes: k8sList('Volumes added to every service pod'),
    extraVolumeMounts: k8sList('Volume mounts added to every service container'),
    planner: serviceBlock('planner', {
      extra: {
        alertHold: closed({
          policy: { type: 'string', enum: ['off', 'global', 'spoke'],
            description: 'Hold publishing everywhere (global) or for the alert\'s spokes (spoke) on a raised alert (CARECAST_PLANNER_ALERT_HOLD); off by default' },
          severity: { type: 'string', enum: ['severe', 'warning'],
            description: 'The least alert severity that holds (CARECAST_PLANNER_ALERT_HOLD_SEVERITY)' },
        }, { description: 'The automatic publishing hold on alerts (docs/listening.md)' }),
      } }),
    publisher: serviceBlock('publisher', {
      extra: {
        sandboxDir: str('Where the sandbox channel records posts', { pattern: '^/' }),
        autoTakedown: bool('Delete the posts of a revoked patient authorization automatically (CARECAST_PUBLISHER_AUTO_TAKEDOWN)'),
      } }),
    listener: serviceBlock('listener', {
      extra: {
        trackedKeywords: { type: 'array', description: 'Keywords tracked in mentions',
          items: { type: 'string', minLength: 1, pattern: '^[^,]+$' } },
        ingress: closed({
          enabled: bool('Expose the webhook through an Ingress'),
          className: str('IngressClass name'),
          annotations: map('Ingress annotations'),
          hosts: { type: 'array', description: 'Hosts routed to the webhook', items: { type: 'string', minLength: 1 } },
          tls: k8sList('Ingress TLS blocks'),
        }),
        meta: closed({
          existingSecret: secretName('Secret with the Meta app secret and the webhook verify token; empty: /webhooks/meta is not served'),
          appSecretKey: secretKey('Key of the Meta app secret in that Secret'),
          verifyTokenKey: secretKey('Key of the webhook verify token in that Secret'),
          instagramTokenKey: str('Key of an Instagram token (instagram_manage_comments) in that Secret, with which Instagram mentions are read from the Graph API; empty: they are ignored', { pattern: '^([-._a-zA-Z0-9]+)?$' }),
        }, { description: 'The Meta (Graph API) webhook, /webhooks/meta' }),
        webhookSignature: closed({
          existingSecret: secretName('Secret holding the X-CareCast-Signature key for POST /v1/mentions; empty: bearer token only'),
          key: secretKey('Key of the signing secret in that Secret'),
        }, { description: 'Signed POST /v1/mentions' }),
        sources: closed({
          existingSecret: secretName('Secret holding the mention sources file and the token files it names, mounted read-only at /etc/carecast/sources (token_file paths must be /etc/carecast/sources/<key>); empty: no sources'),
          fileKey: secretKey('Key of the sources file in that Secret (CARECAST_LISTENER_SOURCES_FILE=/etc/carecast/sources/<fileKey>)'),
        }, { description: 'The mention sources the listener reads (services/listener/sources_config.h)', required: ['existingSecret', 'fileKey'] }),
        inbox: closed({
          sla: str('First-response targets by priority (CARECAST_INBOX_SLA), e.g. urgent=15m,high=4bh,normal=1bd,low=3bd', { minLength: 1 }),
          businessHours: str('Business hours of the organisation and spokes (CARECAST_INBOX_BUSINESS_HOURS); empty: UTC Mon-Fri 09:00-17:00'),
          topicRoutes: str('Topic rules routing mentions to spokes (CARECAST_INBOX_TOPIC_ROUTES); empty: none'),
        }, { description: 'The inbox workflow (docs/inbox.md)' }),
      },
    }),
    metrics: serviceBlock('metrics', {
      autoscaling: false,
      extra: {
        spikes: closed({
          // An IANA name (UTC, America/Chicago, America/Argentina/Buenos_Aires, Etc/GMT+5);
          // the service checks it names a zone it knows and caps it at 64 characters.
          timeZone: str('IANA time zone whose weekdays and hours the spike baseline follows (CARECAST_SPIKE_TIME_ZONE)',
            { pattern: '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$', maxLength: 64 }),
        }, { description: 'The spike detector (docs/listening.md, "Spikes and crises")', required: ['timeZone'] }),
      } }),
    networkPolicy: closed({
      enabled: bool('Create NetworkPolicies'),
      allowExternal: bool('Accept gRPC connections from any pod'),
      ingressNSMatchLabels: labels('Namespaces allowed to call the gRPC APIs'),
      ingressPodMatchLabels: labels('Pods allowed to call the gRPC APIs'),
      metricsNSMatchLabels: labels('Namespaces allowed to scrape /metrics'),
      allowExternalEgress: bool('Allow every egress'),
      natsPort: port('NATS client port'),
      redisPort: port('Redis port'),
      extraIngress: k8sList('Extra ingress rules'),
      extraEgress: k8sList('Extra egress rules'),
    }),
    monitoring: closed({
      serviceMonitor: closed({
        enabled: bool('Create a ServiceMonitor when the monitoring.coreos.com/v1 API exists'),
        namespace: str('Namespace of the ServiceMonitor'),
        labels: labels('Extra labels'),
        annotations: map('Annotations'),
        interval: duration('Scrape interval'),
        scrapeTimeout: duration('Scrape timeout'),
      }),
      prometheusRule: closed({
        enabled: bool('Create a PrometheusRule when the monitoring.coreos.com/v1 API exists'),
        namespace: str('Namespace of the PrometheusRule'),
        labels: labels('Extra labels'),
        annotations: map('Annotations'),
      }),
      dashboards: closed({
        enabled: bool('Ship the Grafana dashboards as ConfigMaps'),
        namespace: str('Namespace of the ConfigMaps'),
        label: str('Label the Grafana sidecar looks for', { minLength: 1 }),
        labelValue: str('Value of that label'),
        annotations: map('Annotations'),
      }),
    }),
    tests: closed({
      enabled: bool('Render the helm test pod'),
      image: image('carecastctl image'),
    }),
  }),
};

const text = JSON.stringify(schema, null, 2) + '\n';
if (process.argv.includes('--check')) {
  let old = '';
  try { old = readFileSync(OUT, 'utf8'); } catch { /* missing counts as stale */ }
  if (old !== text) {
    console.error(`stale: ${OUT} (run node tests/chart/values-schema.mjs)`);
    process.exit(1);
  }
} else {
  writeFileSync(OUT, text);
}
