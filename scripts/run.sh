#!/usr/bin/env bash
# Runs CareCast on this machine and plays a short story through it:
#   a strategist sets an objective, a writer drafts, a reviewer approves, a post is
#   scheduled a few seconds ahead and published to the sandbox (two publishers race
#   for it; it goes out once), a mention arrives and lands in the inbox, and the
#   metrics show it all. The same post also goes to a local server that speaks
#   Mastodon's API (carecast-fake-network), through the real Mastodon adapter; a
#   question asked there (which the listener reads from the account's
#   notifications) is answered in its thread, after the outgoing guard
#   refused an unsafe draft and a second responder approved the safe one.
# Starts nats-server (JetStream) and redis-server on loopback, then the four
# services. Needs no credentials: a signing key for the local users is made here.
#
#   scripts/run.sh            install what is missing, build, run the story, stop
#   scripts/run.sh --keep     leave everything running afterwards (Ctrl-C stops it)
#   scripts/run.sh --cluster  the same story on a three-node JetStream cluster
#                             (three nats-server processes, R3 streams and buckets)
#   --no-install / --no-build skip those steps (used by the test suite)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

KEEP=0; INSTALL=1; BUILD=1; CLUSTER=0
for arg in "$@"; do
  case "$arg" in
    --keep) KEEP=1 ;;
    --cluster) CLUSTER=1 ;;
    --no-install) INSTALL=0 ;;
    --no-build) BUILD=0 ;;
    *) echo "usage: scripts/run.sh [--keep] [--cluster] [--no-install] [--no-build]" >&2; exit 2 ;;
  esac
done

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }

if [[ $INSTALL -eq 1 ]]; then say "Installing what is missing"; scripts/install-deps.sh; fi
if [[ $BUILD -eq 1 ]]; then say "Building (first build takes a while; ccache makes later ones quick)"; scripts/build.sh; fi

BIN=${CARECAST_BIN_DIR:-$ROOT/build/ci}
CTL="$BIN/tools/carecastctl/carecastctl"
FAKE_NETWORK="$BIN/tests/support/fake_networks/carecast-fake-network"
for b in "$CTL" "$BIN/services/planner/carecast-planner" "$BIN/services/publisher/carecast-publisher" \
         "$BIN/services/listener/carecast-listener" "$BIN/services/metrics/carecast-metrics" "$FAKE_NETWORK"; do
  [[ -x "$b" ]] || { echo "run.sh: $b is missing; build first (scripts/build.sh)" >&2; exit 1; }
done

RUN=${CARECAST_RUN_DIR:-$ROOT/.run/local}
rm -rf "$RUN"; mkdir -p "$RUN"/{logs,nats,sandbox,keys,channels}

# A port that nothing listens on, starting from $1.
port_from() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

