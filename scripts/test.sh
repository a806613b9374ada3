#!/usr/bin/env bash
# Runs every CareCast check, as CI does (.ci/run). Stages, in order:
#   1. install what is missing; build once (preset "ci", warnings are errors) into build/ci
#   2. buf lint of the protos; scripts/lint.sh (clang-format, clang-tidy)
#   3. a one-minute libFuzzer run of the text pipeline under ASan + UBSan
#   4. the whole CTest suite in build/ci (labels: unit, integration, e2e, ops, eval);
#      integration and e2e tests start real nats-server, redis-server and prometheus
#      on free loopback ports
#   5. ASan + UBSan (preset "asan", build/asan): the unit and integration tests
#   6. TSan (preset "tsan", build/tsan): the unit tests of the four service cores
# A failing stage does not stop the later ones; the script ends with a summary and
# fails if any stage failed. Times per stage: docs/development.md.
#   scripts/test.sh                 everything
#   scripts/test.sh -L unit         pass extra arguments to the main ctest (stage 4)
#   CARECAST_SKIP_FUZZ=1 / CARECAST_SKIP_LINT=1 / CARECAST_SKIP_ASAN=1 / CARECAST_SKIP_TSAN=1
#                                   skip that stage
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.ccache}"
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=true
jobs="${CARECAST_BUILD_JOBS:-2}"
start=$(date +%s)
failed=()
timings=()

# run_stage NAME COMMAND...: runs one stage, records its time and whether it failed.
run_stage() {
  local name=$1 t0 rc=0
  shift
  t0=$(date +%s)
  echo "test: == $name"
  "$@" || rc=$?
  if [[ $rc -ne 0 ]]; then
    failed+=("$name")
    timings+=("$name: $(( $(date +%s) - t0 )) s (FAILED, exit $rc)")
  else
    timings+=("$name: $(( $(date +%s) - t0 )) s")
  fi
  return 0
}

# build_preset PRESET: configures (re-applies the preset's cache variables; cheap when
# unchanged) and builds the preset's targets, printing every 20th progress line.
build_preset() {
  cmake --preset "$1" >/dev/null
  cmake --build --preset "$1" -j"$jobs" 2>&1 \
    | awk '/^\[[0-9]+\/[0-9]+\]/ { n++; if (n % 20 == 0) print; next } { print }'
  return "${PIPESTATUS[0]}"
}

scripts/install-deps.sh --all
# Re-apply the ci preset so a changed preset (flags, -Werror) reaches an existing build/ci.
cmake --preset ci >/dev/null
if ! scripts/build.sh; then
  echo "test: the ci build failed; nothing else can run" >&2
  exit 1
fi
run_stage "buf lint (STANDARD rules)" .tools/node_modules/.bin/buf lint
if [[ "${CARECAST_SKIP_LINT:-0}" != 1 ]]; then
  run_stage "lint (clang-format, clang-tidy: scripts/lint.sh)" scripts/lint.sh
fi
if [[ "${CARECAST_SKIP_FUZZ:-0}" != 1 ]]; then
  run_stage "fuzz the text pipeline for 60 s under ASan + UBSan (scripts/fuzz.sh)" scripts/fuzz.sh
fi
run_stage "ctest (build/ci)" ctest --test-dir build/ci --output-on-failure --timeout 900 -j2 "$@"
# Sanitizer stages: only the test binaries they run are built (no benchmarks,
# fuzzers, tools); the run-time options and suppressions are in the test presets.
if [[ "${CARECAST_SKIP_ASAN:-0}" != 1 ]]; then
  run_stage "asan build (unit + integration tests)" build_preset asan
  if [[ ! " ${failed[*]} " =~ "asan build" ]]; then
    run_stage "asan ctest -L 'unit|integration'" ctest --preset asan --timeout 900 -j2
  fi
fi
if [[ "${CARECAST_SKIP_TSAN:-0}" != 1 ]]; then
  run_stage "tsan build (service core unit tests)" build_preset tsan
  if [[ ! " ${failed[*]} " =~ "tsan build" ]]; then
    run_stage "tsan ctest (service core unit tests)" ctest --preset tsan --timeout 900 -j2
  fi
fi

echo "test: stage times"
printf '  %s\n' "${timings[@]}"
echo "test: finished in $(( $(date +%s) - start )) s"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "test: FAILED stages:" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
