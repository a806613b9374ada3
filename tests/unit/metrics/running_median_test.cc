#include "services/metrics/running_median.h"

#include <algorithm>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace carecast::metrics {
namespace {

// The middle of the sorted values, the mean of the two middle ones when even.
absl::Duration SortedMedian(std::vector<absl::Duration> v) {
  if (v.empty()) return absl::ZeroDuration();
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

TEST(RunningMedianTest, EmptyIsZero) {
  RunningMedian m;
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.Median(), absl::ZeroDuration());
}

TEST(RunningMedianTest, MatchesTheSortedMedianAfterEveryInsert) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> seconds(0, 50);  // many repeats
  RunningMedian m;
  std::vector<absl::Duration> all;
  for (int i = 0; i < 500; ++i) {
    const absl::Duration d = absl::Seconds(seconds(rng));
    m.insert(d);
    all.push_back(d);
    ASSERT_EQ(m.Median(), SortedMedian(all)) << "after " << all.size() << " values";
    ASSERT_EQ(m.size(), all.size());
  }
}

TEST(RunningMedianTest, EvenCountTakesTheMeanOfTheMiddleTwo) {
  RunningMedian m;
  m.insert(absl::Seconds(10));
  m.insert(absl::Seconds(1));
  EXPECT_EQ(m.Median(), absl::Milliseconds(5500));
}

}  // namespace
}  // namespace carecast::metrics
