#!/usr/bin/env bash
# CareCast's dispatch lateness beside BullMQ's, in one run, on one Redis.
#
# Starts, on loopback ports chosen now, in a temp dir: nats-server (JetStream),
# redis-server, two carecast-fake-network mastodon instances (A for CareCast, B for
# BullMQ) answering every request after --latency, the planner and two publishers
# (the real Mastodon adapter, pointed at fake A). Then, per scenario, CareCast
# first and BullMQ second (never both at once: 2 cores):
#   steady  posts falling due at --rate a second for --duration seconds
#   herd    --herd posts all due at the same instant
# CareCast's posts are scheduled through the planner's SchedulePost by
# schedule_load; BullMQ's are delayed jobs (bullmq_bench.mjs) whose worker sends
# the same POST /api/v1/statuses (with an Idempotency-Key) to fake B. Lateness is
# measured the same way for both: the create's arrival at its fake minus the due
# time (from the fakes' commit logs). Prints a side-by-side table.
#
#   bench/publisher/dispatch_bench.sh [options]
#     --rate R          steady: posts due per second (200)
#     --duration S      steady: seconds of due posts (20)
#     --herd H          herd size (2000; the issue's goal is 10000)
#     --preload N       posts held 30 days ahead on both sides before the scenarios
#                       (0; CareCast's through BatchSchedulePosts, --batch entries a call)
#     --accounts N      Mastodon accounts the posts rotate over (16)
#     --latency D       the fakes' answer delay (50ms)
#     --concurrency C   CARECAST_PUBLISHER_DISPATCH_CONCURRENCY per publisher (8);
#                       BullMQ's worker gets 2*C (two publishers' worth)
#     --in-flight K     concurrent SchedulePost calls (64; 8 batch calls for the preload)
#     --batch B         the herd is scheduled with BatchSchedulePosts, B entries a
#                       call (1: one SchedulePost per post, the default); the
#                       preload always uses batches of 500
#     --lead D          seconds from the first call to the first due post
#                       (default: steady 10, herd H/300+5)
#     --scenarios LIST  steady,herd (default both)
#     --no-build        do not build the binaries first
#     --keep            keep the temp dir (always kept when something failed)
# Logs (JSON lines) and the fakes' commit logs are in the temp dir it prints.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

RATE=200; DURATION=20; HERD=2000; PRELOAD=0; ACCOUNTS=16; LATENCY=50ms; CONCURRENCY=8
IN_FLIGHT=64; BATCH=1; LEAD=""; SCENARIOS="steady,herd"; BUILD=1; KEEP=0
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rate) RATE=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --herd) HERD=$2; shift ;;
    --preload) PRELOAD=$2; shift ;;
    --accounts) ACCOUNTS=$2; shift ;;
    --latency) LATENCY=$2; shift ;;
    --concurrency) CONCURRENCY=$2; shift ;;
    --in-flight) IN_FLIGHT=$2; shift ;;
    --batch) BATCH=$2; shift ;;
    --lead) LEAD=$2; shift ;;
    --scenarios) SCENARIOS=$2; shift ;;
    --no-build) BUILD=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) usage ;;
    *) echo "dispatch_bench: unknown option $1" >&2; usage ;;
  esac
  shift
done

say() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }

BIN=${CARECAST_BIN_DIR:-$ROOT/build/ci}
if [[ $BUILD -eq 1 ]]; then
  say "Building planner, publisher, carecastctl, carecast-fake-network, schedule_load"
  if [[ ! -f "$BIN/bench/publisher/Makefile" && ! -f "$BIN/build.ninja" ]] ||
     ! grep -q schedule_load "$BIN"/build.ninja "$BIN"/Makefile 2>/dev/null; then
    flock /tmp/carecast-build.lock cmake -S "$ROOT" -B "$BIN" >/dev/null
  fi
  flock /tmp/carecast-build.lock cmake --build "$BIN" -j2 --target carecast-planner \
    carecast-publisher carecastctl carecast-fake-network schedule_load >&2
