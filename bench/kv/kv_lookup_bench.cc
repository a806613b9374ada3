// kv_lookup_bench: how the cost of one JetStream KV read, one compare-and-set and
// one last-message-by-subject lookup (the audit chain's) grows with the number of
// keys (subjects) held, on the nats-server this machine runs. The dispatch
// bench (bench/publisher) showed every dispatch step two to three times slower
// with 100,000 posts held; this measures the suspected cause on its own.
//
//   kv_lookup_bench [--sizes 1000,100000] [--reads 2000] [--threads 8]
//
// Starts nats-server -js on a free loopback port (in a temp dir), and for each
// size N: fills a bucket with N keys of 300 bytes and a stream with N subjects
// (8 writers), then times --reads sequential operations on random keys. The
// first size is the anchor the others are read against. Then reads the whole
// bucket twice: with KeyValueStore::Scan (one streaming consumer) and as index
// passes did before it (Keys, then one Get per key). Prints one table.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "carecast/v1/events.pb.h"

#include "bench/common/bench_flags.h"
#include "bench/common/bench_stats.h"
#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/nats_connection.h"
#include "tests/support/local_servers.h"

namespace {

using carecast::common::KeyValueStore;

struct Figures {
  carecast::bench::LatencySummary get_us, update_us, last_us;
  double fill_per_s = 0;
  double scan_s = 0;       // KeyValueStore::Scan over the whole bucket
  double keys_gets_s = 0;  // Keys() then one Get per key, as passes did before Scan
};

template <class Fn>
std::vector<double> Time(int n, Fn&& fn) {
  std::vector<double> us;
  us.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn(i);
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  return us;
}

// Runs fn(i) for i in [0, n) on `threads` threads, reporting progress.
template <class Fn>
void Fill(int64_t n, int threads, const char* what, Fn&& fn) {
  std::atomic<int64_t> next{0};
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int64_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
        fn(i);
        if ((i + 1) % 25000 == 0)
          std::fprintf(stderr, "    %s: %lld/%lld\n", what, static_cast<long long>(i) + 1,
                       static_cast<long long>(n));
      }
    });
  }
  for (std::thread& t : pool) t.join();
}

Figures Measure(carecast::common::NatsConnection& nats, int64_t size, int reads, int threads) {
  Figures f;
  auto bucket = nats.OpenBucket({.name = absl::StrCat("bench_kv_", size), .history = 1});
  if (!bucket.ok()) {
    std::fprintf(stderr, "kv_lookup_bench: %s\n", bucket.status().ToString().c_str());
    std::exit(1);
  }
  KeyValueStore& kv = **bucket;
  const std::string value(300, 'v');
  auto t0 = std::chrono::steady_clock::now();
  Fill(size, threads, "keys", [&](int64_t i) { (void)kv.Put(absl::StrCat("k", i), value); });
  f.fill_per_s = static_cast<double>(size) /
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const std::string stream = absl::StrCat("BENCH_SUBJECTS_", size);
  const std::string prefix = absl::StrCat("bench.subjects.", size, ".");
  if (auto s = nats.EnsureStream({.name = stream, .subjects = {prefix + ">"}}); !s.ok()) {
    std::fprintf(stderr, "kv_lookup_bench: %s\n", s.ToString().c_str());
    std::exit(1);
  }
  carecast::v1::AuditRecorded payload;
  payload.mutable_entry()->set_action("bench.entry");
  Fill(size, threads, "subjects", [&](int64_t i) {
    (void)nats.Publish(carecast::common::MakeEvent(absl::StrCat(prefix, i), payload, "/bench",
                                                   absl::Now(), absl::StrCat("e", size, "-", i)));
  });

  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> pick(0, size - 1);
  std::vector<double> get = Time(reads, [&](int) { (void)kv.Get(absl::StrCat("k", pick(rng))); });
  std::vector<double> update = Time(reads, [&](int) {
    const std::string key = absl::StrCat("k", pick(rng));
    absl::StatusOr<carecast::common::KvEntry> e = kv.Get(key);
    if (e.ok()) (void)kv.Update(key, value, e->revision);
  });
  std::vector<double> last = Time(
      reads, [&](int) { (void)nats.GetLastForSubject(stream, absl::StrCat(prefix, pick(rng))); });
  auto s0 = std::chrono::steady_clock::now();
  int64_t scanned = 0;
  (void)kv.Scan("", [&](std::string_view, const carecast::common::KvEntry&) {
    ++scanned;
    return absl::OkStatus();
  });
  f.scan_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
  s0 = std::chrono::steady_clock::now();
  if (auto keys = kv.Keys(""); keys.ok()) {
    for (const std::string& key : *keys) (void)kv.Get(key);
    if (static_cast<int64_t>(keys->size()) != size) {
      std::fprintf(stderr, "kv_lookup_bench: Keys() listed %zu of %lld keys\n", keys->size(),
                   static_cast<long long>(size));
    }
  } else {
    std::fprintf(stderr, "kv_lookup_bench: Keys(): %s\n", keys.status().ToString().c_str());
  }
  f.keys_gets_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
  if (scanned != size) {
    std::fprintf(stderr, "kv_lookup_bench: the scan saw %lld of %lld keys\n",
                 static_cast<long long>(scanned), static_cast<long long>(size));
    std::exit(1);
  }
  f.get_us = carecast::bench::Summarize(std::move(get));
  f.update_us = carecast::bench::Summarize(std::move(update));
  f.last_us = carecast::bench::Summarize(std::move(last));
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> sizes = {1000, 100000};
  int reads = 2000, threads = 8;
  carecast::bench::BenchFlags flags("kv_lookup_bench",
                                    "kv_lookup_bench [--sizes 1000,100000] [--reads 2000] "
                                    "[--threads 8]");
  flags.Int64List("--sizes", &sizes, 1).Int("--reads", &reads, 10).Int("--threads", &threads, 1);
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) return flags.UsageError(s);
  auto server = carecast::testing::LocalNatsServer::Start();
  if (!server.ok()) {
    std::fprintf(stderr, "kv_lookup_bench: nats-server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  carecast::common::SystemClock clock;
  carecast::common::JsonLogger logger("kv_lookup_bench", carecast::common::LogLevel::kWarn, clock,
                                      stderr);
  auto nats = carecast::common::NatsConnection::Connect({.url = (*server)->url()}, logger);
  if (!nats.ok()) {
    std::fprintf(stderr, "kv_lookup_bench: %s\n", nats.status().ToString().c_str());
    return 1;
  }
  std::vector<Figures> rows;
  for (int64_t size : sizes) {
    std::fprintf(stderr, "==> %lld keys and subjects\n", static_cast<long long>(size));
    rows.push_back(Measure(**nats, size, reads, threads));
  }
  std::printf(
      "| keys (subjects) held | fill | KV Get p50 / p99 | Get + Update p50 / p99 | "
      "last by subject p50 / p99 | whole bucket: Scan | Keys + Get each |\n"
      "|---|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < sizes.size(); ++i) {
    const Figures& f = rows[i];
    std::printf(
        "| %lld%s | %.0f/s | %.0f / %.0f us | %.0f / %.0f us | %.0f / %.0f us | %.2f s | %.2f s "
        "|\n",
        static_cast<long long>(sizes[i]), i == 0 ? " (anchor)" : "", f.fill_per_s, f.get_us.p50,
        f.get_us.p99, f.update_us.p50, f.update_us.p99, f.last_us.p50, f.last_us.p99, f.scan_s,
        f.keys_gets_s);
  }
  return 0;
}
