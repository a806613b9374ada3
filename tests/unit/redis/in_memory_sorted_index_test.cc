// The fake's Redis semantics, checked without Redis (the integration suite runs
// the same expectations against a real redis-server).
#include "tests/support/in_memory_sorted_index.h"

#include <limits>

#include <gtest/gtest.h>

namespace carecast::testing {
namespace {

using common::ScoredMember;

std::vector<std::string> Members(const std::vector<ScoredMember>& v) {
  std::vector<std::string> out;
  for (const auto& m : v) out.push_back(m.member);
  return out;
}

TEST(InMemorySortedIndexTest, OrdersByScoreThenMember) {
  InMemorySortedIndex index;
  ASSERT_TRUE(index.Add("cal", {{"b", 2}, {"a", 2}, {"c", 1}, {"d", 3}}).ok());
  auto all = index.RangeByScore("cal", -1e300, 1e300, 0, 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Members(*all), (std::vector<std::string>{"c", "a", "b", "d"}));
  auto page = index.RangeByScore("cal", 2, 3, 1, 2);
  EXPECT_EQ(Members(*page), (std::vector<std::string>{"b", "d"}));
  EXPECT_TRUE(index.RangeByScore("cal", 0, 10, 0, 0)->empty());
  EXPECT_EQ(*index.Count("cal", 2, 2), 2);
}

TEST(InMemorySortedIndexTest, AddRescoresAndRemoveForgets) {
  InMemorySortedIndex index;
  ASSERT_TRUE(index.Add("i", {{"x", 5}}).ok());
  ASSERT_TRUE(index.Add("i", {{"x", 1}}).ok());
  EXPECT_EQ(*index.Count("i", 0, 10), 1);
  EXPECT_EQ(index.RangeByScore("i", 0, 10, 0, 10)->front().score, 1);
  ASSERT_TRUE(index.Remove("i", "x").ok());
  ASSERT_TRUE(index.Remove("i", "never").ok());
  ASSERT_TRUE(index.Remove("none", "x").ok());
  EXPECT_EQ(*index.Count("i", 0, 10), 0);
}

TEST(InMemorySortedIndexTest, PopUpToTakesLowestDueOnly) {
  InMemorySortedIndex index;
  ASSERT_TRUE(index.Add("due", {{"late", 100}, {"a", 1}, {"b", 2}, {"c", 3}}).ok());
  auto first = index.PopUpTo("due", 50, 2);
  EXPECT_EQ(Members(*first), (std::vector<std::string>{"a", "b"}));
  auto rest = index.PopUpTo("due", 50, 10);
  EXPECT_EQ(Members(*rest), (std::vector<std::string>{"c"}));
  EXPECT_TRUE(index.PopUpTo("due", 50, 10)->empty());
  EXPECT_EQ(*index.Count("due", -std::numeric_limits<double>::infinity(),
                         std::numeric_limits<double>::infinity()),
            1);
}

TEST(InMemorySortedIndexTest, WipeLosesMarkersAndIndexes) {
  InMemorySortedIndex index;
  ASSERT_TRUE(index.SetMarker("calendar-built").ok());
  ASSERT_TRUE(index.Add("cal", {{"p", 1}}).ok());
  EXPECT_TRUE(*index.HasMarker("calendar-built"));
  index.Wipe();
  EXPECT_FALSE(*index.HasMarker("calendar-built"));
  EXPECT_EQ(*index.Count("cal", 0, 10), 0);
}

TEST(InMemorySortedIndexTest, FailAllIsUnavailableUntilCleared) {
  InMemorySortedIndex index;
  index.FailAll(absl::UnavailableError("down"));
  EXPECT_EQ(index.Add("i", {{"x", 1}}).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(index.HasMarker("m").status().code(), absl::StatusCode::kUnavailable);
  index.FailAll(absl::OkStatus());
  EXPECT_TRUE(index.Add("i", {{"x", 1}}).ok());
}

}  // namespace
}  // namespace carecast::testing
