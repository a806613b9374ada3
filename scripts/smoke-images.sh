#!/usr/bin/env bash
# Starts every CareCast image (built by scripts/build-images.sh) against a local
# nats-server (JetStream) and redis-server on loopback, the way the chart runs them
# (non-root 65532, read-only root filesystem, no capabilities, no new privileges,
# /tmp as tmpfs), and checks:
#   - the image runs as the non-root user and stays within the size budget;
#   - each service answers grpc.health.v1 Check with SERVING (asked by the
#     carecastctl image: `carecastctl health 127.0.0.1:PORT`);
#   - each service serves Prometheus metrics on its HTTP port;
#   - each service stops cleanly (exit 0) on SIGTERM.
# usage: scripts/smoke-images.sh           (tag: the chart's appVersion, or $CARECAST_IMAGE_TAG)
# Prints PASS/FAIL per check and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
TAG=${CARECAST_IMAGE_TAG:-$(awk '/^appVersion:/ {gsub(/"/, "", $2); print $2}' charts/carecast/Chart.yaml)}
export CONTAINERS_CONF=$ROOT/deploy/images/containers.conf
RUN=$(mktemp -d /tmp/carecast-smoke.XXXXXX)
SIZE_BUDGET_MB=${CARECAST_IMAGE_SIZE_BUDGET_MB:-200}
SUFFIX=$$

passed=0; failed=0
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

