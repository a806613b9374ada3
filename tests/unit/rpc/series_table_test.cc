#include "services/common/rpc/series_table.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "services/common/rpc/metrics_text.h"

namespace carecast::common {
namespace {

// The text's lines, sorted: prometheus-cpp writes a family's series in hash
// order, the table in the order they were made; the lines themselves must match.
std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::string TableText(const SeriesTable& table) {
  std::string text;
  table.AppendText(text);
  return text;
}

TEST(SeriesTableTest, SameLinesAsTheStockSerializerForCountersAndGauges) {
  SeriesTable table;
  prometheus::Registry registry;
  SeriesFamily& counters = table.AddCounter("c_total", "Counts \\ things.");
  auto& stock_counters =
      prometheus::BuildCounter().Name("c_total").Help("Counts \\ things.").Register(registry);
  SeriesFamily& gauges = table.AddGauge("g", "");
  auto& stock_gauges = prometheus::BuildGauge().Name("g").Help("").Register(registry);

  counters.Add({}).Increment(3);
  stock_counters.Add({}).Increment(3);
  counters.Add({{"b", "quote \" back \\ newline \n end"}, {"a", "x"}}).Increment(0.1);
  stock_counters.Add({{"b", "quote \" back \\ newline \n end"}, {"a", "x"}}).Increment(0.1);
  const double values[] = {0,
                           -0.0,
                           1.0 / 3,
                           1e-7,
                           123456789.125,
                           1e21,
                           -42.5,
                           9007199254740993.0,
                           std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()};
  int i = 0;
  for (double v : values) {
    const std::string label = std::to_string(i++);
    gauges.Add({{"i", label}, {"kind", "x"}}).Set(v);
    stock_gauges.Add({{"i", label}, {"kind", "x"}}).Set(v);
  }
  // A family with no series is left out, as prometheus-cpp leaves it out.
  table.AddGauge("empty", "Nothing yet.");
  prometheus::BuildGauge().Name("empty").Help("Nothing yet.").Register(registry);

  const std::string ours = TableText(table);
  const std::string stock = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_EQ(SortedLines(ours), SortedLines(stock)) << ours << "\n---\n" << stock;
  EXPECT_EQ(ours.find("empty"), std::string::npos);
  // Labels in name order whatever order they were given in.
  EXPECT_NE(ours.find(R"(c_total{a="x",b="quote \" back \\ newline \n end"} 0.1)"),
            std::string::npos)
      << ours;
}

TEST(SeriesTableTest, FamiliesComeInTheOrderAddedWithTheirHeadersFirst) {
  SeriesTable table;
  table.AddGauge("second_first", "B.").Add({}).Set(2);
  table.AddCounter("first_second_total", "A.").Add({{"k", "v"}}).Increment();
  EXPECT_EQ(TableText(table),
            "# HELP second_first B.\n# TYPE second_first gauge\nsecond_first 2\n"
            "# HELP first_second_total A.\n# TYPE first_second_total counter\n"
            "first_second_total{k=\"v\"} 1\n");
  EXPECT_EQ(table.series_count(), 2u);
}

TEST(SeriesTableTest, TheSameLabelsAreTheSameSeries) {
  SeriesTable table;
  SeriesFamily& family = table.AddGauge("g", "G.");
  Series& a = family.Add({{"x", "1"}, {"y", "2"}});
  Series& b = family.Add({{"y", "2"}, {"x", "1"}});
  Series& c = family.Add({{"x", "1"}, {"y", "3"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  EXPECT_EQ(family.size(), 2u);
}

TEST(SeriesTableTest, CountersOnlyGoUpAndGaugesMoveBothWays) {
  SeriesTable table;
  Series& counter = table.AddCounter("c_total", "C.").Add({});
  counter.Increment(2);
  counter.Increment(-5);
  counter.Increment(std::numeric_limits<double>::quiet_NaN());
  counter.Decrement(1);
  EXPECT_EQ(counter.Value(), 2);
  Series& gauge = table.AddGauge("g", "G.").Add({});
  gauge.Increment(2);
  gauge.Decrement(5);
  EXPECT_EQ(gauge.Value(), -3);
  gauge.Set(7.5);
  EXPECT_EQ(gauge.Value(), 7.5);
}

TEST(SeriesTableTest, BadNamesAndATwiceAddedFamilyAreRefused) {
  SeriesTable table;
  EXPECT_THROW(table.AddGauge("9lives", "x"), std::invalid_argument);
  EXPECT_THROW(table.AddGauge("has-dash", "x"), std::invalid_argument);
  EXPECT_THROW(table.AddGauge("", "x"), std::invalid_argument);
  SeriesFamily& family = table.AddGauge("ok:name_1", "x");
  EXPECT_THROW(table.AddCounter("ok:name_1", "y"), std::invalid_argument);
  EXPECT_THROW(family.Add({{"__reserved", "v"}}), std::invalid_argument);
  EXPECT_THROW(family.Add({{"bad label", "v"}}), std::invalid_argument);
  EXPECT_THROW(family.Add({{"1st", "v"}}), std::invalid_argument);
  EXPECT_EQ(family.size(), 0u);  // a refused series is not made
}

// Writers make series and move values while a scraper writes the text: every
// text holds whole lines only, and the final values are exact.
TEST(SeriesTableTest, ScrapesWhileSeriesAreMadeAndMovedSeeWholeLines) {
  SeriesTable table;
  SeriesFamily& family = table.AddCounter("work_total", "W.");
  constexpr int kWriters = 3;
  constexpr int kSeriesEach = 200;
  constexpr int kRounds = 50;
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  writers.reserve(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int round = 0; round < kRounds; ++round) {
        for (int s = 0; s < kSeriesEach; ++s) {
          family.Add({{"s", std::to_string(s)}, {"w", std::to_string(w)}}).Increment();
        }
      }
    });
  }
  int scrapes = 0;
  std::thread scraper([&] {
    while (!done.load()) {
      const std::string text = TableText(table);
      const std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
      for (const std::string& line : lines) {
        if (line.starts_with("#")) continue;
        ASSERT_TRUE(line.starts_with("work_total{s=\"")) << line;
        ASSERT_NE(line.find("\"} "), std::string::npos) << line;
      }
      ++scrapes;
    }
  });
  for (auto& t : writers) t.join();
  done = true;
  scraper.join();
  EXPECT_GT(scrapes, 0);
  EXPECT_EQ(family.size(), static_cast<size_t>(kWriters * kSeriesEach));
  const std::string text = TableText(table);
  EXPECT_NE(text.find("work_total{s=\"199\",w=\"2\"} 50\n"), std::string::npos);
  for (int w = 0; w < kWriters; ++w) {
    for (int s = 0; s < kSeriesEach; ++s) {
      EXPECT_EQ(family.Add({{"s", std::to_string(s)}, {"w", std::to_string(w)}}).Value(), kRounds);
    }
  }
}

TEST(SeriesTableTest, ScrapeTextIsTheRegistryThenTheTable) {
  prometheus::Registry registry;
  prometheus::BuildGauge().Name("from_registry").Help("R.").Register(registry).Add({}).Set(1);
  SeriesTable table;
  table.AddGauge("from_table", "T.").Add({}).Set(2);
  const std::string text = ScrapeText(registry, &table);
  EXPECT_EQ(text,
            "# HELP from_registry R.\n# TYPE from_registry gauge\nfrom_registry 1\n"
            "# HELP from_table T.\n# TYPE from_table gauge\nfrom_table 2\n");
  EXPECT_EQ(ScrapeText(registry, nullptr),
            "# HELP from_registry R.\n# TYPE from_registry gauge\nfrom_registry 1\n");
}

}  // namespace
}  // namespace carecast::common
