// Reads one series out of a prometheus-cpp registry, for tests of metrics.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

namespace carecast::testing {

// The value of the series `name` whose labels are exactly `labels`: a counter's
// or gauge's value, a histogram's sample count. nullopt when there is no such
// series (which is what "absent from /metrics" means).
inline std::optional<double> SeriesValue(const prometheus::Registry& registry,
                                         const std::string& name,
                                         const std::map<std::string, std::string>& labels = {}) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      std::map<std::string, std::string> have;
      for (const auto& l : metric.label) have[l.name] = l.value;
      if (have != labels) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter:
          return metric.counter.value;
        case prometheus::MetricType::Gauge:
          return metric.gauge.value;
        case prometheus::MetricType::Histogram:
          return static_cast<double>(metric.histogram.sample_count);
        case prometheus::MetricType::Summary:
          return static_cast<double>(metric.summary.sample_count);
        case prometheus::MetricType::Untyped:
          return metric.untyped.value;
      }
    }
  }
  return std::nullopt;
}

}  // namespace carecast::testing
