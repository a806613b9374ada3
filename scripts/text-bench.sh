#!/usr/bin/env bash
# Text-engine benchmark beside the VADER anchor, on the same texts in one run:
#  1. generates a realistic mention corpus (bench/text/gen_mentions.js),
#  2. runs the full C++ pipeline (bench/text/text_bench) with 10,000 tracked keywords,
#  3. runs npm vader-sentiment under Node on the same texts,
#  4. prints throughput per core for both, sentiment agreement, accuracy on the
#     labelled healthcare set (tests/eval/data), and peak memory.
# Environment: N (mentions, default 20000), PASSES (default 5), KEYWORDS (10000),
# BUILD_DIR (default build/text-bench, an optimised build), THREADS (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20000}
PASSES=${PASSES:-5}
KEYWORDS=${KEYWORDS:-10000}
THREADS=${THREADS:-1}
BUILD_DIR=${BUILD_DIR:-build/text-bench}

echo "text-bench: building text_bench (optimised) in $BUILD_DIR"
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake --preset ci -B "$BUILD_DIR" -DCARECAST_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD_DIR" -j2 --target text_bench >/dev/null

if [ ! -f .tools/vader/node_modules/vader-sentiment/package.json ]; then
  echo "text-bench: installing vader-sentiment 1.1.3 into .tools/vader (gitignored)"
  npm install --prefix .tools/vader --no-audit --no-fund --silent vader-sentiment@1.1.3 >/dev/null
fi

OUT="$BUILD_DIR/text-bench-out"
mkdir -p "$OUT"
node bench/text/gen_mentions.js "$N" 42 >"$OUT/mentions.txt"
steal() { awk '/^cpu /{print $9}' /proc/stat; }
steal0=$(steal)

"$BUILD_DIR/bench/text/text_bench" "$OUT/mentions.txt" --keywords "$KEYWORDS" --passes "$PASSES" \
  --threads "$THREADS" --scores-out "$OUT/ours.txt" >"$OUT/ours.json"
NODE_PATH=.tools/vader/node_modules node bench/text/vader_bench.js "$OUT/mentions.txt" "$OUT/vader.txt" 1 \
  >"$OUT/vader.json"
node bench/text/compare_scores.js "$OUT/ours.txt" "$OUT/vader.txt" >"$OUT/agreement.json"

LABELLED=tests/eval/data/sentiment_healthcare.tsv
"$BUILD_DIR/bench/text/text_bench" "$LABELLED" --keywords 0 --passes 1 --scores-out "$OUT/ours_labelled.txt" >/dev/null
NODE_PATH=.tools/vader/node_modules node bench/text/vader_bench.js "$LABELLED" "$OUT/vader_labelled.txt" 1 >/dev/null
node bench/text/compare_scores.js "$OUT/ours_labelled.txt" "$OUT/vader_labelled.txt" "$LABELLED" >"$OUT/labelled.json"
steal1=$(steal)

node - "$OUT" "$((steal1 - steal0))" <<'JS'
const fs = require('fs');
const [out, steal] = process.argv.slice(2);
const j = (f) => JSON.parse(fs.readFileSync(`${out}/${f}`, 'utf8'));
const ours = j('ours.json'), vader = j('vader.json'), agree = j('agreement.json'), lab = j('labelled.json');
const f0 = (x) => Math.round(x).toLocaleString('en-US');
console.log('');
console.log(`corpus: ${ours.texts / (ours.threads ? 1 : 1)} analyses of ${vader.texts.toLocaleString('en-US')} generated mentions, avg ${ours.avg_bytes} bytes; steal time during run: ${steal} ticks`);
console.log('| engine | texts/s per core (CPU time) | texts/s wall | us/text | peak RSS MB |');
console.log('|---|---|---|---|---|');
console.log(`| CareCast full pipeline (${ours.tracked_keywords} keywords, ${ours.threads} thread) | ${f0(ours.per_sec_per_core_cpu)} | ${f0(ours.per_sec_wall)} | ${ours.us_per_text.toFixed(2)} | ${ours.peak_rss_mb.toFixed(1)} |`);
console.log(`| ${vader.engine}, sentiment only | ${f0(vader.per_sec_cpu)} | ${f0(vader.per_sec_wall)} | ${(1e6 / vader.per_sec_cpu).toFixed(2)} | ${vader.peak_rss_mb.toFixed(1)} |`);
console.log(`speed-up per core: ${(ours.per_sec_per_core_cpu / vader.per_sec_cpu).toFixed(1)}x (goal >= 15x and >= 100,000/s; memory goal < 200 MB)`);
console.log(`sentiment label agreement with VADER on the corpus: ${(100 * agree.label_agreement).toFixed(1)}% (opposite polarity: ${(100 * agree.opposite_polarity).toFixed(1)}%)`);
console.log(`accuracy on ${lab.labelled} hand-labelled healthcare mentions: CareCast ${(100 * lab.accuracy_ours).toFixed(1)}%, VADER ${(100 * lab.accuracy_vader).toFixed(1)}%`);
console.log(`engine build with keywords: ${ours.build_s.toFixed(2)} s; share flagged PHI ${ours.share_phi}, urgent ${ours.share_urgent}, with keywords ${ours.share_keywords}`);
JS
