// The Prometheus text format (0.0.4) of collected metric families, byte for byte
// what prometheus::TextSerializer writes, built in one string with std::to_chars
// instead of through an ostream: a 100,000-series /metrics answers several times
// faster (bench/metrics/README.md).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

namespace carecast::common {

std::string MetricsText(const std::vector<prometheus::MetricFamily>& families);
// The same, appended to `out`; the size hint is what to reserve for it.
void AppendMetricsText(std::string& out, const std::vector<prometheus::MetricFamily>& families);
size_t MetricsTextSizeHint(const std::vector<prometheus::MetricFamily>& families);

class SeriesTable;

// What /metrics answers: the registry's families, then the table's (when set).
std::string ScrapeText(const prometheus::Registry& registry, const SeriesTable* series);

// A sample value as TextSerializer writes it: "%.16g", and Nan, +Inf, -Inf.
void AppendMetricValue(std::string& out, double value);
// A label value with backslash, double quote and newline escaped.
void AppendMetricLabelValue(std::string& out, std::string_view value);

}  // namespace carecast::common
