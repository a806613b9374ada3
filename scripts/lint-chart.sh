#!/usr/bin/env bash
# Offline checks of the Helm chart, the rendered manifests, the alert rules and the
# dashboards. Needs Debian yamllint and prometheus (promtool), node/npm; installs
# helm and the schema packages into .tools/ops on first use (scripts/install-ops-tools.sh).
#   scripts/lint-chart.sh
# Each check prints PASS/FAIL; the last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

scripts/install-ops-tools.sh || { echo "lint-chart: cannot install the ops tools"; exit 1; }
HELM="$ROOT/.tools/ops/bin/helm"
CHART=charts/carecast
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

passed=0; failed=0
check() {  # name command...
  local name=$1; shift
  if "$@" >"$OUT/log" 2>&1; then
    passed=$((passed + 1)); echo "PASS $name"
  else
    failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/    /' "$OUT/log" | tail -40
  fi
}
must_fail() {  # name pattern command...: passes when the command fails and prints pattern
  local name=$1 pattern=$2; shift 2
  if "$@" >"$OUT/log" 2>&1; then
    failed=$((failed + 1)); echo "FAIL $name (was accepted)"
  elif grep -qE "$pattern" "$OUT/log"; then
    passed=$((passed + 1)); echo "PASS $name"
  else
    failed=$((failed + 1)); echo "FAIL $name (failed without /$pattern/)"; sed 's/^/    /' "$OUT/log" | tail -20
  fi
}

# --- chart metadata and schema -----------------------------------------------------
chart_yaml_fields() {  # chart-testing's chart_schema.yaml required fields
  local f
  for f in apiVersion name version description home; do
    grep -qE "^${f}:" "$CHART/Chart.yaml" || { echo "Chart.yaml lacks $f"; return 1; }
  done
  grep -qE '^apiVersion: v2$' "$CHART/Chart.yaml" || { echo "Chart.yaml apiVersion is not v2"; return 1; }
}
check "Chart.yaml has the chart-testing required fields" chart_yaml_fields
check "values.schema.json is generated from tests/chart/values-schema.mjs" node tests/chart/values-schema.mjs --check

# --- helm lint and template over the value sets ------------------------------------
# values file | expected kinds with monitoring API | expected kinds without it
declare -A EXPECT_MON EXPECT_PLAIN
EXPECT_MON[default]="Deployment=4 Service=4 PodDisruptionBudget=3 NetworkPolicy=4 HorizontalPodAutoscaler=0 ServiceMonitor=1 PrometheusRule=1 ConfigMap=2 Pod=1 Secret=0"
EXPECT_PLAIN[default]="Deployment=4 ServiceMonitor=0 PrometheusRule=0 ConfigMap=2"
EXPECT_MON[production]="Deployment=4 PodDisruptionBudget=4 HorizontalPodAutoscaler=3 NetworkPolicy=4 Ingress=1 ServiceMonitor=1 PrometheusRule=1 ConfigMap=2 Secret=0"
EXPECT_PLAIN[production]="Deployment=4 HorizontalPodAutoscaler=3 ServiceMonitor=0 PrometheusRule=0"
EXPECT_MON[single]="Deployment=3 Service=3 Secret=1 PodDisruptionBudget=0 NetworkPolicy=0 ServiceMonitor=0 PrometheusRule=0 ConfigMap=0 Pod=0"
EXPECT_PLAIN[single]="Deployment=3 Secret=1"

expect_args() { local a=() kv; for kv in $1; do a+=(--expect "$kv"); done; echo "${a[@]}"; }