PIDS=(); CONTAINERS=()
cleanup() {
  local c
  for c in "${CONTAINERS[@]}"; do podman rm -f -t 2 "$c" >/dev/null 2>&1; done
  [[ ${#PIDS[@]} -gt 0 ]] && kill "${PIDS[@]}" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$RUN"
}
trap cleanup EXIT

port_from() {  # first port from $1 nothing listens on
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}
wait_port() {  # port seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

for img in base planner publisher listener metrics carecastctl; do
  podman image exists "localhost/carecast/$img:$TAG" || { echo "smoke-images: localhost/carecast/$img:$TAG is missing (run scripts/build-images.sh)"; echo "0 passed, 1 failed"; exit 1; }
done

# --- dependencies on loopback ------------------------------------------------------
NATS_PORT=$(port_from 24222); REDIS_PORT=$(port_from 26379)
mkdir -p "$RUN/nats" "$RUN/keys"
nats-server -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$RUN/nats" >"$RUN/nats.log" 2>&1 & PIDS+=($!)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >"$RUN/redis.log" 2>&1 & PIDS+=($!)
wait_port "$NATS_PORT" 10 && wait_port "$REDIS_PORT" 10 || { echo "smoke-images: nats-server/redis-server did not start"; echo "0 passed, 1 failed"; exit 1; }
openssl ecparam -name prime256v1 -genkey -noout -out "$RUN/keys/jwt.key" 2>/dev/null
openssl ec -in "$RUN/keys/jwt.key" -pubout -out "$RUN/keys/jwt.pub" 2>/dev/null
chmod 755 "$RUN/keys"; chmod 644 "$RUN/keys/jwt.pub"; chmod 600 "$RUN/keys/jwt.key"

# --- image facts -------------------------------------------------------------------
for img in planner publisher listener metrics carecastctl; do
  ref="localhost/carecast/$img:$TAG"
  user=$(podman image inspect --format '{{.Config.User}}' "$ref")
  [[ $user == 65532:65532 ]] && pass "$img image runs as 65532:65532" || fail "$img image user is '$user'"
  bytes=$(podman image inspect --format '{{.Size}}' "$ref")
  mb=$((bytes / 1024 / 1024))
  [[ $mb -le $SIZE_BUDGET_MB ]] && pass "$img image is ${mb} MB (budget ${SIZE_BUDGET_MB} MB)" \
    || fail "$img image is ${mb} MB, over the ${SIZE_BUDGET_MB} MB budget"
done
if podman run --rm --network none --entrypoint /bin/sh "localhost/carecast/planner:$TAG" -c true >"$RUN/sh.log" 2>&1; then
  fail "images contain a shell (/bin/sh)"
elif grep -qiE 'no such file|not found' "$RUN/sh.log"; then
  pass "images contain no shell"
else
  fail "could not tell whether the images contain a shell: $(tail -2 "$RUN/sh.log")"
fi

# --- start each service the way the chart does ----------------------------------------
declare -A GRPC HTTP
GRPC[planner]=$(port_from 25051); HTTP[planner]=$(port_from 29101)
GRPC[publisher]=$(port_from $((GRPC[planner] + 1))); HTTP[publisher]=$(port_from $((HTTP[planner] + 1)))
GRPC[listener]=$(port_from $((GRPC[publisher] + 1))); HTTP[listener]=$(port_from $((HTTP[publisher] + 1)))
GRPC[metrics]=$(port_from $((GRPC[listener] + 1))); HTTP[metrics]=$(port_from $((HTTP[listener] + 1)))

for svc in planner publisher listener metrics; do
  name="carecast-smoke-$svc-$SUFFIX"
  extra=()
  if [[ $svc == publisher ]]; then
    # Like the chart's emptyDir owned through fsGroup: a directory only 65532 may write.
    mkdir -p "$RUN/sandbox"; chown 65532:65532 "$RUN/sandbox"; chmod 750 "$RUN/sandbox"
    extra+=(-e CARECAST_PUBLISHER_ID=smoke-publisher -e CARECAST_SANDBOX_DIR=/var/lib/carecast/sandbox
            -v "$RUN/sandbox:/var/lib/carecast/sandbox:rw")
  fi
  [[ $svc == listener ]] && extra+=(-e "CARECAST_TRACKED_KEYWORDS=flu shot,emergency room")
  if podman run -d --name "$name" --network host \
      --read-only --tmpfs /tmp:rw,size=16m,mode=1777 --cap-drop ALL --security-opt no-new-privileges \
      --user 65532:65532 -v "$RUN/keys/jwt.pub:/var/run/secrets/carecast/jwt/jwt-public.pem:ro" \
      -e CARECAST_BIND_ADDRESS=127.0.0.1 -e "CARECAST_GRPC_PORT=${GRPC[$svc]}" -e "CARECAST_HTTP_PORT=${HTTP[$svc]}" \
      -e "CARECAST_NATS_URL=nats://127.0.0.1:$NATS_PORT" -e "CARECAST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT" \
      -e CARECAST_JWT_PUBLIC_KEY_FILE=/var/run/secrets/carecast/jwt/jwt-public.pem \
      -e CARECAST_STREAM_REPLICAS=1 -e CARECAST_SHUTDOWN_GRACE=5s -e CARECAST_LOG_LEVEL=info \
      "${extra[@]}" "localhost/carecast/$svc:$TAG" >"$RUN/$svc.id" 2>"$RUN/$svc.err"; then
    CONTAINERS+=("$name")
  else
    fail "$svc container did not start: $(tail -3 "$RUN/$svc.err")"
  fi
done

for svc in planner publisher listener metrics; do
  name="carecast-smoke-$svc-$SUFFIX"
  [[ " ${CONTAINERS[*]} " == *" $name "* ]] || continue
  ok=0
  for _ in $(seq 60); do
    if podman run --rm --network host --read-only --cap-drop ALL "localhost/carecast/carecastctl:$TAG" \
        --timeout 2s health "127.0.0.1:${GRPC[$svc]}" >"$RUN/$svc.health" 2>&1; then ok=1; break; fi
    [[ $(podman inspect --format '{{.State.Running}}' "$name" 2>/dev/null) == true ]] || break
    sleep 0.5
  done
  if [[ $ok -eq 1 ]]; then
    pass "$svc image: gRPC health SERVING on 127.0.0.1:${GRPC[$svc]} (checked by the carecastctl image)"
  else
    fail "$svc image: not healthy: $(tail -2 "$RUN/$svc.health"); logs: $(podman logs --tail 5 "$name" 2>&1 | tr '\n' ' ')"
    continue
  fi
  if metrics=$(curl -sf --max-time 5 "http://127.0.0.1:${HTTP[$svc]}/metrics") && grep -q '^# TYPE carecast_' <<<"$metrics"; then
    pass "$svc image: /metrics on 127.0.0.1:${HTTP[$svc]}"
  else
    fail "$svc image: no Prometheus metrics on 127.0.0.1:${HTTP[$svc]}/metrics"
  fi
  uid=$(podman top "$name" huser 2>/dev/null | tail -1 | tr -d ' ')
  [[ $uid == 65532 ]] && pass "$svc image: process runs as uid 65532" || fail "$svc image: process runs as '$uid'"
done

for svc in planner publisher listener metrics; do
  name="carecast-smoke-$svc-$SUFFIX"
  [[ " ${CONTAINERS[*]} " == *" $name "* ]] || continue
  podman stop -t 20 "$name" >/dev/null 2>&1
  code=$(podman inspect --format '{{.State.ExitCode}}' "$name" 2>/dev/null)
  [[ $code == 0 ]] && pass "$svc image: clean exit on SIGTERM" || fail "$svc image: exit code $code after SIGTERM"
done

echo "smoke-images: $passed passed, $failed failed"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
