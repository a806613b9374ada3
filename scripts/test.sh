#!/usr/bin/env bash
# Runs every CareCast test: installs what is missing, builds once (build/ci),
# lints the protos, then runs the whole CTest suite (labels: unit, integration,
# e2e, ops, eval), after a one-minute libFuzzer run of the text pipeline under
# ASan + UBSan. Integration and e2e tests start real nats-server, redis-server
# and prometheus on free loopback ports.
#   scripts/test.sh                 everything
#   scripts/test.sh -L unit         pass extra arguments to ctest
#   CARECAST_SKIP_FUZZ=1 scripts/test.sh   skip the fuzz run
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
scripts/install-deps.sh --all
scripts/build.sh
echo "test: buf lint (STANDARD rules)"
.tools/node_modules/.bin/buf lint
if [[ "${CARECAST_SKIP_FUZZ:-0}" != 1 ]]; then
  echo "test: fuzzing the text pipeline for 60 s under ASan + UBSan (scripts/fuzz.sh)"
  scripts/fuzz.sh
fi
echo "test: ctest"
ctest --test-dir build/ci --output-on-failure --timeout 900 -j2 "$@"
echo "test: finished in $(( $(date +%s) - start )) s"