PIDS=()
cleanup() {
  local code=$?
  if [[ ${#PIDS[@]} -gt 0 ]]; then
    kill -TERM "${PIDS[@]}" 2>/dev/null || true
    for _ in $(seq 50); do
      alive=0; for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
      [[ $alive -eq 0 ]] && break; sleep 0.1
    done
    kill -KILL "${PIDS[@]}" 2>/dev/null || true
  fi
  exit $code
}
trap cleanup EXIT INT TERM

NATS_PORT=$(port_from 14222)
# Debian installs nats-server in /usr/sbin, which is not on every user's PATH.
NATS_SERVER=$(command -v nats-server || echo /usr/sbin/nats-server)
REDIS_PORT=$(port_from 16379)
if [[ $CLUSTER -eq 0 ]]; then
  say "Starting nats-server (JetStream) on 127.0.0.1:$NATS_PORT and redis-server on 127.0.0.1:$REDIS_PORT"
  "$NATS_SERVER" -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$RUN/nats" >"$RUN/logs/nats-server.log" 2>&1 &
  PIDS+=($!)
  NATS_URLS="nats://127.0.0.1:$NATS_PORT"
  export CARECAST_STREAM_REPLICAS=1
else
  # Three nodes: client, cluster and monitoring ports of their own, routes to the others.
  NODE_PORTS=(); ROUTE_PORTS=(); MONITOR_PORTS=()
  p=$NATS_PORT
  for i in 0 1 2; do
    NODE_PORTS+=("$(port_from "$p")"); p=$((${NODE_PORTS[$i]} + 1))
  done
  p=$((NATS_PORT + 1000))
  for i in 0 1 2; do ROUTE_PORTS+=("$(port_from "$p")"); p=$((${ROUTE_PORTS[$i]} + 1)); done
  p=$((NATS_PORT + 2000))
  for i in 0 1 2; do MONITOR_PORTS+=("$(port_from "$p")"); p=$((${MONITOR_PORTS[$i]} + 1)); done
  ROUTES=$(printf 'nats-route://127.0.0.1:%s,' "${ROUTE_PORTS[@]}"); ROUTES=${ROUTES%,}
  say "Starting a three-node JetStream cluster (client ports ${NODE_PORTS[*]}) and redis-server on 127.0.0.1:$REDIS_PORT"
  for i in 0 1 2; do
    "$NATS_SERVER" -js -a 127.0.0.1 -p "${NODE_PORTS[$i]}" -m "${MONITOR_PORTS[$i]}" \
      -n "n$i" -sd "$RUN/nats-n$i" --cluster_name carecast-local \
      --cluster "nats://127.0.0.1:${ROUTE_PORTS[$i]}" --routes "$ROUTES" \
      >"$RUN/logs/nats-server-n$i.log" 2>&1 &
    PIDS+=($!)
  done
  NATS_URLS=$(printf 'nats://127.0.0.1:%s,' "${NODE_PORTS[@]}"); NATS_URLS=${NATS_URLS%,}
  export CARECAST_STREAM_REPLICAS=3
  # Services refuse to start before the cluster can place a stream on three
  # nodes: wait until every node reports the meta leader and three peers.
  for _ in $(seq 300); do
    ready=0
    for m in "${MONITOR_PORTS[@]}"; do
      jsz=$(curl -sf "http://127.0.0.1:$m/jsz" 2>/dev/null || true)
      if [[ $jsz == *'"leader":'* && $jsz == *'"cluster_size": 3'* ]]; then ready=$((ready + 1)); fi
    done
    [[ $ready -eq 3 ]] && break
    sleep 0.1
  done
  [[ $ready -eq 3 ]] || { echo "run.sh: the JetStream cluster did not form (logs: $RUN/logs/)" >&2; exit 1; }
  note "cluster formed: meta leader elected, three peers"
fi
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  >"$RUN/logs/redis-server.log" 2>&1 &
PIDS+=($!)

# The local users' signing key (ES256). Services get only the public half.
openssl ecparam -name prime256v1 -genkey -noout -out "$RUN/keys/jwt.key" 2>/dev/null
openssl ec -in "$RUN/keys/jwt.key" -pubout -out "$RUN/keys/jwt.pub" 2>/dev/null
chmod 600 "$RUN/keys/jwt.key"

export CARECAST_NATS_URL="$NATS_URLS"
export CARECAST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export CARECAST_JWT_PUBLIC_KEY_FILE="$RUN/keys/jwt.pub"
export CARECAST_BIND_ADDRESS=127.0.0.1
export CARECAST_SANDBOX_DIR="$RUN/sandbox"
export CARECAST_TRACKED_KEYWORDS="st marys,flu shot,#fluseason,emergency room,lockdown"

# A demonstration channel token file, so the publishers' token expiry watcher runs
# (and its metrics exist) as with real channel accounts. The sandbox needs no token:
# this one is a placeholder that nothing uses, expiring in 30 days.
cat >"$RUN/channels/sandbox.st-marys.sandbox-main.json" <<EOF
{"network": "sandbox", "account": "spokes/st-marys/accounts/sandbox-main",
 "access_token": "demonstration-only-not-a-token",
 "expires_at": "$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)"}
EOF

# A local server that speaks Mastodon's API (statuses, idempotency keys, rate-limit
# headers), standing in for a hospital's Mastodon instance, and its account token.
say "Starting a local Mastodon-compatible server (carecast-fake-network mastodon)"
"$FAKE_NETWORK" mastodon --port-file "$RUN/mastodon.port" >"$RUN/logs/fake-mastodon.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [[ -s "$RUN/mastodon.port" ]] && break; sleep 0.05; done
MASTODON_URL="http://127.0.0.1:$(cat "$RUN/mastodon.port")"
export CARECAST_CHANNEL_MASTODON_BASE_URL="$MASTODON_URL"
# The key that seals refreshed channel tokens in NATS (a Secret in a cluster).
openssl rand -hex 32 >"$RUN/keys/token-sealing.key"; chmod 600 "$RUN/keys/token-sealing.key"
export CARECAST_CHANNEL_TOKEN_SEALING_KEY_FILE="$RUN/keys/token-sealing.key"
# The key that signs calendar feed URLs (docs/cadence.md, "Subscribing").
printf 'story %s\n' "$(openssl rand -hex 32)" >"$RUN/keys/feed-tokens"; chmod 600 "$RUN/keys/feed-tokens"
export CARECAST_FEED_TOKEN_KEYS_FILE="$RUN/keys/feed-tokens"
# The secrets a hospital's Meta app shares with CareCast: the app secret signs
# every webhook delivery (X-Hub-Signature-256); the verify token answers Meta's
# subscription handshake.
openssl rand -hex 32 >"$RUN/keys/meta-app-secret"; openssl rand -hex 16 >"$RUN/keys/meta-verify-token"
chmod 600 "$RUN/keys/meta-app-secret" "$RUN/keys/meta-verify-token"
MASTODON_TOKEN="local-demo-mastodon-token"
cat >"$RUN/channels/mastodon.st-marys.mastodon-main.json" <<EOF
{"network": "mastodon", "account": "spokes/st-marys/accounts/mastodon-main",
 "access_token": "$MASTODON_TOKEN",
 "expires_at": "$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)"}
EOF
note "Mastodon API at $MASTODON_URL"

start() {  # name binary grpc_port http_port [extra env...]
  local name=$1 bin=$2 gport=$3 hport=$4; shift 4
  env CARECAST_GRPC_PORT="$gport" CARECAST_HTTP_PORT="$hport" "$@" "$bin" >"$RUN/logs/$name.log" 2>&1 &
  PIDS+=($!)
}
# Below Linux's ephemeral range (32768-60999): a port up there can be taken by any
# outgoing connection between this check and the service's bind.
P_GRPC=$(port_from 15051); L_GRPC=$(port_from 15061); M_GRPC=$(port_from 15071)
PUB1_GRPC=$(port_from 15081); PUB2_GRPC=$(port_from $((PUB1_GRPC + 1)))
P_HTTP=$(port_from 9101); L_HTTP=$(port_from 9111); M_HTTP=$(port_from 9121)
PUB1_HTTP=$(port_from 9131); PUB2_HTTP=$(port_from $((PUB1_HTTP + 1)))

# Give nats-server and redis-server a moment to listen; the services also retry.
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$NATS_PORT") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null && break
  sleep 0.1
done

say "Starting planner, two publishers, listener and metrics (logs: $RUN/logs/)"
export CARECAST_FEED_BASE_URL="http://127.0.0.1:$P_HTTP"
start planner "$BIN/services/planner/carecast-planner" "$P_GRPC" "$P_HTTP"
# Engagement is read at a demo's pace: every 5 s in a post's first 10 minutes
# (production: every 10 minutes in its first hour; docs/measurement.md).
ENGAGEMENT=(CARECAST_ENGAGEMENT_TICK=1s "CARECAST_ENGAGEMENT_SCHEDULE=10m:5s,1h:1m,28d:24h"
            CARECAST_FOLLOWERS_INTERVAL=1m)
start publisher-1 "$BIN/services/publisher/carecast-publisher" "$PUB1_GRPC" "$PUB1_HTTP" CARECAST_PUBLISHER_ID=publisher-1 \
  CARECAST_CHANNEL_SECRETS_DIR="$RUN/channels" "${ENGAGEMENT[@]}"
start publisher-2 "$BIN/services/publisher/carecast-publisher" "$PUB2_GRPC" "$PUB2_HTTP" CARECAST_PUBLISHER_ID=publisher-2 \
  CARECAST_CHANNEL_SECRETS_DIR="$RUN/channels" "${ENGAGEMENT[@]}"
# The listener reads St Marys' Mastodon notifications itself, every second
# (production: 30 s), from a cursor it stores (docs/listening.md, "Mention sources").
printf '%s\n' "$MASTODON_TOKEN" >"$RUN/keys/mastodon-read-token"
cat >"$RUN/listener-sources.json" <<EOF
{"sources": [{"name": "mastodon-st-marys", "kind": "mastodon_notifications", "url": "$MASTODON_URL",
  "token_file": "$RUN/keys/mastodon-read-token", "account": "spokes/st-marys/accounts/mastodon-main",
  "period": "1s"}]}
EOF
start listener "$BIN/services/listener/carecast-listener" "$L_GRPC" "$L_HTTP" \
  CARECAST_LISTENER_META_APP_SECRET_FILE="$RUN/keys/meta-app-secret" \
  CARECAST_LISTENER_META_VERIFY_TOKEN_FILE="$RUN/keys/meta-verify-token" \
  CARECAST_LISTENER_SOURCES_FILE="$RUN/listener-sources.json"
# "lockdown" is a crisis term: three mentions in one interval raise a severe alert.
# One-minute intervals so the story sees it (production: 15 minutes).
start metrics "$BIN/services/metrics/carecast-metrics" "$M_GRPC" "$M_HTTP" \
  CARECAST_CRISIS_TERMS=lockdown,evacuation CARECAST_SPIKE_INTERVAL=1m CARECAST_SPIKE_TICK=1s

export CARECAST_PLANNER_ADDR="127.0.0.1:$P_GRPC" CARECAST_PUBLISHER_ADDR="127.0.0.1:$PUB1_GRPC"
export CARECAST_LISTENER_ADDR="127.0.0.1:$L_GRPC" CARECAST_METRICS_ADDR="127.0.0.1:$M_GRPC"
for addr in "$CARECAST_PLANNER_ADDR" "127.0.0.1:$PUB1_GRPC" "127.0.0.1:$PUB2_GRPC" \
            "$CARECAST_LISTENER_ADDR" "$CARECAST_METRICS_ADDR"; do
  ok=0
  for _ in $(seq 150); do "$CTL" health "$addr" >/dev/null 2>&1 && { ok=1; break; }; sleep 0.1; done
  [[ $ok -eq 1 ]] || { echo "run.sh: the service at $addr did not become healthy; see $RUN/logs/" >&2; tail -n 5 "$RUN"/logs/*.log >&2; exit 1; }
done
note "all services report SERVING"

# The third argument is the token's spokes claim: "*" for the hub's people, a
# spoke id for a hospital's own team (docs/security.md, "Spokes").
token() { "$CTL" token --key "$RUN/keys/jwt.key" --sub "$1" --roles "$2" --spokes "$3" --ttl 1h; }
SAM=$(token sam strategist '*')
WENDY=$(token wendy content_developer st-marys)
RITA=$(token rita compliance_reviewer st-marys)
PAUL=$(token paul publisher st-marys)
RAY=$(token ray responder st-marys)
RUTH=$(token ruth responder st-marys)
HOOK=$(token social-webhook service '*')
as() { local t=$1; shift; CARECAST_TOKEN=$t "$CTL" "$@"; }
show() { jq -C "${1:-.}"; }
iso() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }

say "Three people post about a lockdown at St Marys within a minute: a crisis term"
for i in 1 2 3; do
  curl -sS -o /dev/null -X POST "http://127.0.0.1:$L_HTTP/v1/mentions" \
    -H "Authorization: Bearer $HOOK" -H 'Content-Type: application/json' \
    -d "{\"network\":\"x\",\"external_id\":\"17900000000000001$i\",\"author_handle\":\"@neighbour$i\",\"text\":\"Police cars everywhere, is St Marys on lockdown?? ($i)\",\"create_time\":\"$(iso 'now')\"}"
done
note "the metrics service's spike detector will raise an alert when this minute closes"

say "Sam (strategist) registers a hospital, its sandbox account and an objective"
as "$SAM" planner CreateSpoke '{"spoke":{"display_name":"St Mary Hospital"},"spoke_id":"st-marys","request_id":"story-spoke"}' | show '.spoke.name'
as "$SAM" planner CreateAccount '{"parent":"spokes/st-marys","account":{"network":"NETWORK_SANDBOX","handle":"@stmarys","time_zone":"America/Chicago"},"account_id":"sandbox-main","request_id":"story-account"}' | show '.account | {name, network, handle}'
as "$SAM" planner CreateAccount '{"parent":"spokes/st-marys","account":{"network":"NETWORK_MASTODON","handle":"@stmarys@social.example","time_zone":"America/Chicago"},"account_id":"mastodon-main","request_id":"story-account-mastodon"}' | show '.account | {name, network, handle}'
as "$SAM" planner CreateObjective "{\"objective\":{\"display_name\":\"Flu-shot awareness: 4 posts this week\",\"kpi\":\"KPI_POSTS_PUBLISHED\",\"target\":4,\"start_time\":\"$(iso '-1 hour')\",\"end_time\":\"$(iso '+7 days')\",\"network\":\"NETWORK_SANDBOX\"},\"objective_id\":\"flu-awareness\",\"request_id\":\"story-objective\"}" | show '.objective | {name, kpi, target}'

as "$SAM" planner CreateObjective "{\"objective\":{\"display_name\":\"Flu-shot reach: 1,000 impressions this week\",\"kpi\":\"KPI_REACH\",\"target\":1000,\"start_time\":\"$(iso '-1 hour')\",\"end_time\":\"$(iso '+7 days')\",\"network\":\"NETWORK_SANDBOX\"},\"objective_id\":\"flu-reach\",\"request_id\":\"story-objective-reach\"}" | show '.objective | {name, kpi, target}'

say "Wendy (writer) drafts a post with a variant per channel (on Mastodon, a thread of two)"
CONTENT=$(as "$WENDY" planner CreateContent '{"content":{"title":"Flu shots","text":"Flu season is here. Walk-in flu shots at St Mary, weekdays 8-6. #fluseason","spoke":"spokes/st-marys","objectives":["objectives/flu-awareness"],"variants":[{"network":"NETWORK_X","text":"Flu season is here: walk-in flu shots at St Mary, weekdays 8-6. #fluseason"},{"network":"NETWORK_FACEBOOK","text":"Flu season is here. Protect yourself and your family: walk-in flu shots at St Mary, weekdays 8am-6pm, no appointment needed."},{"network":"NETWORK_LINKEDIN","text":"Our teams at St Mary are ready for flu season: walk-in flu shots weekdays 8am-6pm."},{"network":"NETWORK_SANDBOX","text":"Flu season is here: walk-in flu shots at St Mary, weekdays 8-6. #fluseason"},{"network":"NETWORK_MASTODON","text":"Flu season is here. Walk-in flu shots at St Mary, weekdays 8am-6pm, no appointment needed. #fluseason 1/2","thread_parts":["Who should get one? Everyone over six months old, and above all anyone over 65, pregnant, or living with a long-term condition. #publichealth 2/2"]}]},"request_id":"story-content"}')
echo "$CONTENT" | show '.content | {name, state, version, content_hash}'
CONTENT_NAME=$(echo "$CONTENT" | jq -r .content.name)
as "$WENDY" planner SubmitContent "{\"name\":\"$CONTENT_NAME\",\"request_id\":\"story-submit\"}" | show '.content.state'

say "Wendy tries to approve her own post: the role table says no"
as "$WENDY" planner ApproveContent "{\"name\":\"$CONTENT_NAME\",\"version\":1}" 2>&1 | sed 's/^/    /' || true

say "A second draft quotes a patient's phone number: the guard stops its approval"
RISKY=$(as "$WENDY" planner CreateContent '{"content":{"title":"Thank you","text":"Thanks to our patient for the kind words! Call her at 312-555-0199 to hear more.","spoke":"spokes/st-marys","variants":[{"network":"NETWORK_SANDBOX","text":"Thanks to our patient! Call her at 312-555-0199."}]},"request_id":"story-risky"}' | jq -r .content.name)
as "$WENDY" planner SubmitContent "{\"name\":\"$RISKY\"}" >/dev/null
as "$RITA" planner ApproveContent "{\"name\":\"$RISKY\",\"version\":1}" 2>&1 | sed 's/^/    /' || true

say "Rita (compliance reviewer) approves version 1 of the flu-shot post"
as "$RITA" planner ApproveContent "{\"name\":\"$CONTENT_NAME\",\"version\":1,\"request_id\":\"story-approve\"}" | show '.content | {state, approval}'

WHEN=$(iso '+5 seconds')
say "Paul (publisher) schedules it on the sandbox account for $WHEN"
POST=$(as "$PAUL" planner SchedulePost "{\"content\":\"$CONTENT_NAME\",\"account\":\"spokes/st-marys/accounts/sandbox-main\",\"publish_time\":\"$WHEN\",\"request_id\":\"story-schedule\"}")
echo "$POST" | show '.post | {name, state, publish_time}'
POST_NAME=$(echo "$POST" | jq -r .post.name)
say "... and on the hospital's Mastodon account at the same time"
MPOST=$(as "$PAUL" planner SchedulePost "{\"content\":\"$CONTENT_NAME\",\"account\":\"spokes/st-marys/accounts/mastodon-main\",\"publish_time\":\"$WHEN\",\"request_id\":\"story-schedule-mastodon\"}")
echo "$MPOST" | show '.post | {name, state, network, text, thread_parts}'
MPOST_NAME=$(echo "$MPOST" | jq -r .post.name)
as "$SAM" planner ListCalendar "{\"start_time\":\"$(iso '-1 minute')\",\"end_time\":\"$(iso '+1 day')\"}" | show '[.posts[] | {name, state, publish_time}]'

say "Waiting for the publishers (two of them race for the post)"
state=""
for _ in $(seq 300); do
  state=$(as "$PAUL" planner GetPost "{\"name\":\"$POST_NAME\"}" | jq -r .post.state)
  [[ "$state" == "POST_STATE_PUBLISHED" || "$state" == "POST_STATE_FAILED" || "$state" == "POST_STATE_NEEDS_HUMAN" ]] && break
  sleep 0.1
done
as "$PAUL" planner GetPost "{\"name\":\"$POST_NAME\"}" | show '.post | {state, claimed_by, external_id, publish_time, published_time}'
[[ "$state" == "POST_STATE_PUBLISHED" ]] || { echo "run.sh: the post ended in $state" >&2; exit 1; }
DELIVERED=$(grep -c "\"$POST_NAME\"" "$RUN/sandbox/deliveries.jsonl" || true)
note "the sandbox recorded $DELIVERED delivery of $POST_NAME ($RUN/sandbox/deliveries.jsonl)"
[[ "$DELIVERED" == "1" ]] || { echo "run.sh: expected exactly one delivery, found $DELIVERED" >&2; exit 1; }

say "People see the post: the sandbox network now reports its reach and the account's followers"
EXTERNAL_ID=$(as "$PAUL" planner GetPost "{\"name\":\"$POST_NAME\"}" | jq -r .post.external_id)
jq -nc --arg id "$EXTERNAL_ID" '{external_id: $id, impressions: 640, likes: 31, shares: 7, replies: 4, clicks: 18}' >>"$RUN/sandbox/audience.jsonl"
jq -nc '{account: "spokes/st-marys/accounts/sandbox-main", followers: 1520}' >>"$RUN/sandbox/audience.jsonl"
note "the publishers read it on their schedule and announce carecast.engagement.observed ($RUN/sandbox/audience.jsonl)"

say "The Mastodon post went out through the real HTTP adapter"
mstate=""
for _ in $(seq 300); do
  mstate=$(as "$PAUL" planner GetPost "{\"name\":\"$MPOST_NAME\"}" | jq -r .post.state)
  [[ "$mstate" == "POST_STATE_PUBLISHED" || "$mstate" == "POST_STATE_FAILED" || "$mstate" == "POST_STATE_NEEDS_HUMAN" ]] && break
  sleep 0.1
done
MPOST_NOW=$(as "$PAUL" planner GetPost "{\"name\":\"$MPOST_NAME\"}")
echo "$MPOST_NOW" | show '.post | {state, claimed_by, external_id, url, channel_progress}'
[[ "$mstate" == "POST_STATE_PUBLISHED" ]] || { echo "run.sh: the Mastodon post ended in $mstate" >&2; exit 1; }
ACCOUNT_ID=$(curl -sS -H "Authorization: Bearer $MASTODON_TOKEN" "$MASTODON_URL/api/v1/accounts/verify_credentials" | jq -r .id)
STATUSES=$(curl -sS -H "Authorization: Bearer $MASTODON_TOKEN" "$MASTODON_URL/api/v1/accounts/$ACCOUNT_ID/statuses")
echo "$STATUSES" | show '[.[] | {id, in_reply_to_id, created_at, content}]'
COUNT=$(echo "$STATUSES" | jq length)
HEAD_ID=$(echo "$MPOST_NOW" | jq -r .post.external_id)
REPLIES=$(echo "$STATUSES" | jq --arg head "$HEAD_ID" '[.[] | select(.in_reply_to_id == $head)] | length')
note "the Mastodon server holds $COUNT statuses for the account: the thread's first post and $REPLIES reply to it (two publishers raced; one create each)"
[[ "$COUNT" == "2" && "$REPLIES" == "1" ]] || { echo "run.sh: expected a thread of two Mastodon statuses, found $COUNT statuses and $REPLIES replies to the first" >&2; exit 1; }

say "Sam plans a campaign: who it speaks to, its pillars, and a cadence for the account"
as "$SAM" planner CreateAudience '{"audience":{"display_name":"Parents of young children","description":"Families with children under 5","locations":["South Chicago"],"networks":["NETWORK_SANDBOX","NETWORK_MASTODON"],"spoke":"spokes/st-marys"},"audience_id":"young-families","request_id":"story-audience"}' | show '.audience | {name, display_name}'
as "$SAM" planner CreateCampaign "{\"campaign\":{\"display_name\":\"Flu season\",\"objectives\":[\"objectives/flu-awareness\"],\"audiences\":[\"audiences/young-families\"],\"pillars\":[{\"id\":\"prevention\",\"display_name\":\"Prevention\"}],\"networks\":[\"NETWORK_SANDBOX\"],\"start_time\":\"$(iso '-1 hour')\",\"end_time\":\"$(iso '+60 days')\",\"spoke\":\"spokes/st-marys\"},\"campaign_id\":\"flu-season\",\"request_id\":\"story-campaign\"}" | show '.campaign | {name, pillars, version}'
as "$SAM" planner SetCadence "{\"cadence\":{\"name\":\"spokes/st-marys/accounts/sandbox-main/cadence\",\"slots\":[{\"rrule\":\"FREQ=DAILY;BYHOUR=9,13,17;BYMINUTE=0\",\"start_local_time\":\"$(TZ=America/Chicago date +%Y-%m-%d)T09:00:00\"}],\"daily_cap\":3},\"request_id\":\"story-cadence\"}" | show '.cadence | {name, time_zone, daily_cap}'
as "$SAM" planner GetCadence '{"name":"spokes/st-marys/accounts/sandbox-main/cadence","next_slot_count":3}' | show '.next_slots'

say "Wendy writes for the campaign's prevention pillar; Rita approves; Paul adds it to the queue"
QUEUED=$(as "$WENDY" planner CreateContent '{"content":{"title":"Handwashing","text":"Clean hands stop the flu. Wash for 20 seconds, every time.","spoke":"spokes/st-marys","campaign":"campaigns/flu-season","pillar":"prevention","variants":[{"network":"NETWORK_SANDBOX","text":"Clean hands stop the flu: 20 seconds, every time."}]},"request_id":"story-queued"}' | jq -r .content.name)
as "$WENDY" planner SubmitContent "{\"name\":\"$QUEUED\"}" >/dev/null
as "$RITA" planner ListContents '{"spoke":"spokes/st-marys","states":["CONTENT_STATE_IN_REVIEW"]}' | show '[.contents[] | {name, title, campaign, pillar}]'
as "$RITA" planner ApproveContent "{\"name\":\"$QUEUED\",\"version\":1}" >/dev/null
as "$PAUL" planner AddToQueue "{\"content\":\"$QUEUED\",\"accounts\":[\"spokes/st-marys/accounts/sandbox-main\"],\"request_id\":\"story-queue\"}" | show '[.placements[] | {account, slot: .post.publish_time, campaign: .post.campaign, code}]'

say "The flu-shot post joins the evergreen library; recycling fills the next empty slot"
as "$SAM" planner CreateEvergreenItem "{\"item\":{\"content\":\"$CONTENT_NAME\",\"accounts\":[\"spokes/st-marys/accounts/sandbox-main\"],\"cooldown\":\"172800s\",\"max_repeats\":6,\"review_expire_time\":\"$(iso '+90 days')\",\"on_review_expiry\":\"REVIEW_EXPIRY_ACTION_REVIEW\"},\"request_id\":\"story-evergreen\"}" | show '.item | {name, state}'
as "$PAUL" planner RecycleEvergreen '{"accounts":["spokes/st-marys/accounts/sandbox-main"]}' | show '[.posts[] | {name, publish_time, evergreen_item}]'
as "$PAUL" planner ListQueue '{"account":"spokes/st-marys/accounts/sandbox-main"}' | show '[.posts[] | {name, publish_time, queued, evergreen_item}]'

say "A patient agrees to share her story: Rita records the consent, and the story goes through"
as "$RITA" planner CreatePatientAuthorization "{\"authorization\":{\"spoke\":\"spokes/st-marys\",\"subject_label\":\"Cardiac rehab story\",\"networks\":[\"NETWORK_SANDBOX\"],\"expire_time\":\"$(iso '+180 days')\",\"form_reference\":\"consent-system://forms/2026-0412\"},\"authorization_id\":\"cardiac-story\",\"request_id\":\"story-consent\"}" | show '.authorization | {name, state, networks, expire_time}'
STORY=$(as "$WENDY" planner CreateContent '{"content":{"title":"Back to running","text":"Maria Lopez was treated for a heart attack at St Mary in March. Today she ran her first 5K.","spoke":"spokes/st-marys","features_patient":true,"patient_authorization":"patientAuthorizations/cardiac-story","variants":[{"network":"NETWORK_SANDBOX","text":"Maria Lopez was treated for a heart attack at St Mary. Today she ran her first 5K!"}]},"request_id":"story-patient"}' | jq -r .content.name)
as "$WENDY" planner SubmitContent "{\"name\":\"$STORY\"}" >/dev/null
as "$RITA" planner ApproveContent "{\"name\":\"$STORY\",\"version\":1}" | show '.content | {name, state, features_patient, patient_authorization}'
SPOST=$(as "$PAUL" planner SchedulePost "{\"content\":\"$STORY\",\"account\":\"spokes/st-marys/accounts/sandbox-main\",\"publish_time\":\"$(iso '+2 days')\",\"request_id\":\"story-patient-post\"}" | jq -r .post.name)
say "She withdraws her consent: the post that has not gone out is cancelled"
as "$RITA" planner RevokePatientAuthorization '{"name":"patientAuthorizations/cardiac-story","reason":"the patient withdrew consent by phone","request_id":"story-revoke"}' | show '{state: .authorization.state, cancelled_posts, takedown_tasks: (.takedown_tasks // [] | length)}'
sstate=$(as "$PAUL" planner GetPost "{\"name\":\"$SPOST\"}" | jq -r .post.state)
[[ "$sstate" == "POST_STATE_CANCELLED" ]] || { echo "run.sh: the patient's post is $sstate after the revocation" >&2; exit 1; }

say "The spoke's calendar as an iCalendar feed, for Outlook or Google Calendar"
FEED_URL=$(as "$SAM" planner GetCalendarFeed '{"spoke":"spokes/st-marys"}' | jq -r .url)
note "subscribe to: ${FEED_URL%%token=*}token=..."
FEED=$(curl -sS "$FEED_URL")
note "$(echo "$FEED" | grep -c '^BEGIN:VEVENT') events: $(echo "$FEED" | grep -c '^RRULE') slot series, posts and blackouts"
echo "$FEED" | grep -E '^(SUMMARY|RRULE|DTSTART)' | head -n 6 | sed 's/^/    /'
[[ "$(curl -s -o /dev/null -w '%{http_code}' "${FEED_URL}x")" == "401" ]] || { echo "run.sh: a wrong feed token was accepted" >&2; exit 1; }

say "A patient's relative posts about the emergency room; the social webhook forwards it"
curl -sS -X POST "http://127.0.0.1:$L_HTTP/v1/mentions" \
  -H "Authorization: Bearer $HOOK" -H 'Content-Type: application/json' \
  -d "{\"network\":\"x\",\"external_id\":\"1790000000000000001\",\"author_handle\":\"@worried_daughter\",\"text\":\"Waited 4 hours in the St Marys emergency room tonight and nobody told us anything. Is this normal??\",\"create_time\":\"$(iso 'now')\"}" | show
say "Meta subscribes the listener's webhook, then delivers a signed Facebook comment"
META_HOOK="http://127.0.0.1:$L_HTTP/webhooks/meta"
CHALLENGE=$(curl -sS "$META_HOOK?hub.mode=subscribe&hub.verify_token=$(cat "$RUN/keys/meta-verify-token")&hub.challenge=1158201444")
note "handshake answered with the challenge: $CHALLENGE"
[[ "$CHALLENGE" == "1158201444" ]] || { echo "run.sh: the Meta handshake failed" >&2; exit 1; }
META_BODY="{\"object\":\"page\",\"entry\":[{\"id\":\"1001\",\"time\":$(date +%s),\"changes\":[{\"field\":\"feed\",\"value\":{\"item\":\"comment\",\"verb\":\"add\",\"comment_id\":\"555_901\",\"post_id\":\"1001_555\",\"message\":\"Does the flu clinic take walk-ins on Saturday too?\",\"from\":{\"id\":\"7001\",\"name\":\"Pat Visitor\"},\"created_time\":$(date +%s)}}]}]}"
META_SIG="sha256=$(printf '%s' "$META_BODY" | openssl dgst -sha256 -hmac "$(cat "$RUN/keys/meta-app-secret")" | awk '{print $NF}')"
curl -sS -X POST "$META_HOOK" -H 'Content-Type: application/json' -H "X-Hub-Signature-256: $META_SIG" -d "$META_BODY" | show
FORGED=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$META_HOOK" -H 'Content-Type: application/json' \
  -H "X-Hub-Signature-256: sha256=$(printf '%064d' 0)" -d "$META_BODY")
note "the same delivery with a forged signature: HTTP $FORGED, nothing read"
[[ "$FORGED" == "403" ]] || { echo "run.sh: a forged Meta delivery got $FORGED" >&2; exit 1; }

say "Ray (responder) opens the inbox"
as "$RAY" listener ListInboxItems '{}' | show '[.inbox_items[] | {name, priority, due_time, sentiment: .classification.sentiment, reasons: .classification.reasons}]'

say "Someone asks the hospital's Mastodon account about a bill; Ray answers in the thread"
TOOT=$(curl -sS -X POST "$MASTODON_URL/_fake/mentions" -H 'Content-Type: application/json' \
  -d '{"acct":"pat@social.example","text":"@stmarys my mother was billed twice for her MRI last month, who do I talk to?"}' | jq -r .id)
note "pat@social.example posts status $TOOT; the listener finds it in St Marys' notifications"
ITEM=""
for _ in $(seq 100); do
  ITEM=$(as "$RAY" listener ListInboxItems '{}' | jq -r \
    '[.inbox_items[]? | select(.network == "NETWORK_MASTODON" and .author_handle == "pat@social.example")][0].name // empty')
  [[ -n "$ITEM" ]] && break
  sleep 0.1
done
[[ -n "$ITEM" ]] || { echo "run.sh: the Mastodon mention never reached the inbox" >&2; exit 1; }
as "$RAY" listener ListMentionSources '{}' | show '[.sources[] | {name, kind, cursor, accepted_count, last_success_time}]'
note "inbox item $ITEM, for $(as "$RAY" listener ListInboxItems '{}' | jq -r --arg item "$ITEM" '.inbox_items[] | select(.name == $item) | .spoke')"
note "Sam makes St Marys' replies need a second responder, with an approved 'take it offline' answer"
as "$SAM" listener SetReplyPolicy '{"policy":{"spoke":"spokes/st-marys","require_approval":true,"templates":[{"id":"billing","text":"We are sorry for the trouble. Please send us a direct message with the best way to reach you, and our billing team will follow up privately."}]},"request_id":"story-reply-policy"}' \
  | show '.policy | {spoke, require_approval, templates: [.templates[].id]}'
note "Ray's first draft would tell the world her mother is a patient: the guard refuses it, nothing is stored"
REFUSED=$(as "$RAY" listener DraftReply "{\"inbox_item\":\"$ITEM\",\"text\":\"So sorry about the double charge for your mother's MRI last month, we can see both on her account.\",\"request_id\":\"story-reply-1\"}")
echo "$REFUSED" | show '{stored: (.reply != null), findings: [.findings[]? | {kind, reason}], templates: [.templates[]?.id]}'
[[ "$(echo "$REFUSED" | jq '.reply == null and (.findings | length) > 0')" == "true" ]] || { echo "run.sh: the guard let an unsafe reply through" >&2; exit 1; }
note "Ray sends the spoke's template instead; Ruth approves it"
TEMPLATE=$(echo "$REFUSED" | jq -r '.templates[0].text')
REPLY=$(as "$RAY" listener DraftReply "$(jq -nc --arg item "$ITEM" --arg text "$TEMPLATE" '{inbox_item: $item, text: $text, request_id: "story-reply-2"}')" | jq -r .reply.name)
as "$RUTH" listener ApproveReply "{\"name\":\"$REPLY\",\"request_id\":\"story-reply-approve\"}" | show '.reply | {state, author, approver, post}'
rstate=""
for _ in $(seq 300); do
  rstate=$(as "$RAY" listener GetReply "{\"name\":\"$REPLY\"}" | jq -r .reply.state)
  [[ "$rstate" == "REPLY_STATE_SENT" || "$rstate" == "REPLY_STATE_FAILED" || "$rstate" == "REPLY_STATE_NEEDS_HUMAN" ]] && break
  sleep 0.1
done
as "$RAY" listener GetReply "{\"name\":\"$REPLY\"}" | show '.reply | {state, external_id, url, sent_time}'
[[ "$rstate" == "REPLY_STATE_SENT" ]] || { echo "run.sh: the reply ended in $rstate" >&2; exit 1; }
ANSWERS=$(curl -sS -H "Authorization: Bearer $MASTODON_TOKEN" "$MASTODON_URL/api/v1/accounts/$ACCOUNT_ID/statuses" \
  | jq --arg toot "$TOOT" '[.[] | select(.in_reply_to_id == $toot)] | length')
note "the Mastodon server holds $ANSWERS status of ours in reply to $TOOT (sent once, by one of the two publishers)"
[[ "$ANSWERS" == "1" ]] || { echo "run.sh: expected one reply to $TOOT on the Mastodon server, found $ANSWERS" >&2; exit 1; }
for _ in $(seq 100); do
  answered=$(as "$RAY" listener ListInboxItems '{"state":"INBOX_ITEM_STATE_WAITING"}' | jq --arg item "$ITEM" '[.inbox_items[]? | select(.name == $item)] | length')
  [[ "$answered" == "1" ]] && break; sleep 0.1
done
as "$RAY" listener ListInboxItems '{"state":"INBOX_ITEM_STATE_WAITING"}' | show '[.inbox_items[] | {name, state, assignee, first_response_time}]'
[[ "$answered" == "1" ]] || { echo "run.sh: the inbox item was not marked answered" >&2; exit 1; }

say "Sam adds 'evacuation' to what the listener tracks, without a restart"
as "$SAM" listener SetTrackedKeywords '{"keywords":["st marys","flu shot","#fluseason","emergency room","lockdown","evacuation"],"request_id":"story-keywords"}' \
  | show '.keywords | {keywords, actor}'
MENTION=$(curl -sS -X POST "http://127.0.0.1:$L_HTTP/v1/mentions" \
  -H "Authorization: Bearer $HOOK" -H 'Content-Type: application/json' \
  -d "{\"network\":\"x\",\"external_id\":\"1790000000000000077\",\"author_handle\":\"@neighbour\",\"text\":\"Drill or real? They practised an evacuation at St Marys this morning\",\"create_time\":\"$(iso 'now')\"}" \
  | jq -r .name)
TRACKED=$(as "$RAY" listener GetMention "{\"name\":\"$MENTION\"}" | jq -c '.mention.classification.keywords')
note "a mention that says it now carries the keyword: $TRACKED"
[[ "$TRACKED" == *evacuation* ]] || { echo "run.sh: the new keyword is not tracked: $TRACKED" >&2; exit 1; }

say "The spike detector raised a severe crisis alert (waiting for its one-minute interval to close)"
RAISED=0
for _ in $(seq 900); do
  RAISED=$(curl -sS "http://127.0.0.1:$M_HTTP/metrics" | awk '/^carecast_alerts_raised_total\{severity="severe"\}/ {print $2}')
  [[ "${RAISED:-0}" != "0" ]] && break
  sleep 0.1
done
[[ "${RAISED:-0}" != "0" ]] || { echo "run.sh: no crisis alert was raised" >&2; exit 1; }
"$CTL" events tail --subject carecast.alert.raised --all --count 1 --timeout 5s 2>/dev/null \
  | jq -c '{subject, id}' | sed 's/^/    /'
curl -sS "http://127.0.0.1:$M_HTTP/metrics" | grep -E '^carecast_alerts_(raised_total|active)' | sed 's/^/    /'

say "Sam checks the objective and the program figures"
for _ in $(seq 100); do
  cur=$(as "$SAM" metrics GetObjectiveProgress '{"name":"objectives/flu-awareness"}' | jq -r '.progress.current // 0')
  [[ "$cur" != "0" ]] && break; sleep 0.1
done
as "$SAM" metrics GetObjectiveProgress '{"name":"objectives/flu-awareness"}' | show '.progress | {objective, current, target, progress_ratio}'
for _ in $(seq 300); do
  reach=$(as "$SAM" metrics GetObjectiveProgress '{"name":"objectives/flu-reach"}' | jq -r '.progress.current // 0')
  [[ "$reach" == "640" ]] && break; sleep 0.1
done
as "$SAM" metrics GetObjectiveProgress '{"name":"objectives/flu-reach"}' | show '.progress | {objective, current, target, progress_ratio}'
[[ "$reach" == "640" ]] || { echo "run.sh: the reach objective shows $reach impressions, not the 640 the network reported" >&2; exit 1; }
"$CTL" events tail --subject carecast.engagement.observed --all --count 1 --timeout 5s 2>/dev/null \
  | jq -c '{subject, id}' | sed 's/^/    /'
curl -sS "http://127.0.0.1:$M_HTTP/metrics" | grep -E '^carecast_(posts_published_total|mentions_total|inbox_open_items|objective_progress_ratio|post_impressions|post_interactions|link_clicks|account_followers)' | sed 's/^/    /'

say "Sam reads the week: the figures per network, this week's report and its page"
as "$SAM" metrics GetRollup "{\"dimension\":\"ROLLUP_DIMENSION_NETWORK\",\"start_time\":\"$(iso '-7 days')\",\"end_time\":\"$(iso '+1 hour')\"}" \
  | show '[.rows[] | {key, posts_published, impressions, engagement_rate}]'
REPORT=$(as "$SAM" metrics GetWeeklyReport "{\"week_time\":\"$(iso now)\"}")
echo "$REPORT" | show '.report | {name, posts_published, impressions, engagement_rate, objectives: [.objectives[] | {objective, on_track}], suggestions: [.suggestions[].text]}'
PAGE=$(echo "$REPORT" | jq -r '.report.html_path')
PDF=$(echo "$REPORT" | jq -r '.report.pdf_path')
[[ "$PAGE" == /reports/* ]] || { echo "run.sh: the weekly report carries no page link" >&2; exit 1; }
note "the page (no script, a strict Content-Security-Policy) and its PDF, opened by their signed links:"
curl -sS -o "$RUN/weekly-report.html" -w '    %{http_code} %{content_type} %{size_download} bytes\n' "http://127.0.0.1:$M_HTTP$PAGE"
curl -sS -o "$RUN/weekly-report.pdf" -w '    %{http_code} %{content_type} %{size_download} bytes\n' "http://127.0.0.1:$M_HTTP$PDF"
[[ "$(head -c 5 "$RUN/weekly-report.pdf")" == "%PDF-" ]] || { echo "run.sh: the report PDF is not a PDF" >&2; exit 1; }
note "without its token: $(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$M_HTTP${PAGE%%\?*}")"
note "open it: http://127.0.0.1:$M_HTTP$PAGE"

say "The audit trail of the post's content (hash-chained, append-only)"
as "$SAM" planner ListAuditEntries "{\"resource\":\"$CONTENT_NAME\"}" | show '[.entries[] | {action, actor, role, version}]'
note "every resource's chain, checked link by link (carecastctl audit verify):"
"$CTL" audit verify 2>/dev/null | sed 's/^/    /'

say "Every event on the bus (carecastctl events tail)"
"$CTL" events tail --all --count 100 --timeout 2s 2>/dev/null | jq -c '{subject, id}' | sed 's/^/    /'

say "Done. Everything above ran on real NATS JetStream and Redis, with no credentials."
if [[ $KEEP -eq 1 ]]; then
  note "still running; planner at $CARECAST_PLANNER_ADDR, listener webhook at http://127.0.0.1:$L_HTTP/v1/mentions"
  note "mint a token: $CTL token --key $RUN/keys/jwt.key --sub you --roles strategist --spokes '*'"
  note "press Ctrl-C to stop"
  wait
fi
