#!/usr/bin/env bash
# Configures and builds CareCast once (preset "ci": optimised, with tests and
# benchmarks) into build/ci. Every later stage (run, tests, images) uses this build.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.ccache}"
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=true
jobs="${CARECAST_BUILD_JOBS:-2}"
if [[ ! -f build/ci/build.ninja ]]; then
  cmake --preset ci >/dev/null
fi
echo "build: compiling with -j${jobs} (progress below; ccache keeps rebuilds fast)"
cmake --build build/ci -j"${jobs}" 2>&1 | awk '/^\[[0-9]+\/[0-9]+\]/ { n++; if (n % 20 == 0) print; next } { print }'
exit "${PIPESTATUS[0]}"