fi
CTL="$BIN/tools/carecastctl/carecastctl"
PLANNER="$BIN/services/planner/carecast-planner"
PUBLISHER="$BIN/services/publisher/carecast-publisher"
FAKE="$BIN/tests/support/fake_networks/carecast-fake-network"
LOAD="$BIN/bench/publisher/schedule_load"
for b in "$CTL" "$PLANNER" "$PUBLISHER" "$FAKE" "$LOAD"; do
  [[ -x "$b" ]] || { echo "dispatch_bench: $b is missing (build it, or drop --no-build)" >&2; exit 1; }
done

# BullMQ, installed on first use into a git-ignored directory (the npm registry
# as npm is configured here).
BULLMQ_VERSION=${CARECAST_BENCH_BULLMQ_VERSION:-5.81.5}
TOOLS="$ROOT/.tools/bench"
if [[ ! -f "$TOOLS/node_modules/bullmq/package.json" ]] ||
   [[ "$(node -p "require('$TOOLS/node_modules/bullmq/package.json').version")" != "$BULLMQ_VERSION" ]]; then
  say "Installing bullmq@$BULLMQ_VERSION into $TOOLS"
  mkdir -p "$TOOLS"
  [[ -f "$TOOLS/package.json" ]] ||
    printf '{\n  "name": "carecast-bench-tools",\n  "private": true\n}\n' >"$TOOLS/package.json"
  npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "bullmq@$BULLMQ_VERSION" >&2
fi
export CARECAST_BENCH_NODE_MODULES="$TOOLS/node_modules"

RUN=$(mktemp -d /tmp/carecast-dispatch-bench.XXXXXX)
mkdir -p "$RUN"/{logs,nats,sandbox,keys,channels}
note "run dir: $RUN"

port_from() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

