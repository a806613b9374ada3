// The BullMQ side of dispatch_bench.sh: the same schedule as CareCast's, as
// BullMQ delayed jobs on the same Redis (its own key prefix), with a worker whose
// processor makes the same HTTP call the publisher's Mastodon adapter makes
// (POST /api/v1/statuses with an Idempotency-Key) to a second carecast-fake-network.
//
//   node bullmq_bench.mjs --redis redis://127.0.0.1:PORT --target http://127.0.0.1:PORT
//        --posts N (--rate R | --herd) --lead-ms L --id-prefix P
//        [--prefix bull] [--queue NAME] [--concurrency 16] [--preload N] [--timeout-s S]
//
// Job i falls due at t0 + lead + i/R (all at t0 + lead with --herd) and is added
// (addBulk, in due order) no earlier than t0 + i/R, as schedule_load paces its
// SchedulePost calls. Its id is "<P>-<due unix ms>-<i>" and the Idempotency-Key
// "<id>.v1", the shape the publisher sends, so the fake's commit log is read the
// same way for both. --preload adds N jobs held 30 days ahead first (with
// --posts 0 it only does that). Jobs are removed once complete; the queue is
// left in Redis (the benchmark's Redis is thrown away afterwards).
// Prints one JSON line: jobs added, processed, HTTP failures, add calls/s, and
// lateness = processing start - due (p50/p99/max, ms).
//
// bullmq is loaded from $CARECAST_BENCH_NODE_MODULES (dispatch_bench.sh installs
// it into .tools/bench/node_modules on first use).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules =
  process.env.CARECAST_BENCH_NODE_MODULES ||
  path.join(here, '..', '..', '.tools', 'bench', 'node_modules');
const require = createRequire(path.join(modules, 'noop.js'));
let bullmq;
try {
  bullmq = require('bullmq');
} catch (e) {
  console.error(`bullmq_bench: bullmq is not installed in ${modules} (dispatch_bench.sh installs it)`);
  process.exit(2);
}
const { Queue, Worker } = bullmq;

function parseArgs(argv) {
  const o = {
    redis: '', target: '', posts: 0, rate: 200, herd: false, leadMs: 10000, idPrefix: 'b',
    prefix: 'bull', queue: 'dispatch', concurrency: 16, preload: 0, timeoutS: 0,
    token: 'bench-bullmq-token',
  };
  for (let i = 2; i < argv.length; ++i) {
    const a = argv[i];
    const v = () => argv[++i];
    switch (a) {
      case '--redis': o.redis = v(); break;
      case '--target': o.target = v(); break;
      case '--posts': o.posts = Number(v()); break;
      case '--rate': o.rate = Number(v()); break;
      case '--herd': o.herd = true; break;
      case '--lead-ms': o.leadMs = Number(v()); break;
      case '--id-prefix': o.idPrefix = v(); break;
      case '--prefix': o.prefix = v(); break;
      case '--queue': o.queue = v(); break;
      case '--concurrency': o.concurrency = Number(v()); break;
      case '--preload': o.preload = Number(v()); break;
      case '--timeout-s': o.timeoutS = Number(v()); break;
      case '--token': o.token = v(); break;
      default:
        console.error(`bullmq_bench: unknown option ${a}`);
        process.exit(2);
    }
  }
  if (!o.redis || !o.target || !(o.posts > 0 || o.preload > 0)) {
    console.error('bullmq_bench: --redis, --target and --posts (or --preload) are needed');
    process.exit(2);
  }
  return o;
}

