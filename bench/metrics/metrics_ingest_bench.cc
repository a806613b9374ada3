// metrics_ingest_bench: how fast the metrics service rebuilds the program's
// figures from the events stream, and how long a /metrics scrape of 100,000
// series takes while it does (issue 13: >= 300,000 events/s on one core with
// nothing lost; scrape p99 <= 50 ms while ingesting).
//
//   metrics_ingest_bench [--events 1000000] [--series 100000] [--scrapes 100]
//                        [--nats-events 200000]
//
// 1. Ingest: a generated stream (event_workload.h) of envelopes with serialized
//    payloads goes through EventIngest::Handle, the subscription handler (decode,
//    ProgramFigures, MetricsExposition), on one pinned core. Every figure is then
//    checked against what the generator counted itself.
// 2. Scrape: the exposition's series plus a bench-only gauge family make
//    --series series; /metrics is fetched from the real HttpServer over loopback,
//    idle and while an ingest thread replays the stream on the other core. The
//    anchor is stock prometheus-cpp Registry::Collect + TextSerializer::Serialize
//    of the same samples (copied into prometheus-cpp families) in this binary,
//    measured in the same conditions.
// 3. Replay (--nats-events > 0): a nats-server -js pre-filled with that many
//    events, replayed end to end by EventIngest::Start.
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "bench/common/bench_flags.h"
#include "bench/common/bench_stats.h"
#include "bench/common/cpu_usage.h"
#include "bench/metrics/event_workload.h"
#include "bench/metrics/exposition_samples.h"
#include "bench/metrics/figure_check.h"
#include "bench/metrics/scrape_client.h"
#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/topology.h"
#include "services/common/rpc/http_server.h"
#include "services/common/rpc/metrics_text.h"
#include "services/common/rpc/series_table.h"
#include "services/metrics/event_ingest.h"
#include "services/metrics/metrics_exposition.h"
#include "services/metrics/program_figures.h"
#include "tests/support/fake_event_bus.h"
#include "tests/support/http_probe.h"
#include "tests/support/local_servers.h"

namespace {

namespace cb = carecast::bench;
namespace cc = carecast::common;
namespace cm = carecast::metrics;
using Clock = std::chrono::steady_clock;

constexpr double kIngestGoal = 300'000;  // events/s
constexpr double kScrapeGoalMs = 50;     // p99

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

bool Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof(set), &set) == 0;
}

struct Latency {
  cb::LatencySummary ms;  // per scrape
  size_t bytes = 0;       // of the last scrape
  double cpu_ms = 0;      // CPU time of the whole process per scrape (idle runs only)
};

Latency Summarise(std::vector<double> ms, size_t bytes) {
  return {.ms = cb::Summarize(std::move(ms)), .bytes = bytes};
}

// The service's pieces, wired as main.cc wires them (the bus is never started:
// the bench calls the subscription handler itself).
struct Pipeline {
  Pipeline(cm::MetricsExposition& exposition, cc::Logger& logger) : figures(&exposition) {
    ingest = *cm::EventIngest::Create(
        {}, {.bus = bus, .figures = figures, .exposition = exposition, .logger = logger});
  }
  carecast::testing::FakeEventBus bus;
  cm::ProgramFigures figures;
  std::unique_ptr<cm::EventIngest> ingest;
};

struct IngestResult {
  double seconds = 0;
  double cpu_seconds = 0;
  int64_t handled = 0;
  int64_t not_acked = 0;
};

// Feeds every event to the handler; prints progress to stderr when `progress`.
IngestResult Ingest(cm::EventIngest& ingest, const std::vector<cc::Event>& events, bool progress,
                    const std::atomic<bool>* stop = nullptr) {
  IngestResult r;
  const auto t0 = Clock::now();
  const double cpu0 = cb::ThreadCpuSeconds();
  // As EventIngest::Start does with the consumer's pending count.
  ingest.ExpectEvents(static_cast<int64_t>(events.size()));
  const size_t step = std::max<size_t>(events.size() / 4, 1);
  for (size_t i = 0; i < events.size(); ++i) {
    if (ingest.Handle(events[i]) != cc::Disposition::kAck) ++r.not_acked;
    ++r.handled;
    if (progress && (i + 1) % step == 0)
      std::fprintf(stderr, "    ingest: %zu/%zu events, %.0f/s\n", i + 1, events.size(),
                   static_cast<double>(i + 1) / Seconds(t0));
    if (stop != nullptr && (i & 1023) == 0 && stop->load()) break;
  }
  r.seconds = Seconds(t0);
  r.cpu_seconds = cb::ThreadCpuSeconds() - cpu0;
  return r;
}

