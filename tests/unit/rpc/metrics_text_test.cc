#include "services/common/rpc/metrics_text.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>
#include <prometheus/text_serializer.h>

namespace carecast::common {
namespace {

std::string Stock(const std::vector<prometheus::MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

TEST(MetricsTextTest, SameBytesAsTheStockSerializerForEveryMetricType) {
  prometheus::Registry registry;
  auto& counters = prometheus::BuildCounter().Name("c_total").Help("Counts.").Register(registry);
  counters.Add({}).Increment(3);
  counters.Add({{"a", "x"}, {"b", "quote \" back \\ newline \n end"}}).Increment(0.1);
  auto& gauges = prometheus::BuildGauge().Name("g").Help("").Register(registry);
  const double values[] = {0,
                           -0.0,
                           1,
                           -1,
                           0.1,
                           1.0 / 3,
                           1e-7,
                           123456789.125,
                           1e21,
                           1e16,
                           2.5e-300,
                           1e300,
                           -42.5,
                           9007199254740993.0,
                           std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()};
  int i = 0;
  for (double v : values) gauges.Add({{"i", std::to_string(i++)}}).Set(v);
  auto& histograms =
      prometheus::BuildHistogram().Name("h_seconds").Help("Times.").Register(registry);
  auto& h =
      histograms.Add({{"path", "/x"}}, prometheus::Histogram::BucketBoundaries{0.005, 0.1, 1, 60});
  for (double v : {0.001, 0.05, 0.5, 2.0, 100.0}) h.Observe(v);
  histograms.Add({}, prometheus::Histogram::BucketBoundaries{1, 2});
  auto& summaries = prometheus::BuildSummary().Name("s").Help("Quantiles.").Register(registry);
  auto& s = summaries.Add({{"k", "v"}}, prometheus::Summary::Quantiles{{0.5, 0.05}, {0.99, 0.001}});
  for (double v : {1.0, 2.0, 3.0}) s.Observe(v);
  const std::vector<prometheus::MetricFamily> families = registry.Collect();
  EXPECT_EQ(MetricsText(families), Stock(families));
}

TEST(MetricsTextTest, SameBytesForUntypedTimestampsAndAHistogramEndingAtInf) {
  prometheus::MetricFamily untyped{"u", "Untyped.", prometheus::MetricType::Untyped, {}};
  prometheus::ClientMetric m;
  m.untyped.value = 2.5;
  m.timestamp_ms = 1'700'000'000'123;
  untyped.metric.push_back(m);
  prometheus::MetricFamily hist{"h", "", prometheus::MetricType::Histogram, {}};
  prometheus::ClientMetric hm;
  hm.label = {{"le_not", "1"}};
  hm.histogram.sample_count = 4;
  hm.histogram.sample_sum = 10.75;
  hm.histogram.bucket = {{1, 0.5}, {4, std::numeric_limits<double>::infinity()}};
  hist.metric.push_back(hm);
  const std::vector<prometheus::MetricFamily> families = {untyped, hist};
  EXPECT_EQ(MetricsText(families), Stock(families));
}

TEST(MetricsTextTest, SameBytesForRandomDoubles) {
  std::mt19937_64 rng(5);
  prometheus::Registry registry;
  auto& gauges = prometheus::BuildGauge().Name("r").Help("Random.").Register(registry);
  std::uniform_real_distribution<double> exponent(-30, 30);
  for (int i = 0; i < 2000; ++i)
    gauges.Add({{"i", std::to_string(i)}}).Set(std::pow(10.0, exponent(rng)) * (i % 2 ? 1 : -1));
  const std::vector<prometheus::MetricFamily> families = registry.Collect();
  EXPECT_EQ(MetricsText(families), Stock(families));
}

}  // namespace
}  // namespace carecast::common
