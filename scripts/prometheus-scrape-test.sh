#!/usr/bin/env bash
# A real Prometheus (Debian `prometheus`) scrapes the locally running suite:
#   1. plays the README story with `scripts/run.sh --keep` (NATS, Redis, planner, two
#      publishers, listener, metrics on loopback), and finds the services' /metrics;
#   2. starts Prometheus with a generated config (job="carecast-<service>", as the
#      chart's ServiceMonitor names them) and deploy/monitoring/rules loaded;
#   3. checks: every target is up; every recording and alerting rule is loaded and
#      evaluates without error; queries return the figures the story produced
#      (one post published exactly once per channel, objective progress, the mention in the
#      inbox); a crisis raised while Prometheus watches fires CareCastCrisisAlertRaised;
#      every dashboard query is valid PromQL; every metric name the dashboards and
#      rules use exists on the live /metrics.
# usage: scripts/prometheus-scrape-test.sh   ($CARECAST_BIN_DIR: the build, default build/ci)
# Prints PASS/FAIL per check and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
export CARECAST_BIN_DIR=${CARECAST_BIN_DIR:-$ROOT/build/ci}
WORK=$(mktemp -d /tmp/carecast-prom.XXXXXX)
export CARECAST_RUN_DIR=$WORK/run
RULES=$ROOT/deploy/monitoring/rules/carecast.rules.yml

passed=0; failed=0
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() {
  echo "prometheus-scrape-test: $passed passed, $failed failed"
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]; exit
}