struct IngestFigures {
  double rate = 0;      // per wall-clock second
  double cpu_rate = 0;  // per CPU second of the ingesting thread
  int64_t events = 0;
  std::vector<std::string> mismatches;
};

IngestFigures MeasureIngest(const carecast::bench::Workload& w, cc::Logger& logger) {
  std::fprintf(stderr, "==> ingest: %zu events through EventIngest::Handle on cpu 0\n",
               w.events.size());
  prometheus::Registry registry;
  cc::SeriesTable table;
  cm::MetricsExposition exposition(registry, table);
  Pipeline p(exposition, logger);
  IngestResult r = Ingest(*p.ingest, w.events, true);
  IngestFigures f;
  f.events = static_cast<int64_t>(w.events.size());
  f.rate = static_cast<double>(f.events) / r.seconds;
  f.cpu_rate = static_cast<double>(f.events) / r.cpu_seconds;
  if (r.not_acked != 0) f.mismatches.push_back(absl::StrCat(r.not_acked, " events not acked"));
  f.mismatches = carecast::bench::CheckFigures(
      w.expected, p.figures, *p.ingest, cc::ScrapeText(registry, &table), std::move(f.mismatches));
  return f;
}

// Adds gauges to `table` until a scrape holds `series` samples; returns how many
// were added.
int64_t FillSeries(const prometheus::Registry& registry, cc::SeriesTable& table, int64_t series) {
  const std::string text = cc::ScrapeText(registry, &table);
  int64_t have = 0;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (text[at] != '#') ++have;
    at = end == std::string::npos ? text.size() : end + 1;
  }
  cc::SeriesFamily& family = table.AddGauge("carecast_bench_synthetic",
                                            "Bench-only series that bring the scrape to its size.");
  const int64_t add = std::max<int64_t>(series - have, 0);
  for (int64_t i = 0; i < add; ++i) {
    family
        .Add({{"spoke", absl::StrCat("s", i % 200)},
              {"network", absl::StrCat("n", i / 200 % 10)},
              {"slot", absl::StrCat(i / 2000)}})
        .Set(static_cast<double>(i) * 1.5);
  }
  return add;
}

std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    lines.emplace_back(text, at, end - at);
    at = end + 1;
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

struct ScrapeFigures {
  Latency anchor_idle, ours_idle, anchor_busy, ours_busy;
  Latency collect_idle;              // Registry::Collect alone, the part both share
  Latency ours_new_connection_idle;  // HttpCall: Connection: close, a server thread each
  bool same_lines = false;           // idle: our /metrics body's lines == the anchor's
  double busy_ingest_rate = 0;
  int64_t synthetic = 0;
};

Latency TimeScrapes(int n, const std::function<size_t()>& scrape) {
  std::vector<double> ms;
  size_t bytes = 0;
  const double cpu0 = cb::ProcessCpuMs();
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    bytes = scrape();
    ms.push_back(Seconds(t0) * 1000);
  }
  Latency l = Summarise(std::move(ms), bytes);
  l.cpu_ms = (cb::ProcessCpuMs() - cpu0) / n;
  return l;
}