function connectionOf(url) {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 6379), maxRetriesPerRequest: null };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const o = parseArgs(process.argv);
  const connection = connectionOf(o.redis);
  const queue = new Queue(o.queue, { connection, prefix: o.prefix });
  const text = 'Walk-in flu shots at St Mary, weekdays 8-6. #fluseason';
  const statusesUrl = `${o.target.replace(/\/$/, '')}/api/v1/statuses`;

  const lateness = [];
  let processed = 0;
  let httpFailures = 0;
  let resolveAll;
  const allDone = new Promise((r) => (resolveAll = r));

  const worker = o.posts === 0 ? null : new Worker(
    o.queue,
    async (job) => {
      const start = Date.now();
      const due = job.data.due;
      if (due > 0) lateness.push(start - due);
      const res = await fetch(statusesUrl, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${o.token}`,
          Accept: 'application/json',
          'Content-Type': 'application/json',
          'Idempotency-Key': `${job.id}.v1`,
        },
        body: JSON.stringify({ status: job.data.text }),
      });
      await res.arrayBuffer();
      if (res.status !== 200) {
        httpFailures += 1;
        throw new Error(`fake network answered ${res.status}`);
      }
      if (due > 0 && ++processed >= o.posts) resolveAll();
    },
    { connection, prefix: o.prefix, concurrency: o.concurrency, autorun: true },
  );
  worker?.on('error', (e) => console.error(`bullmq_bench: worker error: ${e.message}`));

  // Held jobs far in the future (30 days + i/10 s), as the CareCast preload.
  if (o.preload > 0) {
    const t = Date.now();
    const base = t + 30 * 24 * 3600 * 1000;
    for (let i = 0; i < o.preload; i += 1000) {
      const jobs = [];
      for (let j = i; j < Math.min(o.preload, i + 1000); ++j) {
        const due = base + Math.floor(j * 100);
        jobs.push({
          name: 'post',
          data: { due: 0, text },
          opts: { jobId: `${o.idPrefix}-held-${j}`, delay: due - Date.now(), removeOnComplete: true },
        });
      }
      await queue.addBulk(jobs);
      if ((i / 1000) % 100 === 0 && i > 0) console.error(`bullmq_bench: preloaded ${i}`);
    }
    const seconds = (Date.now() - t) / 1000;
    console.error(`bullmq_bench: preloaded ${o.preload} held jobs in ${seconds.toFixed(1)} s`);
    if (o.posts === 0) {
      await queue.close();
      console.log(JSON.stringify({ side: 'bullmq', preloaded: o.preload, seconds,
        add_per_s: Number((o.preload / Math.max(seconds, 1e-3)).toFixed(1)),
        max_rss_kb: process.resourceUsage().maxRSS }));
      process.exit(0);
    }
  }

  const t0 = Date.now();
  const firstDue = t0 + o.leadMs;
  let added = 0;
  const addStart = Date.now();
  while (added < o.posts) {
    // Every job whose send time (t0 + i/R) has come, at most 500 per addBulk.
    let upTo = o.herd ? o.posts : Math.min(o.posts, Math.floor(((Date.now() - t0) / 1000) * o.rate) + 1);
    upTo = Math.min(upTo, added + 500);
    if (upTo <= added) {
      await sleep(Math.max(1, Math.min(20, Math.ceil(1000 / o.rate))));
      continue;
    }
    const jobs = [];
    const now = Date.now();
    for (let i = added; i < upTo; ++i) {
      const due = o.herd ? firstDue : firstDue + Math.floor((i * 1000) / o.rate);
      jobs.push({
        name: 'post',
        data: { due, text },
        opts: {
          jobId: `${o.idPrefix}-${due}-${i}`,
          delay: Math.max(0, due - now),
          removeOnComplete: true,
          removeOnFail: 1000,
          attempts: 3,
        },
      });
    }
    await queue.addBulk(jobs);
    added = upTo;
  }
  const addSeconds = (Date.now() - addStart) / 1000;

  const lastDue = o.herd ? firstDue : firstDue + Math.floor(((o.posts - 1) * 1000) / o.rate);
  const timeoutMs = o.timeoutS > 0 ? o.timeoutS * 1000 : lastDue - Date.now() + 120000;
  const progress = setInterval(() => {
    console.error(`bullmq_bench: ${processed}/${o.posts} processed`);
  }, 5000);
  const timedOut = await Promise.race([allDone.then(() => false), sleep(timeoutMs).then(() => true)]);
  clearInterval(progress);
  const finished = Date.now();

  await worker.close();
  await queue.close();

  lateness.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      side: 'bullmq',
      bullmq_version: require('bullmq/package.json').version,
      posts: o.posts,
      added,
      processed,
      http_failures: httpFailures,
      timed_out: timedOut,
      add_per_s: Number((added / Math.max(addSeconds, 1e-3)).toFixed(1)),
      herd_out_ms: o.herd ? finished - firstDue : null,
      start_lateness_ms: {
        p50: percentile(lateness, 50),
        p99: percentile(lateness, 99),
        max: lateness.length ? lateness[lateness.length - 1] : null,
      },
      concurrency: o.concurrency,
      first_due_ms: firstDue,
      max_rss_kb: process.resourceUsage().maxRSS,
    }),
  );
  process.exit(0);
}

main().catch((e) => {
  console.error(`bullmq_bench: ${e.stack || e}`);
  process.exit(1);
});
