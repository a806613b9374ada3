#!/usr/bin/env node
// Agreement between two score files (one score per line), as 3-way labels with
// the usual +-0.05 thresholds; with a labelled TSV, the accuracy of each.
// Usage: node compare_scores.js OURS VADER [LABELLED.tsv]
'use strict';
const fs = require('fs');
const read = (p) => fs.readFileSync(p, 'utf8').trim().split('\n').map(Number);
const label = (s) => (s >= 0.05 ? 'pos' : s <= -0.05 ? 'neg' : 'neu');
const [oursPath, vaderPath, labelledPath] = process.argv.slice(2);
const ours = read(oursPath), vader = read(vaderPath);
if (ours.length !== vader.length) throw new Error(`length mismatch ${ours.length} vs ${vader.length}`);
if (labelledPath) {
  const gold = fs.readFileSync(labelledPath, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t')[0]);
  const acc = (s) => s.filter((x, i) => label(x) === gold[i]).length / gold.length;
  console.log(JSON.stringify({ labelled: gold.length, accuracy_ours: acc(ours), accuracy_vader: acc(vader) }));
} else {
  let agree = 0, signAgree = 0, strong = 0;
  for (let i = 0; i < ours.length; i++) {
    if (label(ours[i]) === label(vader[i])) agree++;
    if (Math.sign(ours[i]) === Math.sign(vader[i])) signAgree++;
    if (label(ours[i]) !== 'neu' && label(vader[i]) !== 'neu' && label(ours[i]) !== label(vader[i])) strong++;
  }
  console.log(JSON.stringify({ texts: ours.length, label_agreement: agree / ours.length,
    opposite_polarity: strong / ours.length }));
}