ScrapeFigures MeasureScrape(const carecast::bench::Workload& w, cc::Logger& logger, int64_t series,
                            int scrapes) {
  std::fprintf(stderr, "==> scrape: %lld series\n", static_cast<long long>(series));
  Pin(1);  // this thread and the server's threads (created below) on cpu 1
  prometheus::Registry registry;
  cc::SeriesTable table;
  cm::MetricsExposition exposition(registry, table);
  {
    Pipeline warm(exposition, logger);  // every series the stream makes
    Ingest(*warm.ingest, w.events, false);
  }
  ScrapeFigures f;
  f.synthetic = FillSeries(registry, table, series);
  // The anchor's copy of the table's samples, in stock prometheus-cpp families;
  // the registry's own families (histogram, HTTP) it collects from the registry.
  prometheus::Registry mirror;
  {
    std::string text;
    table.AppendText(text);
    carecast::bench::MirrorIntoRegistry(carecast::bench::ParseExposition(text), mirror);
  }
  auto stock_collect = [&] {
    std::vector<prometheus::MetricFamily> families = registry.Collect();
    std::vector<prometheus::MetricFamily> copied = mirror.Collect();
    families.insert(families.end(), std::make_move_iterator(copied.begin()),
                    std::make_move_iterator(copied.end()));
    return families;
  };
  cc::HttpServer server({.address = "127.0.0.1"}, registry, &table);
  if (absl::Status s = server.Start(); !s.ok()) {
    std::fprintf(stderr, "http server: %s\n", s.ToString().c_str());
    std::exit(1);
  }
  auto anchor = [&] {
    prometheus::TextSerializer serializer;
    return serializer.Serialize(stock_collect()).size();
  };
  carecast::bench::ScrapeClient client(server.port());
  auto ours = [&] {
    absl::StatusOr<std::string> body = client.Scrape();
    if (!body.ok()) {
      std::fprintf(stderr, "scrape failed: %s\n", body.status().ToString().c_str());
      std::exit(1);
    }
    return body->size();
  };
  // What a scraper that opens a new connection each time costs (a thread each).
  auto ours_new_connection = [&] {
    auto r =
        carecast::testing::HttpCall(server.port(), "GET", "/metrics", "", {}, absl::Seconds(30));
    if (!r.ok() || r->status != 200) std::exit(1);
    return r->body.size();
  };
  {
    auto body =
        carecast::testing::HttpCall(server.port(), "GET", "/metrics", "", {}, absl::Seconds(30));
    const std::string stock = prometheus::TextSerializer().Serialize(stock_collect());
    // The server counts the connection it answers on; the stock text was taken after.
    std::string ours_text = body.ok() ? body->body : "";
    const std::string open = "\ncarecast_http_connections_open 1\n";
    if (size_t at = ours_text.find(open); at != std::string::npos)
      ours_text.replace(at, open.size(), "\ncarecast_http_connections_open 0\n");
    // prometheus-cpp writes a family's series in hash order: compare the lines.
    const std::vector<std::string> ours_lines = SortedLines(ours_text);
    const std::vector<std::string> stock_lines = SortedLines(stock);
    f.same_lines = body.ok() && ours_lines == stock_lines;
    if (!f.same_lines && body.ok()) {
      auto [a, b] = std::mismatch(ours_lines.begin(), ours_lines.end(), stock_lines.begin(),
                                  stock_lines.end());
      std::fprintf(stderr, "    /metrics lines differ from stock (%zu vs %zu lines): %s | %s\n",
                   ours_lines.size(), stock_lines.size(),
                   a == ours_lines.end() ? "(end)" : a->c_str(),
                   b == stock_lines.end() ? "(end)" : b->c_str());
    }
  }
  f.collect_idle = TimeScrapes(scrapes / 2, [&] { return stock_collect().size(); });
  f.anchor_idle = TimeScrapes(scrapes / 2, anchor);
  f.ours_idle = TimeScrapes(scrapes / 2, ours);
  f.ours_new_connection_idle = TimeScrapes(scrapes / 4, ours_new_connection);
  std::fprintf(stderr, "    idle: anchor p50 %.1f ms, ours p50 %.1f ms; now under ingest\n",
               f.anchor_idle.ms.p50, f.ours_idle.ms.p50);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> ingested{0};
  std::thread ingester([&] {
    Pin(0);
    double busy = 0;
    while (!stop.load()) {
      Pipeline p(exposition, logger);  // each pass rebuilds from nothing
      IngestResult r = Ingest(*p.ingest, w.events, false, &stop);
      busy += r.seconds;
      ingested += r.handled;
    }
    f.busy_ingest_rate = static_cast<double>(ingested.load()) / busy;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::vector<double> anchor_ms, ours_ms;
  size_t anchor_bytes = 0, ours_bytes = 0;
  for (int i = 0; i < scrapes; ++i) {
    auto t0 = Clock::now();
    anchor_bytes = anchor();
    anchor_ms.push_back(Seconds(t0) * 1000);
    t0 = Clock::now();
    ours_bytes = ours();
    ours_ms.push_back(Seconds(t0) * 1000);
    if ((i + 1) % 25 == 0) std::fprintf(stderr, "    %d/%d scrapes under ingest\n", i + 1, scrapes);
  }
  stop = true;
  ingester.join();
  f.anchor_busy = Summarise(std::move(anchor_ms), anchor_bytes);
  f.ours_busy = Summarise(std::move(ours_ms), ours_bytes);
  server.Stop();
  return f;
}

}  // namespace

namespace {

struct ReplayFigures {
  double fill_rate = 0;
  double rate = 0;
  int64_t events = 0;
  std::vector<std::string> mismatches;
  std::string error;
};

// Publishes `w` to a fresh nats-server's events stream (8 writers), then times
// EventIngest::Start until every event was handled.
ReplayFigures MeasureReplay(const carecast::bench::Workload& w, cc::Logger& logger) {
  ReplayFigures f;
  f.events = static_cast<int64_t>(w.events.size());
  std::fprintf(stderr, "==> replay: %lld events from nats-server -js\n",
               static_cast<long long>(f.events));
  auto server = carecast::testing::LocalNatsServer::Start();
  if (!server.ok()) return {.error = server.status().ToString()};
  auto nats = cc::NatsConnection::Connect({.url = (*server)->url()}, logger);
  if (!nats.ok()) return {.error = nats.status().ToString()};
  if (absl::Status s = cc::EnsureStreams(**nats, {}); !s.ok()) return {.error = s.ToString()};
  std::atomic<size_t> next{0};
  std::atomic<int64_t> failed{0};
  const auto fill0 = Clock::now();
  std::vector<std::thread> writers;
  writers.reserve(8);
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&] {
      for (size_t i = next++; i < w.events.size(); i = next++) {
        if (!(*nats)->Publish(w.events[i]).ok()) ++failed;
        if ((i + 1) % 50000 == 0) std::fprintf(stderr, "    filled %zu\n", i + 1);
      }
    });
  }
  for (std::thread& t : writers) t.join();
  f.fill_rate = static_cast<double>(f.events) / Seconds(fill0);
  if (failed > 0) return {.error = absl::StrCat(failed.load(), " publishes failed")};
  prometheus::Registry registry;
  cc::SeriesTable table;
  cm::MetricsExposition exposition(registry, table);
  cm::ProgramFigures figures(&exposition);
  auto ingest = *cm::EventIngest::Create(
      {}, {.bus = **nats, .figures = figures, .exposition = exposition, .logger = logger});
  const auto t0 = Clock::now();
  if (absl::Status s = ingest->Start(); !s.ok()) return {.error = s.ToString()};
  double last_report = 0;
  while (ingest->events_handled() + ingest->events_rejected() < f.events && Seconds(t0) < 600) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (Seconds(t0) - last_report >= 2) {
      last_report = Seconds(t0);
      std::fprintf(stderr, "    replayed %lld\n", static_cast<long long>(ingest->events_handled()));
    }
  }
  f.rate = static_cast<double>(ingest->events_handled()) / Seconds(t0);
  ingest->Stop();
  f.mismatches = carecast::bench::CheckFigures(w.expected, figures, *ingest,
                                               cc::ScrapeText(registry, &table), {});
  return f;
}

