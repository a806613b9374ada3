#!/usr/bin/env node
// The VADER anchor: scores each line of a file with npm vader-sentiment (the
// JavaScript port), prints throughput, and writes one compound score per line.
// Usage: NODE_PATH=.tools/vader/node_modules node vader_bench.js IN OUT [PASSES]
'use strict';
const fs = require('fs');
const vader = require('vader-sentiment');
const [inPath, outPath, passesArg] = process.argv.slice(2);
const lines = fs.readFileSync(inPath, 'utf8').split('\n').filter((l) => l.length > 0 && !l.startsWith('#'))
  .map((l) => (l.includes('\t') ? l.slice(l.indexOf('\t') + 1) : l));
const passes = parseInt(passesArg || '1', 10);
const scores = lines.map((l) => vader.SentimentIntensityAnalyzer.polarity_scores(l).compound);  // warm-up
const start = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
for (let p = 0; p < passes; p++) {
  for (const l of lines) vader.SentimentIntensityAnalyzer.polarity_scores(l);
}
const secs = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuStart);
const cpuSecs = (cpu.user + cpu.system) / 1e6;
fs.writeFileSync(outPath, scores.map((s) => s.toFixed(4)).join('\n') + '\n');
const n = lines.length * passes;
console.log(JSON.stringify({
  engine: 'vader-sentiment (node ' + process.version + ')', texts: n, wall_s: secs,
  per_sec_wall: n / secs, per_sec_cpu: n / cpuSecs, peak_rss_mb: process.resourceUsage().maxRSS / 1024,
}));
