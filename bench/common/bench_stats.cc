#include "bench/common/bench_stats.h"

#include <algorithm>

namespace carecast::bench {

double PercentileOfSorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1,
                         static_cast<size_t>(q * static_cast<double>(sorted.size())))];
}

double Percentile(std::vector<double> samples, double q) {
  std::sort(samples.begin(), samples.end());
  return PercentileOfSorted(samples, q);
}

LatencySummary Summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  LatencySummary s;
  s.p50 = PercentileOfSorted(samples, 0.5);
  s.p99 = PercentileOfSorted(samples, 0.99);
  s.max = samples.empty() ? 0 : samples.back();
  s.count = samples.size();
  return s;
}

}  // namespace carecast::bench