declare -A PID_OF=()
PIDS=()
SAMPLER=""
FAILED=1
cleanup() {
  local code=$?
  [[ -n "$SAMPLER" ]] && kill "$SAMPLER" 2>/dev/null || true
  if [[ ${#PIDS[@]} -gt 0 ]]; then
    kill -TERM "${PIDS[@]}" 2>/dev/null || true
    for _ in $(seq 50); do
      alive=0; for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
      [[ $alive -eq 0 ]] && break; sleep 0.1
    done
    kill -KILL "${PIDS[@]}" 2>/dev/null || true
  fi
  if [[ $KEEP -eq 0 && $FAILED -eq 0 ]]; then rm -rf "$RUN"; else note "kept $RUN"; fi
  exit $code
}
trap cleanup EXIT INT TERM

spawn() {  # name logfile command...
  local name=$1 log=$2; shift 2
  "$@" >"$log" 2>&1 &
  PID_OF[$name]=$!
  PIDS+=($!)
}

NATS_PORT=$(port_from 24222)
REDIS_PORT=$(port_from 26379)
NATS_SERVER=$(command -v nats-server || echo /usr/sbin/nats-server)
say "Starting nats-server :$NATS_PORT, redis-server :$REDIS_PORT, two fake Mastodon servers ($LATENCY)"
spawn nats-server "$RUN/logs/nats-server.log" "$NATS_SERVER" -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$RUN/nats"
spawn redis-server "$RUN/logs/redis-server.log" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
  --save '' --appendonly no
FAKE_ARGS=(mastodon --latency "$LATENCY" --threads 512 --rate-limit 0)
spawn fake-carecast "$RUN/logs/fake-carecast.log" "$FAKE" "${FAKE_ARGS[@]}" \
  --port-file "$RUN/fake-a.port" --commit-log "$RUN/fake-carecast.commits.jsonl"
spawn fake-bullmq "$RUN/logs/fake-bullmq.log" "$FAKE" "${FAKE_ARGS[@]}" \
  --port-file "$RUN/fake-b.port" --commit-log "$RUN/fake-bullmq.commits.jsonl"
for _ in $(seq 100); do [[ -s "$RUN/fake-a.port" && -s "$RUN/fake-b.port" ]] && break; sleep 0.05; done
FAKE_A="http://127.0.0.1:$(cat "$RUN/fake-a.port")"
FAKE_B="http://127.0.0.1:$(cat "$RUN/fake-b.port")"
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$NATS_PORT") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null && break
  sleep 0.1
done

openssl ecparam -name prime256v1 -genkey -noout -out "$RUN/keys/jwt.key" 2>/dev/null
openssl ec -in "$RUN/keys/jwt.key" -pubout -out "$RUN/keys/jwt.pub" 2>/dev/null
openssl rand -hex 32 >"$RUN/keys/token-sealing.key"
chmod 600 "$RUN/keys/jwt.key" "$RUN/keys/token-sealing.key"

SPOKE=bench
EXPIRES=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
for ((i = 0; i < ACCOUNTS; i++)); do
  cat >"$RUN/channels/mastodon.$SPOKE.a$i.json" <<EOF
{"network": "mastodon", "account": "spokes/$SPOKE/accounts/a$i",
 "access_token": "bench-mastodon-token-a$i", "expires_at": "$EXPIRES"}
EOF
done

export CARECAST_NATS_URL="nats://127.0.0.1:$NATS_PORT"
export CARECAST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export CARECAST_JWT_PUBLIC_KEY_FILE="$RUN/keys/jwt.pub"
export CARECAST_BIND_ADDRESS=127.0.0.1
export CARECAST_SANDBOX_DIR="$RUN/sandbox"
export CARECAST_CHANNEL_MASTODON_BASE_URL="$FAKE_A"
export CARECAST_CHANNEL_TOKEN_SEALING_KEY_FILE="$RUN/keys/token-sealing.key"

P_GRPC=$(port_from 52051); P_HTTP=$(port_from 29101)
PUB1_GRPC=$(port_from 52081); PUB2_GRPC=$(port_from $((PUB1_GRPC + 1)))
PUB1_HTTP=$(port_from 29131); PUB2_HTTP=$(port_from $((PUB1_HTTP + 1)))
say "Starting the planner and two publishers (dispatch concurrency $CONCURRENCY each)"
spawn planner "$RUN/logs/planner.log" env CARECAST_GRPC_PORT="$P_GRPC" CARECAST_HTTP_PORT="$P_HTTP" "$PLANNER"
for n in 1 2; do
  g=PUB${n}_GRPC h=PUB${n}_HTTP
  spawn "publisher-$n" "$RUN/logs/publisher-$n.log" env CARECAST_GRPC_PORT="${!g}" CARECAST_HTTP_PORT="${!h}" \
    CARECAST_PUBLISHER_ID="publisher-$n" CARECAST_CHANNEL_SECRETS_DIR="$RUN/channels" \
    CARECAST_PUBLISHER_DISPATCH_CONCURRENCY="$CONCURRENCY" "$PUBLISHER"
done
for addr in "127.0.0.1:$P_GRPC" "127.0.0.1:$PUB1_GRPC" "127.0.0.1:$PUB2_GRPC"; do
  ok=0
  for _ in $(seq 150); do "$CTL" health "$addr" >/dev/null 2>&1 && { ok=1; break; }; sleep 0.1; done
  [[ $ok -eq 1 ]] || { echo "dispatch_bench: $addr did not become healthy; see $RUN/logs/" >&2; exit 1; }
done
export CARECAST_PLANNER_ADDR="127.0.0.1:$P_GRPC"

token() { "$CTL" token --key "$RUN/keys/jwt.key" --sub "$1" --roles "$2" --spokes '*' --ttl 12h; }
export CARECAST_BENCH_STRATEGIST_TOKEN=$(token bench-strategist strategist)
export CARECAST_BENCH_WRITER_TOKEN=$(token bench-writer content_developer)
export CARECAST_BENCH_REVIEWER_TOKEN=$(token bench-reviewer compliance_reviewer)
"$LOAD" setup --spoke "$SPOKE" --accounts "$ACCOUNTS" --network mastodon >"$RUN/logs/setup.json"
note "$(cat "$RUN/logs/setup.json")"

# Redis used_memory, sampled every 0.5 s: "<unix ms> <bytes>".
( while :; do
    m=$(redis-cli -p "$REDIS_PORT" info memory 2>/dev/null | tr -d '\r' | sed -n 's/^used_memory://p')
    [[ -n "$m" ]] && echo "$(date +%s%3N) $m"
    sleep 0.5
  done ) >"$RUN/redis-memory.txt" 2>/dev/null &
SAMPLER=$!

PHASES="$RUN/phases.txt"   # name side start_ms end_ms extra-json
: >"$PHASES"
now_ms() { date +%s%3N; }
hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
record_hwm() {  # phase
  local line="{\"phase\":\"$1\"" name
  for name in planner publisher-1 publisher-2 nats-server redis-server fake-carecast fake-bullmq; do
    line+=",\"$name\":$(hwm "${PID_OF[$name]}")"
  done
  echo "$line}" >>"$RUN/hwm.jsonl"
}
# The publishers' dispatch step histograms (sum and count per step, both
# publishers added): "<phase> <step> <sum_s> <count>" lines in steps.txt.
record_steps() {  # phase
  local port
  for port in "$PUB1_HTTP" "$PUB2_HTTP"; do
    curl -sf "http://127.0.0.1:$port/metrics" || true
  done | awk -v phase="$1" '
    /^carecast_publisher_dispatch_step_seconds_(sum|count)\{/ {
      match($0, /step="[a-z_]+"/); step = substr($0, RSTART + 6, RLENGTH - 7)
      if ($1 ~ /_sum/) sum[step] += $2; else count[step] += $2
    }
    END { for (s in count) print phase, s, sum[s] + 0, count[s] + 0 }' >>"$RUN/steps.txt"
}
commits_with() { grep -c "\"key\":\"$1-" "$2" 2>/dev/null || true; }

# Waits until the fake's commit log holds `want` posts with `prefix`, printing
# progress every 5 s, or until `deadline_ms`.
wait_delivered() {  # prefix want log deadline_ms label
  local prefix=$1 want=$2 log=$3 deadline=$4 label=$5 got=0 last=0
  while :; do
    got=$(commits_with "$prefix" "$log")
    [[ $got -ge $want ]] && break
    [[ $(now_ms) -ge $deadline ]] && { note "$label: timed out with $got/$want delivered"; break; }
    if [[ $(( $(now_ms) - last )) -ge 5000 ]]; then note "$label: $got/$want delivered"; last=$(now_ms); fi
    sleep 0.2
  done
  # Anything sent twice arrives within the answer latency; give it a moment.
  sleep 1
}

# What else the machine was doing: load average and steal time over the run.
steal_ticks() { awk '/^cpu / {print $9}' /proc/stat; }
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg); STEAL_START=$(steal_ticks); T_START=$(now_ms)

RUN_ID=$(date +%H%M%S)
if [[ $PRELOAD -gt 0 ]]; then
  say "Preloading $PRELOAD posts held 30 days ahead (CareCast through BatchSchedulePosts, BullMQ addBulk)"
  t=$(now_ms)
  "$LOAD" schedule --spoke "$SPOKE" --accounts "$ACCOUNTS" --posts "$PRELOAD" --rate 10 --lead 720h \
    --no-pace --in-flight 8 --batch 500 --prefix "held$RUN_ID" >"$RUN/logs/preload-carecast.json" \
    2>>"$RUN/logs/schedule_load.log" || note "some preload calls failed: $RUN/logs/schedule_load.log"
  note "carecast: $(cat "$RUN/logs/preload-carecast.json")"
  echo "preload carecast $t $(now_ms) $(cat "$RUN/logs/preload-carecast.json")" >>"$PHASES"
  t=$(now_ms)
  node bench/publisher/bullmq_bench.mjs --redis "$CARECAST_REDIS_URL" --target "$FAKE_B" \
    --queue dispatch --preload "$PRELOAD" --posts 0 --id-prefix "bheld$RUN_ID" \
    >"$RUN/logs/preload-bullmq.json" 2>>"$RUN/logs/bullmq_bench.log"
  note "bullmq: $(cat "$RUN/logs/preload-bullmq.json")"
  echo "preload bullmq $t $(now_ms) $(cat "$RUN/logs/preload-bullmq.json")" >>"$PHASES"
fi

run_scenario() {  # name posts rate|herd lead_s
  local name=$1 posts=$2 mode=$3 lead=$4 cprefix bprefix rate_args node_args deadline t
  cprefix="c${name:0:1}$RUN_ID"; bprefix="b${name:0:1}$RUN_ID"
  if [[ $mode == herd ]]; then rate_args=(--herd --batch "$BATCH"); node_args=(--herd); else rate_args=(--rate "$mode"); node_args=(--rate "$mode"); fi
  local span_ms=0
  [[ $mode != herd ]] && span_ms=$(( posts * 1000 / mode ))

  say "$name, CareCast: $posts posts (${mode}), first due in ${lead}s"
  record_steps "$name-before"
  t=$(now_ms)
  deadline=$(( t + lead * 1000 + span_ms + 180000 ))
  "$LOAD" schedule --spoke "$SPOKE" --accounts "$ACCOUNTS" --posts "$posts" "${rate_args[@]}" \
    --lead "${lead}s" --in-flight "$IN_FLIGHT" --prefix "$cprefix" >"$RUN/logs/$name-carecast.json" \
    2>>"$RUN/logs/schedule_load.log" || note "some SchedulePost calls failed: $RUN/logs/schedule_load.log"
  note "schedule_load: $(cat "$RUN/logs/$name-carecast.json")"
  local scheduled
  scheduled=$(jq -r .scheduled "$RUN/logs/$name-carecast.json")
  wait_delivered "$cprefix" "$scheduled" "$RUN/fake-carecast.commits.jsonl" "$deadline" "carecast $name"
  echo "$name carecast $t $(now_ms) $(cat "$RUN/logs/$name-carecast.json")" >>"$PHASES"
  record_hwm "$name-carecast"
  record_steps "$name-after"

  say "$name, BullMQ: the same schedule, worker concurrency $((2 * CONCURRENCY))"
  t=$(now_ms)
  node bench/publisher/bullmq_bench.mjs --redis "$CARECAST_REDIS_URL" --target "$FAKE_B" \
    --queue dispatch --posts "$posts" "${node_args[@]}" --lead-ms $((lead * 1000)) \
    --id-prefix "$bprefix" --concurrency $((2 * CONCURRENCY)) \
    >"$RUN/logs/$name-bullmq.json" 2> >(tee -a "$RUN/logs/bullmq_bench.log" | sed 's/^/    /' >&2)
  sleep 1
  echo "$name bullmq $t $(now_ms) $(cat "$RUN/logs/$name-bullmq.json")" >>"$PHASES"
  record_hwm "$name-bullmq"
  note "bullmq_bench: $(cat "$RUN/logs/$name-bullmq.json")"
  echo "$name $cprefix $bprefix" >>"$RUN/scenarios.txt"
}

IFS=',' read -ra WANT <<<"$SCENARIOS"
for s in "${WANT[@]}"; do
  case "$s" in
    steady) run_scenario steady $((RATE * DURATION)) "$RATE" "${LEAD:-10}" ;;
    herd) run_scenario herd "$HERD" herd "${LEAD:-$((HERD / 300 + 5))}" ;;
    *) echo "dispatch_bench: unknown scenario $s" >&2; exit 2 ;;
  esac
done
kill "$SAMPLER" 2>/dev/null || true; SAMPLER=""

STEAL_PCT=$(awk -v s="$(( $(steal_ticks) - STEAL_START ))" -v ms="$(( $(now_ms) - T_START ))" \
  -v hz="$(getconf CLK_TCK)" -v n="$(nproc)" 'BEGIN {printf "%.1f", 100 * s / hz / (ms / 1000) / n}')
MACHINE="load average at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg); steal ${STEAL_PCT}% of the CPUs"
say "Results"
python3 bench/publisher/report.py "$RUN" \
  --config "rate=$RATE/s for ${DURATION}s, herd=$HERD, preload=$PRELOAD, accounts=$ACCOUNTS, latency=$LATENCY, publisher concurrency=${CONCURRENCY}x2, bullmq concurrency=$((2 * CONCURRENCY)), cores=$(nproc); $MACHINE" \
  | tee "$RUN/results.txt"
FAILED=0
