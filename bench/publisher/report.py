#!/usr/bin/env python3
"""The side-by-side table of dispatch_bench.sh, from what its run dir holds.

  python3 bench/publisher/report.py RUN_DIR [--config TEXT]

Reads scenarios.txt ("<name> <carecast prefix> <bullmq prefix>"), phases.txt
("<name> <side> <start ms> <end ms> <json>"), the two fakes' commit logs (one JSON
line per committed create: arrival_us, key = "<prefix>-<due ms>-<i>.v1"),
redis-memory.txt ("<ms> <used_memory>") and hwm.jsonl (VmHWM in kB per process
after each phase). Lateness = the create's arrival at its fake - its due time.
"""
import argparse
import collections
import json
import math
import os


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    idx = min(len(sorted_values) - 1, max(0, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[idx]


def read_commits(path):
    """prefix -> {post id: [arrival_us, ...]}"""
    by_prefix = collections.defaultdict(lambda: collections.defaultdict(list))
    if not os.path.exists(path):
        return by_prefix
    with open(path) as f:
        for line in f:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            key = row.get("key", "")
            post = key.rsplit(".v", 1)[0]
            parts = post.rsplit("-", 2)
            if len(parts) != 3:
                continue
            by_prefix[parts[0]][post].append(row["arrival_us"])
    return by_prefix


def delivery_figures(posts):
    """posts: {post id: [arrival_us]} -> figures"""
    lateness = []
    duplicates = 0
    last_arrival_after_due = None
    for post, arrivals in posts.items():
        due_ms = int(post.rsplit("-", 2)[1])
        first = min(arrivals)
        lateness.append(first / 1000.0 - due_ms)
        duplicates += len(arrivals) - 1
        after = max(arrivals) / 1000.0 - due_ms
        last_arrival_after_due = after if last_arrival_after_due is None else max(last_arrival_after_due, after)
    lateness.sort()
    return {
        "delivered": len(posts),
        "duplicates": duplicates,
        "p50": percentile(lateness, 50),
        "p99": percentile(lateness, 99),
        "max": lateness[-1] if lateness else None,
        "min": lateness[0] if lateness else None,
        "last_after_due_ms": last_arrival_after_due,
    }


def read_phases(run):
    phases = {}
    path = os.path.join(run, "phases.txt")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                name, side, start, end, rest = line.rstrip("\n").split(" ", 4)
                try:
                    info = json.loads(rest)
                except json.JSONDecodeError:
                    info = {}
                phases[(name, side)] = (int(start), int(end), info)
    return phases


def read_memory(run):
    samples = []
    path = os.path.join(run, "redis-memory.txt")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    samples.append((int(parts[0]), int(parts[1])))
    return samples


def memory_in(samples, start, end):
    before = [m for t, m in samples if t <= start]
    during = [m for t, m in samples if start <= t <= end]
    if not during:
        return None, None
    base = before[-1] if before else during[0]
    return max(during), max(during) - base


def read_hwm(run):
    out = {}
    path = os.path.join(run, "hwm.jsonl")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                row = json.loads(line)
                out[row.pop("phase")] = row
    return out


def read_steps(run):
    """{phase: {step: (sum_s, count)}} from steps.txt."""
    out = {}
    path = os.path.join(run, "steps.txt")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                phase, step, total, count = line.split()
                out.setdefault(phase, {})[step] = (float(total), float(count))
    return out


def step_means(steps, name):
    """Mean wall time per dispatch step during a scenario, as one string."""
    before, after = steps.get(f"{name}-before", {}), steps.get(f"{name}-after", {})
    parts = []
    for step in ("check", "claim", "send_check", "channel", "record"):
        s1, c1 = after.get(step, (0.0, 0.0))
        s0, c0 = before.get(step, (0.0, 0.0))
        if c1 > c0:
            parts.append(f"{step} {(s1 - s0) / (c1 - c0) * 1000:,.1f}")
    return ", ".join(parts) + " ms" if parts else "-"


def ms(v):
    return "-" if v is None else f"{v:,.0f} ms"


def mb(v):
    return "-" if v is None else f"{v / 1048576:,.1f} MB"


def kb_mb(v):
    return "-" if not v else f"{v / 1024:,.0f} MB"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--config", default="")
    args = ap.parse_args()
    run = args.run
    carecast = read_commits(os.path.join(run, "fake-carecast.commits.jsonl"))
    bullmq = read_commits(os.path.join(run, "fake-bullmq.commits.jsonl"))
    phases = read_phases(run)
    memory = read_memory(run)
    hwm = read_hwm(run)
    steps = read_steps(run)
    if args.config:
        print(f"configuration: {args.config}")
    for (name, side), (start, end, info) in phases.items():
        if name == "preload":
            # The rise covers what the held posts cost Redis (the sampler runs
            # every 0.5 s; the phase ends when the last call returned).
            peak, rise = memory_in(memory, start, end + 1500)
            print(f"preload {side}: {json.dumps(info)}; Redis used_memory rise {mb(rise)}")
    scenarios = []
    with open(os.path.join(run, "scenarios.txt")) as f:
        for line in f:
            scenarios.append(line.split())
    rows = []
    for name, cprefix, bprefix in scenarios:
        c = delivery_figures(carecast.get(cprefix, {}))
        b = delivery_figures(bullmq.get(bprefix, {}))
        cs, ce, cinfo = phases.get((name, "carecast"), (0, 0, {}))
        bs, be, binfo = phases.get((name, "bullmq"), (0, 0, {}))
        cmem, cdelta = memory_in(memory, cs, ce)
        bmem, bdelta = memory_in(memory, bs, be)
        ch = hwm.get(f"{name}-carecast", {})
        bh = hwm.get(f"{name}-bullmq", {})
        herd = bool(cinfo.get("herd"))
        sec = lambda v: "-" if v is None else f"{v / 1000:,.2f} s"
        rows.append((f"**{name}**", "", ""))
        rows.append(("posts due", f"{cinfo.get('posts', '-'):,}" if cinfo else "-",
                     f"{binfo.get('posts', '-'):,}" if binfo else "-"))
        rows.append(("scheduled (calls/s achieved)",
                     f"{cinfo.get('scheduled', 0):,} ({cinfo.get('calls_per_s', 0):,.0f}/s "
                     f"{'SchedulePost' if cinfo.get('batch', 1) == 1 else 'batched'},"
                     f" {cinfo.get('in_flight', '-')} in flight)",
                     f"{binfo.get('added', 0):,} ({binfo.get('add_per_s', 0):,.0f}/s addBulk)"))
        rows.append(("delivered to the fake", f"{c['delivered']:,}", f"{b['delivered']:,}"))
        rows.append(("duplicates at the fake", str(c["duplicates"]), str(b["duplicates"])))
        rows.append(("lateness p50 (arrival - due)", ms(c["p50"]), ms(b["p50"])))
        rows.append(("lateness p99", ms(c["p99"]), ms(b["p99"])))
        rows.append(("lateness max", ms(c["max"]), ms(b["max"])))
        sl = binfo.get("start_lateness_ms") or {}
        rows.append(("BullMQ processing start - due p50/p99/max", "",
                     "/".join("-" if sl.get(k) is None else str(sl.get(k)) for k in ("p50", "p99", "max"))))
        if herd:
            rows.append(("herd out (last arrival - due)", sec(c["last_after_due_ms"]),
                         sec(b["last_after_due_ms"])))
            dur = lambda f: None if not f["delivered"] or f["last_after_due_ms"] is None else f["delivered"] / max(
                (f["last_after_due_ms"]) / 1000, 1e-3)
            thr = lambda v: "-" if v is None else f"{v:,.0f} posts/s"
            rows.append(("herd throughput (delivered / herd out)", thr(dur(c)), thr(dur(b))))
        rows.append(("mean dispatch step (publishers' histograms)", step_means(steps, name), ""))
        rows.append(("Redis used_memory peak (rise in phase)",
                     f"{mb(cmem)} (+{mb(cdelta)})", f"{mb(bmem)} (+{mb(bdelta)})"))
        rows.append(("peak RSS (VmHWM, cumulative)",
                     f"planner {kb_mb(ch.get('planner'))}, publishers {kb_mb(ch.get('publisher-1'))} + "
                     f"{kb_mb(ch.get('publisher-2'))}, nats {kb_mb(ch.get('nats-server'))}, "
                     f"fake {kb_mb(ch.get('fake-carecast'))}",
                     f"node {kb_mb(binfo.get('max_rss_kb'))}, fake {kb_mb(bh.get('fake-bullmq'))}"))
        rows.append(("redis-server peak RSS (shared)", kb_mb(ch.get("redis-server")),
                     kb_mb(bh.get("redis-server"))))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows + [("", "CareCast", "")])
    w2 = max(len(r[2]) for r in rows + [("", "", "BullMQ")])
    print(f"| {'figure':<{w0}} | {'CareCast':<{w1}} | {'BullMQ':<{w2}} |")
    print(f"|{'-' * (w0 + 2)}|{'-' * (w1 + 2)}|{'-' * (w2 + 2)}|")
    for r in rows:
        print(f"| {r[0]:<{w0}} | {r[1]:<{w1}} | {r[2]:<{w2}} |")


if __name__ == "__main__":
    main()
