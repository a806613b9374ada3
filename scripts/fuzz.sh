#!/usr/bin/env bash
# Builds the libFuzzer targets with the "fuzz" preset (clang, ASan + UBSan) and
# runs each for FUZZ_SECONDS (default 60) from the seed corpus kept in fuzz/corpus.
# New inputs go to $BUILD_DIR/fuzz-work (not the repo); crashes are saved there
# and the script fails. Needs clang and libFuzzer (Debian: clang, libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
BUILD_DIR=${BUILD_DIR:-build/fuzz}

if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "fuzz: installing clang and libclang-rt-14-dev"
    apt-get install -y -q clang libclang-rt-14-dev >/dev/null
  else
    echo "fuzz: clang and libclang-rt-14-dev are required" >&2
    exit 1
  fi
fi

echo "fuzz: building with the fuzz preset in $BUILD_DIR"
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake --preset fuzz -B "$BUILD_DIR" >/dev/null
fi
cmake --build "$BUILD_DIR" -j2 --target text_pipeline_fuzzer http_request_parser_fuzzer >/dev/null

status=0
for target in text_pipeline http_request_parser; do
  work="$BUILD_DIR/fuzz-work/$target"
  mkdir -p "$work/corpus" "$work/artifacts"
  echo "fuzz: running ${target}_fuzzer for ${FUZZ_SECONDS}s"
  if ! "$BUILD_DIR/fuzz/${target}_fuzzer" -max_total_time="$FUZZ_SECONDS" -max_len=8192 -timeout=10 \
      -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
      "$work/corpus" "fuzz/corpus/$target" 2>"$work/log.txt"; then
    echo "fuzz: ${target}_fuzzer FAILED; see $work/log.txt and $work/artifacts/" >&2
    tail -40 "$work/log.txt" >&2
    status=1
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|Done [0-9]+ runs" "$work/log.txt" || true
  fi
done
exit $status
