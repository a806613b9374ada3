// Opens a weekly report page in headless Chromium (Debian's /usr/bin/chromium,
// driven over the DevTools protocol by puppeteer-core from .tools/, which
// scripts/install-deps.sh installs) and checks what a reader would see:
//   node tests/e2e/report_page_check.mjs <url> <screenshot.png> <expected.json>
// expected.json: {"figures": {"impressions": "48,210", ...},
//                 "texts": ["text that must be visible", ...],
//                 "bars": {"chart-daily": 7, "chart-sentiment": 21}}
// Checks: each data-figure element shows its expected text; each chart's <svg>
// is laid out with a non-zero size and holds the expected number of bars, at
// least one of them taller than zero; the inline style applied (so the CSP
// allowed it); no script ran and no request left the page; at a phone's width
// nothing overflows sideways. Saves a full-page screenshot (and a phone one next
// to it). Exits non-zero with the reasons on any failure, including a missing
// Chromium: it never skips.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [url, screenshot, expectedPath] = process.argv.slice(2);
if (!url || !screenshot || !expectedPath) {
  console.error('usage: report_page_check.mjs <url> <screenshot.png> <expected.json>');
  process.exit(2);
}
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.error(`FAIL: ${chromium} is missing (scripts/install-deps.sh --all installs chromium)`);
  process.exit(1);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, '.tools', 'package.json'));
let puppeteer;
try {
  puppeteer = require('puppeteer-core');
} catch (e) {
  console.error('FAIL: puppeteer-core is missing from .tools/ (run scripts/install-deps.sh)');
  process.exit(1);
}
const expected = JSON.parse(readFileSync(expectedPath, 'utf8'));
const failures = [];
const fail = (message) => failures.push(message);

// What the page looks like to a reader, gathered in the page (the page itself
// has no script; this runs from the DevTools side).
function inspectPage(bars) {
  const out = { figures: {}, charts: {}, text: document.body.innerText };
  for (const el of document.querySelectorAll('[data-figure]')) {
    out.figures[el.dataset.figure] = el.textContent.trim();
  }
  for (const id of Object.keys(bars)) {
    const svg = document.getElementById(id);
    if (!svg) continue;
    const box = svg.getBoundingClientRect();
    const marks = [...svg.querySelectorAll('rect.bar')].map((r) => r.getBoundingClientRect());
    out.charts[id] = {
      width: box.width, height: box.height, bars: marks.length,
      tallest: Math.max(0, ...marks.map((m) => m.height)),
      inside: marks.every((m) => m.left >= box.left - 1 && m.right <= box.right + 1 &&
                                 m.top >= box.top - 1 && m.bottom <= box.bottom + 1),
    };
  }
  const badge = document.querySelector('.badge-on');
  out.badgeBackground = badge ? getComputedStyle(badge).backgroundColor : null;
  out.scripts = document.scripts.length;
  out.scrollWidth = document.documentElement.scrollWidth;
  return out;
}

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  const requests = [];
  page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
  page.on('pageerror', (e) => fail(`page error: ${e.message}`));
  page.on('dialog', async (d) => { fail(`a dialog opened: ${d.message()}`); await d.dismiss(); });
  await page.setViewport({ width: 1100, height: 900 });
  const response = await page.goto(url, { waitUntil: 'load' });
  if (response && !response.ok() && response.status() !== 0) {
    fail(`${url} answered ${response.status()}`);
  }
  const seen = await page.evaluate(inspectPage, expected.bars || {});

  for (const [name, value] of Object.entries(expected.figures || {})) {
    if (seen.figures[name] !== value) {
      fail(`figure ${name}: shows ${JSON.stringify(seen.figures[name])}, expected ${JSON.stringify(value)}`);
    }
  }
  for (const text of expected.texts || []) {
    if (!seen.text.includes(text)) fail(`text not visible: ${JSON.stringify(text)}`);
  }
  for (const [id, count] of Object.entries(expected.bars || {})) {
    const chart = seen.charts[id];
    if (!chart) { fail(`chart #${id} is missing`); continue; }
    if (!(chart.width > 100 && chart.height > 50)) {
      fail(`chart #${id} is not laid out: ${chart.width}x${chart.height}`);
    }
    if (chart.bars !== count) fail(`chart #${id}: ${chart.bars} bars, expected ${count}`);
    if (!(chart.tallest > 10)) fail(`chart #${id}: no bar has a visible height`);
    if (!chart.inside) fail(`chart #${id}: a bar is drawn outside the chart`);
  }
  if (seen.badgeBackground !== 'rgb(39, 103, 68)') {
    fail(`the inline style did not apply (CSP?): .badge-on background ${seen.badgeBackground}`);
  }
  if (seen.scripts !== 0) fail(`the page has ${seen.scripts} script elements`);
  if (requests.length) fail(`the page requested: ${requests.join(', ')}`);

  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${screenshot}`);

  await page.setViewport({ width: 390, height: 844, isMobile: true, deviceScaleFactor: 1 });
  const phone = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    width: document.documentElement.clientWidth,
    chart: document.getElementById('chart-daily')?.getBoundingClientRect().width ?? 0,
    wrap: document.getElementById('chart-daily')?.parentElement.getBoundingClientRect().right ?? 0,
  }));
  if (phone.scrollWidth > phone.width + 1) {
    fail(`at 390px the page scrolls sideways: ${phone.scrollWidth}px wide`);
  }
  // Charts keep a readable width (scrolling inside their box) but the box fits.
  if (!(phone.chart >= 300 && phone.wrap <= phone.width + 1)) {
    fail(`at 390px the daily chart is ${phone.chart}px wide in a box ending at ${phone.wrap}px`);
  }
  const phoneShot = screenshot.replace(/\.png$/, '') + '-phone.png';
  await page.screenshot({ path: phoneShot, fullPage: true });
  console.log(`phone screenshot: ${phoneShot}`);
} finally {
  await browser.close();
}
if (failures.length) {
  for (const f of failures) console.error(`FAIL: ${f}`);
  process.exit(1);
}
console.log('report page: all checks passed');
