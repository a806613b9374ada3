// Percentiles and latency summaries of a bench's timed samples. The
// percentile is the sample at index floor(q * n) of the sorted samples,
// clamped to the last one (q = 0.99 of 100 samples is the largest); the figures
// every bench has printed. An empty sample set gives zeros. Pure functions.
#pragma once

#include <cstddef>
#include <vector>

namespace carecast::bench {

// `sorted` must be in ascending order.
double PercentileOfSorted(const std::vector<double>& sorted, double q);
// Sorts a copy of `samples`.
double Percentile(std::vector<double> samples, double q);

// p50, p99 and the largest of a set of samples, in the samples' unit.
struct LatencySummary {
  double p50 = 0;
  double p99 = 0;
  double max = 0;
  size_t count = 0;
};
LatencySummary Summarize(std::vector<double> samples);

}  // namespace carecast::bench
