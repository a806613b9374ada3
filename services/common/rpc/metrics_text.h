// The Prometheus text format (0.0.4) of collected metric families, byte for byte
// what prometheus::TextSerializer writes, built in one string with std::to_chars
// instead of through an ostream: a 100,000-series /metrics answers several times
// faster (bench/metrics/README.md).
#pragma once

#include <string>
#include <vector>

#include <prometheus/metric_family.h>

namespace carecast::common {

std::string MetricsText(const std::vector<prometheus::MetricFamily>& families);

}  // namespace carecast::common