for values in tests/chart/values-*.yaml; do
  set_name=$(basename "$values" .yaml); set_name=${set_name#values-}
  check "helm lint --strict ($set_name)" "$HELM" lint --strict "$CHART" -f "$values"
  for kube in 1.27.0 1.31.0; do
    rendered="$OUT/$set_name-$kube-mon.yaml"
    check "helm template + schema validation ($set_name, k8s $kube, with monitoring API)" \
      bash -c "'$HELM' template carecast '$CHART' -n carecast -f '$values' --kube-version $kube \
        --api-versions monitoring.coreos.com/v1 > '$rendered' && \
        node tests/chart/validate-manifests.mjs $(expect_args "${EXPECT_MON[$set_name]:-}") '$rendered'"
    rendered="$OUT/$set_name-$kube.yaml"
    check "helm template + schema validation ($set_name, k8s $kube, no monitoring API)" \
      bash -c "'$HELM' template carecast '$CHART' -n carecast -f '$values' --kube-version $kube > '$rendered' && \
        node tests/chart/validate-manifests.mjs $(expect_args "${EXPECT_PLAIN[$set_name]:-}") '$rendered'"
  done
done

# Specific rendering facts.
prestop_by_version() {
  local new old
  new=$("$HELM" template c "$CHART" --kube-version 1.31.0 --show-only templates/deployment.yaml) || return 1
  old=$("$HELM" template c "$CHART" --kube-version 1.27.0 --show-only templates/deployment.yaml) || return 1
  grep -q 'sleep:' <<<"$new" || { echo "no preStop sleep on 1.31"; return 1; }
  if grep -q 'sleep:' <<<"$old"; then echo "preStop sleep rendered for 1.27 (unsupported there)"; return 1; fi
}
check "preStop sleep only where Kubernetes supports it (>= 1.30)" prestop_by_version
no_defaults_credentials() {
  # Rendering with every existingSecret set must put no credential value anywhere.
  "$HELM" template c "$CHART" -f tests/chart/values-production.yaml --api-versions monitoring.coreos.com/v1 >"$OUT/prod.yaml"
  if grep -nE 'kind: Secret$' "$OUT/prod.yaml"; then echo "the chart rendered a Secret"; return 1; fi
  grep -q 'secretName: carecast-nats' "$OUT/prod.yaml" && grep -q 'secretName: redis' "$OUT/prod.yaml" \
    && grep -q 'secretName: carecast-jwt-keys' "$OUT/prod.yaml" && grep -q 'secretName: carecast-channel-tokens' "$OUT/prod.yaml" \
    && grep -q 'secretName: carecast-meta-webhook' "$OUT/prod.yaml" && grep -q 'secretName: carecast-mentions-signing' "$OUT/prod.yaml" \
    && grep -q 'secretName: carecast-mention-sources' "$OUT/prod.yaml"
}
check "credentials only through existingSecret references" no_defaults_credentials
render_notes() {  # values-file: prints NOTES.txt as `helm install` would (no cluster needed)
  local copy="$OUT/notes-chart"
  rm -rf "$copy"; cp -r "$CHART" "$copy"; cp "$CHART/templates/NOTES.txt" "$copy/files/NOTES.txt"
  cat > "$copy/templates/zz-notes.yaml" <<'TPL'
apiVersion: v1
kind: ConfigMap
metadata:
  name: notes
data:
  notes: |
{{ tpl (.Files.Get "files/NOTES.txt") . | indent 4 }}
TPL
  "$HELM" template carecast "$copy" -n carecast -f "$1" --show-only templates/zz-notes.yaml
}
notes_by_values() {
  local out
  out=$(render_notes tests/chart/values-default.yaml) || return 1
  grep -q 'ACTION NEEDED' <<<"$out" || { echo "default install: NOTES do not ask for the JWT Secret"; return 1; }
  grep -q 'carecast-planner:50051' <<<"$out" || { echo "NOTES do not list the planner"; return 1; }
  out=$(render_notes tests/chart/values-production.yaml) || return 1
  if grep -q 'ACTION NEEDED\|without credentials\|without a password' <<<"$out"; then
    echo "production install: NOTES warn although every Secret is set"; return 1; fi
  grep -q 'https://hooks.carecast.health.example/webhooks/meta' <<<"$out" \
    || { echo "production install: NOTES do not give Meta's callback URL"; return 1; }
  out=$(render_notes tests/chart/values-single.yaml) || return 1
  grep -q 'streamReplicas is 1' <<<"$out" || { echo "single install: no R1 warning"; return 1; }
}
check "NOTES.txt renders and tells what to do for each value set" notes_by_values

# --- invalid values must be rejected by values.schema.json -------------------------
for bad in tests/chart/invalid/*.yaml; do
  must_fail "schema rejects $(basename "$bad" .yaml)" "schema|Additional property|Invalid type|pattern|must be" \
    "$HELM" lint --strict "$CHART" -f "$bad"
done

# --- a network without the token-sealing key is refused at render time -------------
must_fail "a configured network without channels.tokenSealing.existingSecret is refused" \
  "tokenSealing.existingSecret is empty" \
  "$HELM" template carecast "$CHART" -f tests/chart/values-production.yaml \
  --set channels.tokenSealing.existingSecret=
sealing_key_mounted() {  # the publisher (only) gets the key file named by its env var
  local out; out=$("$HELM" template carecast "$CHART" -f tests/chart/values-production.yaml) || return 1
  grep -q 'CARECAST_CHANNEL_TOKEN_SEALING_KEY_FILE' <<<"$out" || { echo "no sealing key env"; return 1; }
  grep -q 'secretName: carecast-channel-sealing' <<<"$out" || { echo "no sealing Secret volume"; return 1; }
  [[ $(grep -c 'CARECAST_CHANNEL_TOKEN_SEALING_KEY_FILE' <<<"$out") == 1 ]] \
    || { echo "the sealing key reaches more than the publisher"; return 1; }
}
check "the publisher mounts the token-sealing key when a network is configured" sealing_key_mounted

# --- the listener's webhook secrets (Meta app secret + verify token; X-CareCast-Signature key) ---
deployment_doc() {  # rendered-file name: prints the Deployment named <name>
  awk -v want="$2" '
    /^---/ { if (doc ~ "\nkind: Deployment\n" && doc ~ "\n  name: " want "\n") printf "%s", doc; doc = ""; next }
    { doc = doc $0 "\n" }
    END { if (doc ~ "\nkind: Deployment\n" && doc ~ "\n  name: " want "\n") printf "%s", doc }' "$1"
}
listener_webhook_secrets_mounted() {  # env vars -> mounted files -> Secret volumes, listener only
  "$HELM" template carecast "$CHART" -f tests/chart/values-production.yaml >"$OUT/hooks.yaml" || return 1
  local listener; listener=$(deployment_doc "$OUT/hooks.yaml" carecast-listener)
  [[ -n $listener ]] || { echo "no listener Deployment"; return 1; }
  local want
  for want in \
    '- name: CARECAST_LISTENER_META_APP_SECRET_FILE' \
    'value: "/var/run/secrets/carecast/meta/meta-app-secret"' \
    '- name: CARECAST_LISTENER_META_VERIFY_TOKEN_FILE' \
    'value: "/var/run/secrets/carecast/meta/verify-token"' \
    '- name: CARECAST_LISTENER_WEBHOOK_SECRET_FILE' \
    'value: "/var/run/secrets/carecast/webhook-signature/mentions.key"' \
    '- name: meta-webhook' 'mountPath: /var/run/secrets/carecast/meta' \
    '- name: webhook-signature' 'mountPath: /var/run/secrets/carecast/webhook-signature' \
    'secretName: carecast-meta-webhook' '- key: meta-app-secret' 'path: meta-app-secret' \
    '- key: verify-token' 'path: verify-token' \
    '- name: CARECAST_LISTENER_INSTAGRAM_TOKEN_FILE' \
    'value: "/var/run/secrets/carecast/meta/instagram-token"' \
    '- key: instagram-token' 'path: instagram-token' \
    'secretName: carecast-mentions-signing' '- key: mentions.key' 'path: mentions.key'; do
    grep -qF -- "$want" <<<"$listener" || { echo "listener Deployment lacks: $want"; return 1; }
  done
  # Each mount is read-only (the line after its mountPath).
  local m
  for m in /var/run/secrets/carecast/meta /var/run/secrets/carecast/webhook-signature; do
    grep -A1 -F "mountPath: $m" <<<"$listener" | grep -q 'readOnly: true' || { echo "$m is not mounted read-only"; return 1; }
  done
  # Only the listener gets them.
  for want in CARECAST_LISTENER_META_APP_SECRET_FILE CARECAST_LISTENER_META_VERIFY_TOKEN_FILE \
              CARECAST_LISTENER_WEBHOOK_SECRET_FILE 'secretName: carecast-meta-webhook' \
              'secretName: carecast-mentions-signing'; do
    [[ $(grep -c -- "$want" "$OUT/hooks.yaml") == 1 ]] || { echo "$want reaches more than the listener"; return 1; }
  done
  # The Ingress routes Meta's webhook next to /v1/mentions.
  local ingress; ingress=$("$HELM" template carecast "$CHART" -f tests/chart/values-production.yaml \
    --show-only templates/ingress.yaml) || return 1
  grep -q 'path: /v1/mentions' <<<"$ingress" && grep -q 'path: /webhooks/meta' <<<"$ingress" \
    || { echo "the Ingress does not route both /v1/mentions and /webhooks/meta"; return 1; }
  # Without the Secrets: no variables, no volumes, and no /webhooks/meta route.
  local plain; plain=$("$HELM" template carecast "$CHART" --set listener.ingress.enabled=true \
    --set 'listener.ingress.hosts[0]=hooks.example') || return 1
  if grep -qE 'CARECAST_LISTENER_(META|WEBHOOK|INSTAGRAM)_|name: (meta-webhook|webhook-signature)$|/webhooks/meta' <<<"$plain"; then
    echo "defaults render a webhook secret or route"; return 1; fi
}
check "the listener mounts the Meta and X-CareCast-Signature secrets only when set" listener_webhook_secrets_mounted
must_fail "listener.meta with one key for the app secret and the verify token is refused" \
  "name the same key" \
  "$HELM" template carecast "$CHART" --set listener.meta.existingSecret=meta \
  --set listener.meta.verifyTokenKey=app-secret

# --- the listener's mention sources (listener.sources) and the spike time zone (metrics.spikes) ---
listener_sources_mounted() {  # env var -> file in the read-only mount of the whole Secret, listener only
  "$HELM" template carecast "$CHART" -f tests/chart/values-production.yaml >"$OUT/sources.yaml" || return 1
  local listener; listener=$(deployment_doc "$OUT/sources.yaml" carecast-listener)
  [[ -n $listener ]] || { echo "no listener Deployment"; return 1; }
  local want
  for want in '- name: CARECAST_LISTENER_SOURCES_FILE' 'value: "/etc/carecast/sources/sources.json"' \
    '- name: mention-sources' 'mountPath: /etc/carecast/sources' 'secretName: carecast-mention-sources'; do
    grep -qF -- "$want" <<<"$listener" || { echo "listener Deployment lacks: $want"; return 1; }
  done
  grep -A1 -F 'mountPath: /etc/carecast/sources' <<<"$listener" | grep -q 'readOnly: true' \
    || { echo "/etc/carecast/sources is not mounted read-only"; return 1; }
  # The whole Secret (the file and the token files it names), not chosen items.
  grep -A3 -F 'secretName: carecast-mention-sources' <<<"$listener" | grep -q 'items:' \
    && { echo "the sources volume lists items: the token files would be missing"; return 1; }
  for want in CARECAST_LISTENER_SOURCES_FILE 'secretName: carecast-mention-sources' 'mountPath: /etc/carecast/sources'; do
    [[ $(grep -c -- "$want" "$OUT/sources.yaml") == 1 ]] || { echo "$want reaches more than the listener"; return 1; }
  done
  # fileKey names the file.
  "$HELM" template carecast "$CHART" --set listener.sources.existingSecret=src \
    --set listener.sources.fileKey=mentions.json --show-only templates/deployment.yaml >"$OUT/sources-key.yaml" || return 1
  grep -qF 'value: "/etc/carecast/sources/mentions.json"' "$OUT/sources-key.yaml" \
    || { echo "listener.sources.fileKey does not name the file"; return 1; }
  # Unset (the defaults): no variable, no mount, no volume.
  local plain; plain=$("$HELM" template carecast "$CHART" --show-only templates/deployment.yaml) || return 1
  if grep -qE 'CARECAST_LISTENER_SOURCES_FILE|name: mention-sources$|/etc/carecast/sources' <<<"$plain"; then
    echo "defaults render the sources file, mount or volume"; return 1; fi
}
check "the listener mounts listener.sources.existingSecret only when set" listener_sources_mounted
spike_time_zone_env() {  # metrics only; UTC by default, the value when set
  local out metrics
  out=$("$HELM" template carecast "$CHART" --show-only templates/deployment.yaml) || return 1
  printf '%s\n' "$out" >"$OUT/tz-default.yaml"
  metrics=$(deployment_doc "$OUT/tz-default.yaml" carecast-metrics)
  grep -A1 -F -- '- name: CARECAST_SPIKE_TIME_ZONE' <<<"$metrics" | grep -qF 'value: "UTC"' \
    || { echo "default metrics Deployment lacks CARECAST_SPIKE_TIME_ZONE=UTC"; return 1; }
  [[ $(grep -c CARECAST_SPIKE_TIME_ZONE <<<"$out") == 1 ]] || { echo "CARECAST_SPIKE_TIME_ZONE reaches more than metrics"; return 1; }
  "$HELM" template carecast "$CHART" -f tests/chart/values-production.yaml --show-only templates/deployment.yaml \
    >"$OUT/tz-prod.yaml" || return 1
  metrics=$(deployment_doc "$OUT/tz-prod.yaml" carecast-metrics)
  grep -A1 -F -- '- name: CARECAST_SPIKE_TIME_ZONE' <<<"$metrics" | grep -qF 'value: "America/Chicago"' \
    || { echo "metrics.spikes.timeZone does not reach CARECAST_SPIKE_TIME_ZONE"; return 1; }
  # Metrics off: nobody gets it.
  out=$("$HELM" template carecast "$CHART" -f tests/chart/values-single.yaml --show-only templates/deployment.yaml) || return 1
  if grep -q CARECAST_SPIKE_TIME_ZONE <<<"$out"; then echo "CARECAST_SPIKE_TIME_ZONE without a metrics Deployment"; return 1; fi
}
check "metrics.spikes.timeZone becomes CARECAST_SPIKE_TIME_ZONE on metrics only" spike_time_zone_env

# --- the validator itself must be able to fail --------------------------------------
must_fail "validate-manifests reports broken objects" \
  "replicas must be integer.*|privileged" node tests/chart/validate-manifests.mjs tests/chart/fixtures/broken-manifests.yaml
validator_reports_all() {
  local out; out=$(node tests/chart/validate-manifests.mjs tests/chart/fixtures/broken-manifests.yaml 2>&1) && return 1
  local want
  for want in 'must be integer' 'selector does not match' 'readOnlyRootFilesystem' 'literal credential' \
              'not a native gRPC probe' 'not a public key' 'missing label helm.sh/chart' \
              'which is in no volume mount'; do
    grep -q "$want" <<<"$out" || { echo "validator missed: $want"; return 1; }
  done
}
check "validate-manifests reports every planted problem" validator_reports_all

# --- yamllint, drift -----------------------------------------------------------------
check "yamllint (chart values, rendered manifests, rules, tests)" \
  yamllint -s -c tests/chart/yamllint.yaml "$CHART/Chart.yaml" "$CHART/values.yaml" deploy/k8s deploy/monitoring tests/chart
check "deploy/k8s and chart files match the chart (drift check)" scripts/render-manifests.sh --check

# --- alert rules and dashboards -----------------------------------------------------
check "promtool check rules" promtool check rules deploy/monitoring/rules/*.yml
check "promtool test rules" promtool test rules deploy/monitoring/tests/*.test.yml
chart_rules_match() {  # the PrometheusRule the chart renders holds the same rules, and they check
  node tests/chart/extract-rules.mjs deploy/k8s/carecast-monitoring.yaml > "$OUT/chart-rules.yml" || return 1
  local plain chart
  plain=$(promtool check rules deploy/monitoring/rules/carecast.rules.yml | grep -o '[0-9]* rules found') || return 1
  chart=$(promtool check rules "$OUT/chart-rules.yml" | grep -o '[0-9]* rules found') || return 1
  [[ $plain == "$chart" ]] || { echo "plain file: $plain, PrometheusRule: $chart"; return 1; }
  cp deploy/monitoring/tests/carecast.rules.test.yml "$OUT/chart-rules.test.yml"
  sed -i "s|\.\./rules/carecast.rules.yml|chart-rules.yml|" "$OUT/chart-rules.test.yml"
  (cd "$OUT" && promtool test rules chart-rules.test.yml)
}
check "the chart's PrometheusRule passes the same promtool checks and unit tests" chart_rules_match
check "dashboards are generated from deploy/monitoring/src/dashboards.mjs" node deploy/monitoring/src/dashboards.mjs --check
check "dashboard lint (stable uids, \${datasource}, no __inputs)" node tests/monitoring/lint-dashboards.mjs
check "dashboard and rule metrics are registered in the service sources" node tests/monitoring/check-metric-names.mjs --sources

echo "lint-chart: $passed passed, $failed failed"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