const char* Verdict(bool met) { return met ? "met" : "MISSED"; }

void PrintTable(const IngestFigures& ingest, const ScrapeFigures& scrape,
                const ReplayFigures* replay, int64_t series) {
  std::printf("\n| measure | ours | anchor (same run) | goal | |\n|---|---|---|---|---|\n");
  std::printf(
      "| ingest, decode + apply on 1 core (%lld events): per CPU second "
      "(per wall second) | %.0f (%.0f) events/s | - | >= %.0f/s | %s |\n",
      static_cast<long long>(ingest.events), ingest.cpu_rate, ingest.rate, kIngestGoal,
      Verdict(ingest.cpu_rate >= kIngestGoal));
  std::printf("| nothing lost (figures = generator's counts) | %s | - | all equal | %s |\n",
              ingest.mismatches.empty() ? "all equal" : "DIFFER",
              Verdict(ingest.mismatches.empty()));
  if (replay != nullptr && replay->error.empty()) {
    std::printf(
        "| replay from nats-server -js (%lld events, end to end) | %.0f events/s | "
        "fill %.0f/s (8 writers) | - | %s |\n",
        static_cast<long long>(replay->events), replay->rate, replay->fill_rate,
        replay->mismatches.empty() ? "figures equal" : "figures DIFFER");
  }
  auto row = [&](const char* what, const Latency& ours, const Latency& anchor, bool goal) {
    std::printf(
        "| /metrics %s, %lld series (%.1f MB): p50 / p99 / max | %.1f / %.1f / %.1f ms | "
        "%.1f / %.1f / %.1f ms | %s | %s |\n",
        what, static_cast<long long>(series), static_cast<double>(ours.bytes) / 1e6, ours.ms.p50,
        ours.ms.p99, ours.ms.max, anchor.ms.p50, anchor.ms.p99, anchor.ms.max,
        goal ? "p99 <= 50 ms" : "-", goal ? Verdict(ours.ms.p99 <= kScrapeGoalMs) : "");
  };
  if (series > 0) {
    std::printf(
        "| /metrics body idle: the same lines as the anchor's stock Serialize | %s | - | - | |\n",
        scrape.same_lines ? "yes" : "NO");
    std::printf(
        "| stock Registry::Collect alone, idle: p50 / p99 / max (CPU per scrape) | %.1f / %.1f / "
        "%.1f ms (%.1f ms) | - | - | |\n",
        scrape.collect_idle.ms.p50, scrape.collect_idle.ms.p99, scrape.collect_idle.ms.max,
        scrape.collect_idle.cpu_ms);
    std::printf(
        "| /metrics idle, CPU per scrape (client and server, whole process) | %.1f ms | "
        "%.1f ms | - | |\n",
        scrape.ours_idle.cpu_ms, scrape.anchor_idle.cpu_ms);
    row("idle", scrape.ours_idle, scrape.anchor_idle, false);
    row("idle, a new connection per scrape", scrape.ours_new_connection_idle, scrape.anchor_idle,
        false);
    row("while ingesting", scrape.ours_busy, scrape.anchor_busy, true);
    std::printf("| ingest rate while scraped | %.0f events/s | - | - | |\n",
                scrape.busy_ingest_rate);
    std::printf(
        "\nseries: %lld from the exposition after one pass, %lld bench-only "
        "(carecast_bench_synthetic)\n",
        static_cast<long long>(series - scrape.synthetic),
        static_cast<long long>(scrape.synthetic));
  }
  for (const std::string& m : ingest.mismatches) std::printf("ingest mismatch: %s\n", m.c_str());
  if (replay != nullptr) {
    if (!replay->error.empty()) std::printf("replay not measured: %s\n", replay->error.c_str());
    for (const std::string& m : replay->mismatches) std::printf("replay mismatch: %s\n", m.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  int64_t events = 1'000'000, series = 100'000, nats_events = 200'000;
  int scrapes = 100;
  cb::BenchFlags flags(
      "metrics_ingest_bench",
      "metrics_ingest_bench [--events N] [--series N] [--scrapes N] [--nats-events N]");
  flags.Int64("--events", &events, 1000)
      .Int64("--series", &series, 0)
      .Int("--scrapes", &scrapes, 2)
      .Int64("--nats-events", &nats_events, 0);
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) return flags.UsageError(s);
  cc::SystemClock clock;
  // The service logs JSON lines to stdout; here they go nowhere, but are still formatted.
  FILE* sink = std::fopen("/dev/null", "w");
  cc::JsonLogger logger("metrics_ingest_bench", cc::LogLevel::kInfo, clock, sink);
  std::fprintf(stderr, "==> generating about %lld events\n", static_cast<long long>(events));
  const carecast::bench::Workload w = carecast::bench::MakeWorkload({.events = events});
  Pin(0);
  IngestFigures ingest = MeasureIngest(w, logger);
  ScrapeFigures scrape;
  if (series > 0) scrape = MeasureScrape(w, logger, series, scrapes);
  std::unique_ptr<ReplayFigures> replay;
  if (nats_events > 0) {
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int c = 0; c < CPU_SETSIZE; ++c) CPU_SET(c, &all);
    sched_setaffinity(0, sizeof(all), &all);
    replay = std::make_unique<ReplayFigures>(
        MeasureReplay(carecast::bench::MakeWorkload({.events = nats_events}), logger));
  }
  PrintTable(ingest, scrape, replay.get(), series);
  return ingest.mismatches.empty() && (replay == nullptr || replay->mismatches.empty()) ? 0 : 1;
}