RUN_PID=""; PROM_PID=""
cleanup() {
  [[ -n $PROM_PID ]] && kill "$PROM_PID" 2>/dev/null
  if [[ -n $RUN_PID ]]; then
    kill -TERM "$RUN_PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$RUN_PID" 2>/dev/null
  fi
  wait 2>/dev/null
  if [[ $failed -gt 0 && -d $WORK ]]; then
    echo "--- logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

command -v prometheus >/dev/null || { fail "prometheus is not installed (apt-get install prometheus)"; finish; }
scripts/install-ops-tools.sh >/dev/null || { fail "cannot install the ops tools"; finish; }

# --- 1. the story, left running ------------------------------------------------------
scripts/run.sh --keep --no-install --no-build >"$WORK/story.log" 2>&1 &
RUN_PID=$!
ready=0
for _ in $(seq 2400); do  # up to 4 minutes
  grep -q 'press Ctrl-C to stop' "$WORK/story.log" && { ready=1; break; }
  kill -0 "$RUN_PID" 2>/dev/null || break
  sleep 0.1
done
if [[ $ready -eq 1 ]]; then pass "the story ran and the suite keeps running"; else
  fail "the story did not complete: $(tail -5 "$WORK/story.log" | tr '\n' ' ')"; finish; fi

# The services are run.sh's children; their listening ports that serve /metrics are
# the scrape targets (the other port of each is gRPC).
declare -A TARGETS=()   # job -> "host:port host:port"
while read -r pid; do
  exe=$(basename "$(readlink -f "/proc/$pid/exe" 2>/dev/null)")
  [[ $exe == carecast-* ]] || continue
  for port in $(ss -ltnpH 2>/dev/null | awk -v p="pid=$pid," 'index($0, p) { n = split($4, a, ":"); print a[n] }' | sort -u); do
    body=$(curl -sf --max-time 2 "http://127.0.0.1:$port/metrics" 2>/dev/null) || continue
    if grep -q '^# TYPE' <<<"$body"; then
      TARGETS[$exe]="${TARGETS[$exe]:-} 127.0.0.1:$port"
    fi
  done
done < <(pgrep -P "$RUN_PID")
n_targets=0
for job in "${!TARGETS[@]}"; do for _ in ${TARGETS[$job]}; do n_targets=$((n_targets + 1)); done; done
if [[ ${#TARGETS[@]} -eq 4 ]]; then
  pass "found /metrics of the 4 services ($n_targets targets: $(for j in "${!TARGETS[@]}"; do printf '%s=[%s] ' "$j" "${TARGETS[$j]# }"; done))"
else
  fail "expected /metrics of 4 services, found: ${!TARGETS[*]}"; finish
fi

# --- 2. Prometheus -------------------------------------------------------------------------
port_from() { local p=$1; while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done; echo "$p"; }
PROM_PORT=$(port_from 19090)
PROM=http://127.0.0.1:$PROM_PORT
{
  echo "global:"
  echo "  scrape_interval: 1s"
  echo "  evaluation_interval: 1s"
  echo "rule_files:"
  echo "  - $RULES"
  echo "scrape_configs:"
  for exe in $(printf '%s\n' "${!TARGETS[@]}" | sort); do
    echo "  - job_name: $exe"
    echo "    static_configs:"
    echo "      - targets: [$(echo ${TARGETS[$exe]} | sed 's/ /, /g')]"
  done
} > "$WORK/prometheus.yml"
promtool check config "$WORK/prometheus.yml" >"$WORK/promtool.log" 2>&1 \
  && pass "generated Prometheus config is valid (promtool check config)" \
  || { fail "promtool check config: $(tail -3 "$WORK/promtool.log")"; finish; }
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!

api() { curl -sf --max-time 5 "$PROM/api/v1/$1"; }
q() { curl -sf --max-time 5 --data-urlencode "query=$1" "$PROM/api/v1/query" | jq -c "${2:-.data.result}"; }

up=0
for _ in $(seq 300); do  # 30 s
  body=$(api targets) && up=$(jq '[.data.activeTargets[] | select(.health == "up")] | length' <<<"$body")
  [[ ${up:-0} -eq $n_targets ]] && break
  sleep 0.1
done
[[ ${up:-0} -eq $n_targets ]] && pass "all $n_targets targets are up" \
  || fail "targets up: ${up:-0}/$n_targets: $(api targets | jq -c '[.data.activeTargets[] | {job: .labels.job, health, lastError}]')"

# --- 3. rules ---------------------------------------------------------------------------------
expected_rules=$(promtool check rules "$RULES" | sed -n 's/.*SUCCESS: \([0-9]*\) rules found.*/\1/p')
ok_rules=0
for _ in $(seq 150); do  # 15 s: every rule evaluated at least once, without error
  body=$(api rules) || { sleep 0.1; continue; }
  total_rules=$(jq '[.data.groups[].rules[]] | length' <<<"$body")
  ok_rules=$(jq '[.data.groups[].rules[] | select(.health == "ok")] | length' <<<"$body")
  [[ $total_rules -eq $expected_rules && $ok_rules -eq $expected_rules ]] && break
  sleep 0.1
done
groups=$(api rules | jq -r '[.data.groups[].name] | sort | join(",")')
[[ $groups == "carecast.alerts,carecast.recording" ]] && pass "rule groups loaded: $groups" || fail "rule groups loaded: '$groups'"
[[ $ok_rules -eq $expected_rules ]] && pass "all $expected_rules rules evaluate without error (health ok)" \
  || fail "rules healthy: $ok_rules/$expected_rules: $(api rules | jq -c '[.data.groups[].rules[] | select(.health != "ok") | {name, health, lastError}]')"
alerts=$(api rules | jq '[.data.groups[].rules[] | select(.type == "alerting")] | length')
[[ $alerts -ge 8 ]] && pass "$alerts alerting rules loaded" || fail "only $alerts alerting rules loaded"

# --- 4. the figures the story produced ---------------------------------------------------------
wait_value() {  # description expr jq-condition
  local v
  for _ in $(seq 150); do
    v=$(q "$2" '.data.result | map(.value[1] | tonumber)') && [[ $(jq "$3" <<<"${v:-[]}") == true ]] && { pass "$1 (got $v)"; return; }
    sleep 0.1
  done
  fail "$1: query $2 returned ${v:-nothing}"
}
wait_value "every service reports up" 'sum(up{job=~"carecast-.*"})' ". == [$n_targets]"
wait_value "the publishers published the story's sandbox post exactly once" \
  'sum(carecast_publisher_posts_published_total{job="carecast-publisher",network="sandbox"})' '. == [1]'
wait_value "the publishers published the story's Mastodon post and its reply to a question, each once" \
  'sum(carecast_publisher_posts_published_total{job="carecast-publisher",network="mastodon"})' '. == [2]'
wait_value "the listener counts the story's reply as sent and its unsafe draft as refused" \
  'sum by (outcome) (carecast_listener_replies_total{job="carecast-listener",outcome=~"sent|refused"})' '. == [1, 1]'
wait_value "the metrics service counts one sandbox post published" \
  'max(carecast_posts_published_total{job="carecast-metrics",network="sandbox"})' '. == [1]'
wait_value "the objective shows progress (1 of 4 posts)" \
  'max(carecast_objective_progress_ratio{job="carecast-metrics"})' '.[0] > 0 and .[0] <= 1'
wait_value "the story's mention was classified" 'sum(carecast_mentions_total{job="carecast-metrics"})' '.[0] >= 1'
wait_value "the mention is in the inbox" 'max(carecast_inbox_open_items{job="carecast-metrics"})' '.[0] >= 1'
wait_value "the listener accepted the mention" 'sum(carecast_listener_mentions_received_total{job="carecast-listener"})' '.[0] >= 1'
wait_value "every instance is connected to NATS" 'sum(carecast_bus_connected{job=~"carecast-.*"})' ". == [$n_targets]"
wait_value "both publishers report the lag of their shared durable consumer" \
  'count(carecast_bus_consumer_pending_messages{job="carecast-publisher",stream="CARECAST_EVENTS",consumer="publisher"})' '. == [2]'
wait_value "the metrics service's own consumer has caught up with the stream" \
  'max(carecast_bus_consumer_pending_messages{job="carecast-metrics",consumer="ephemeral-metrics"})' '. == [0]'
wait_value "every Redis user is connected to Redis" \
  'count(carecast_redis_connected{job=~"carecast-.*"} == 1) - count(up{job=~"carecast-(planner|publisher|listener)"})' '. == [0]'
wait_value "the Redis round trips of the story were timed" \
  'sum(carecast_redis_command_seconds_count{job=~"carecast-.*"})' '.[0] > 0'
wait_value "recording rule job:grpc_server_handled:rate5m has a series for the planner" \
  'job:grpc_server_handled:rate5m{job="carecast-planner"}' 'length == 1'
wait_value "both publishers export the demonstration token's expiry (30 days ahead)" \
  'count(carecast_channel_token_expiry_timestamp_seconds{job="carecast-publisher",network="sandbox",spoke="st-marys"} - time() > 29 * 86400 < 31 * 86400)' '. == [2]'
leaked=0
for t in ${TARGETS[carecast-publisher]}; do
  curl -sf --max-time 2 "http://$t/metrics" | grep -q 'demonstration-only-not-a-token' && leaked=1
done
[[ $leaked -eq 0 ]] && pass "the channel token's value is not on the publishers' /metrics" \
  || fail "a publisher's /metrics shows the channel token's value"
wait_value "no service-down alert is firing" \
  'count(ALERTS{alertname=~"CareCast(Service|Instance)Down",alertstate="firing"}) or vector(0)' '. == [0]'
# --- 4b. a crisis while Prometheus watches: the crisis alert rule fires -------------------------
# The story's lockdown alert was raised before Prometheus started, so its counter
# never rose under Prometheus's eyes. Three mentions of another crisis term (the
# story added "evacuation" to the tracked keywords at run time) raise a new one
# when the spike detector's one-minute interval closes.
LISTENER_HTTP=${TARGETS[carecast-listener]# }
LISTENER_HTTP=${LISTENER_HTTP%% *}
HOOK=$("$CARECAST_BIN_DIR/tools/carecastctl/carecastctl" token --key "$CARECAST_RUN_DIR/keys/jwt.key" \
  --sub social-webhook --roles service --spokes '*' --ttl 10m)
for i in 1 2 3; do
  curl -sf -o /dev/null -X POST "http://$LISTENER_HTTP/v1/mentions" \
    -H "Authorization: Bearer $HOOK" -H 'Content-Type: application/json' \
    -d "{\"network\":\"x\",\"external_id\":\"17900000000000009$i\",\"author_handle\":\"@witness$i\",\"text\":\"Smoke at St Marys, is that an evacuation?? ($i)\",\"create_time\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}" \
    || fail "the listener refused a crisis mention"
done
crisis=0
for _ in $(seq 1200); do  # up to 2 minutes: the interval closes, then Prometheus scrapes and evaluates
  crisis=$(q 'count(ALERTS{alertname="CareCastCrisisAlertRaised",alertstate="firing"}) or vector(0)' \
    '.data.result | map(.value[1] | tonumber) | .[0]') && [[ ${crisis:-0} -ge 1 ]] && break
  sleep 0.1
done
[[ ${crisis:-0} -ge 1 ]] && pass "CareCastCrisisAlertRaised fires on a live crisis (three 'evacuation' mentions in one interval)" \
  || fail "CareCastCrisisAlertRaised did not fire: raised=$(q 'sum(carecast_alerts_raised_total{job="carecast-metrics"})' '.data.result | map(.value[1])')"

firing=$(curl -sf --max-time 5 --data-urlencode 'query=ALERTS{alertstate="firing"}' "$PROM/api/v1/query" \
  | jq -r '[.data.result[].metric.alertname] | unique | join(",")')
echo "     (alerts firing after the story: ${firing:-none})"

# --- 5. dashboards against the live suite ------------------------------------------------------
urls=()
for job in "${!TARGETS[@]}"; do for t in ${TARGETS[$job]}; do urls+=("http://$t/metrics"); done; done
# Every name must be on the live /metrics: the services create their labelled series
# at zero for every known label value (failure reasons, consumers, Redis commands),
# so a name the story never exercised still has a series.
if node tests/monitoring/check-metric-names.mjs "${urls[@]}" >"$WORK/names.log" 2>&1; then
  pass "$(tail -1 "$WORK/names.log")"
else
  fail "dashboard/rule metric names missing from the live /metrics:"; sed 's/^/    /' "$WORK/names.log"
fi
if node tests/monitoring/query-dashboards.mjs "$PROM" >"$WORK/queries.log" 2>&1; then
  pass "$(head -1 "$WORK/queries.log")"
else
  fail "Prometheus rejects dashboard/rule queries:"; sed 's/^/    /' "$WORK/queries.log" | head -30
fi

finish
