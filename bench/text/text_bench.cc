// Full text-engine pipeline over a mention corpus: throughput per core, peak
// memory with N tracked keywords, and one sentiment score per line for the
// agreement check against VADER (scripts/text-bench.sh runs both).
// Usage: text_bench IN [--keywords N] [--passes P] [--threads T] [--scores-out FILE]
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "services/common/text/text_analyzer.h"

namespace {

using carecast::common::text::AnalyzeOptions;
using carecast::common::text::TextAnalyzer;

double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Brand, campaign and hashtag terms like a large customer would track.
std::vector<std::string> MakeKeywords(int n) {
  static const char* kStems[] = {"mercy", "stluke", "carecast", "riverside", "unity", "heart",
                                 "care",  "health", "cancer",   "baby",      "flu",   "walk",
                                 "run",   "gala",   "clinic",   "nurse"};
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    std::string stem = kStems[i % 16];
    switch (i % 4) {
      case 0:
        out.push_back("#" + stem + std::to_string(i));
        break;
      case 1:
        out.push_back(stem + " campaign " + std::to_string(i));
        break;
      case 2:
        out.push_back("@" + stem + "_" + std::to_string(i));
        break;
      default:
        out.push_back(stem + "fest" + std::to_string(i));
        break;
    }
  }
  // A few that really occur in the generated corpus.
  for (const char* k :
       {"#HeartMonth", "@MercyGeneral", "CareCast", "Riverside", "#healthcareheroes"})
    out.push_back(k);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s IN [--keywords N] [--passes P] [--threads T] [--scores-out FILE]\n",
                 argv[0]);
    return 2;
  }
  int keywords = 10000, passes = 5, threads = 1;
  const char* scores_out = nullptr;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--keywords"))
      keywords = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--passes"))
      passes = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads"))
      threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--scores-out"))
      scores_out = argv[i + 1];
  }
  std::ifstream in(argv[1]);
  std::vector<std::string> texts;
  size_t bytes = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (size_t tab = line.find('\t'); tab != std::string::npos) line = line.substr(tab + 1);
    bytes += line.size();
    texts.push_back(std::move(line));
  }
  if (texts.empty()) {
    std::fprintf(stderr, "no texts in %s\n", argv[1]);
    return 1;
  }
  double rss_before = PeakRssMb();
  auto build_start = std::chrono::steady_clock::now();
  carecast::common::text::TextConfig config = carecast::common::text::DefaultTextConfig();
  config.tracked_keywords = MakeKeywords(keywords);
  auto analyzer = TextAnalyzer::Create(config);
  if (!analyzer.ok()) {
    std::fprintf(stderr, "%s\n", std::string(analyzer.status().message()).c_str());
    return 1;
  }
  double build_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - build_start).count();
  const TextAnalyzer& a = **analyzer;
  // Warm-up pass, which also records the scores and checks every text analyses.
  std::vector<double> scores;
  size_t phi = 0, urgent = 0, with_keywords = 0;
  for (const std::string& t : texts) {
    auto r = a.Analyze(t, AnalyzeOptions{});
    if (!r.ok()) {
      std::fprintf(stderr, "analyze failed: %s\n", std::string(r.status().message()).c_str());
      return 1;
    }
    scores.push_back(r->sentiment_score());
    phi += r->contains_phi();
    urgent += r->urgent();
    with_keywords += r->keywords_size() > 0;
  }
  std::atomic<size_t> done{0};
  std::vector<double> cpu(static_cast<size_t>(threads));
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      double c0 = ThreadCpuSeconds();
      size_t n = 0;
      for (int p = 0; p < passes; ++p) {
        for (size_t i = static_cast<size_t>(w); i < texts.size();
             i += static_cast<size_t>(threads)) {
          auto r = a.Analyze(texts[i], AnalyzeOptions{});
          n += r.ok();
        }
      }
      cpu[static_cast<size_t>(w)] = ThreadCpuSeconds() - c0;
      done += n;
    });
  }
  for (auto& t : workers) t.join();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpu_total = 0;
  for (double c : cpu) cpu_total += c;
  if (scores_out != nullptr) {
    std::ofstream out(scores_out);
    for (double s : scores) out << s << "\n";
  }
  std::printf(
      "{\"engine\":\"carecast text engine (full "
      "pipeline)\",\"texts\":%zu,\"threads\":%d,\"tracked_keywords\":%zu,"
      "\"avg_bytes\":%.1f,\"wall_s\":%.3f,\"per_sec_wall\":%.0f,\"per_sec_per_core_cpu\":%.0f,"
      "\"us_per_text\":%.2f,\"build_s\":%.3f,\"peak_rss_mb\":%.1f,\"rss_before_build_mb\":%.1f,"
      "\"share_phi\":%.3f,\"share_urgent\":%.3f,\"share_keywords\":%.3f}\n",
      done.load(), threads, a.tracked_keyword_count(), static_cast<double>(bytes) / texts.size(),
      wall, done.load() / wall, done.load() / cpu_total, cpu_total * 1e6 / done.load(), build_s,
      PeakRssMb(), rss_before, static_cast<double>(phi) / texts.size(),
      static_cast<double>(urgent) / texts.size(),
      static_cast<double>(with_keywords) / texts.size());
  return 0;
}
