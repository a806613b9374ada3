// The SortedIndex contract, run against InMemorySortedIndex and RedisSortedIndex
// on a real redis-server.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "services/common/redis/redis_sorted_index.h"
#include "tests/integration/redis/redis_test_env.h"
#include "tests/support/in_memory_sorted_index.h"

namespace carecast::testing {
namespace {

using common::ScoredMember;

enum class IndexImpl { kInMemory, kRedis };

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<std::string> Members(const std::vector<ScoredMember>& v) {
  std::vector<std::string> out;
  for (const auto& m : v) out.push_back(m.member);
  return out;
}

class SortedIndexContractTest : public ::testing::TestWithParam<IndexImpl> {
 protected:
  void SetUp() override {
    if (GetParam() == IndexImpl::kInMemory) {
      index_ = &fake_;
      return;
    }
    if (!redis_.Start(logger_)) {
      if (redis_.skipped())
        GTEST_FAIL() << "redis-server is not installed (scripts/install-deps.sh installs it); the "
                        "test needs the real server";
      return;
    }
    redis_index_ = std::make_unique<common::RedisSortedIndex>(redis_.client(), "carecast:");
    index_ = redis_index_.get();
  }

  // FLUSHALL for Redis, Wipe() for the fake.
  void WipeEverything() {
    if (GetParam() == IndexImpl::kInMemory) {
      fake_.Wipe();
    } else {
      ASSERT_TRUE(redis_.server().FlushAll().ok());
    }
  }

  common::CapturingLogger logger_;
  RedisEnv redis_;
  InMemorySortedIndex fake_;
  std::unique_ptr<common::RedisSortedIndex> redis_index_;
  common::SortedIndex* index_ = nullptr;
};

TEST_P(SortedIndexContractTest, RangeOrdersByScoreThenMemberWithOffsetAndLimit) {
  ASSERT_TRUE(index_->Add("cal", {{"b", 2}, {"a", 2}, {"c", 1.25}, {"d", 3}, {"e", -4}}).ok());
  auto all = index_->RangeByScore("cal", -kInf, kInf, 0, std::numeric_limits<size_t>::max());
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(Members(*all), (std::vector<std::string>{"e", "c", "a", "b", "d"}));
  EXPECT_EQ((*all)[1].score, 1.25);
  EXPECT_EQ((*all)[0].score, -4);
  auto page = index_->RangeByScore("cal", 1.25, 2, 1, 2);  // bounds inclusive
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Members(*page), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(index_->RangeByScore("cal", -kInf, kInf, 0, 0)->empty());
  EXPECT_TRUE(index_->RangeByScore("cal", -kInf, kInf, 10, 5)->empty());
  EXPECT_TRUE(index_->RangeByScore("missing", -kInf, kInf, 0, 5)->empty());
  EXPECT_EQ(*index_->Count("cal", 2, 3), 3);
  EXPECT_EQ(*index_->Count("cal", -kInf, kInf), 5);
  EXPECT_EQ(*index_->Count("missing", -kInf, kInf), 0);
}

TEST_P(SortedIndexContractTest, AddRescoresAndRemoveIsIdempotent) {
  ASSERT_TRUE(index_->Add("i", {{"x", 5}, {"y", 6}}).ok());
  ASSERT_TRUE(index_->Add("i", {{"x", 7}}).ok());
  EXPECT_EQ(Members(*index_->RangeByScore("i", -kInf, kInf, 0, 10)),
            (std::vector<std::string>{"y", "x"}));
  ASSERT_TRUE(index_->Remove("i", "x").ok());
  ASSERT_TRUE(index_->Remove("i", "x").ok());
  ASSERT_TRUE(index_->Remove("nothing", "x").ok());
  EXPECT_EQ(*index_->Count("i", -kInf, kInf), 1);
  EXPECT_TRUE(index_->Add("i", {}).ok());
  EXPECT_EQ(index_->Add("i", {{"nan", std::nan("")}}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*index_->Count("i", -kInf, kInf), 1);
}

TEST_P(SortedIndexContractTest, ManyMembersInOneAdd) {
  std::vector<ScoredMember> many;
  for (int i = 0; i < 2000; ++i) many.push_back({"m" + std::to_string(i), static_cast<double>(i)});
  ASSERT_TRUE(index_->Add("big", many).ok());
  EXPECT_EQ(*index_->Count("big", -kInf, kInf), 2000);
  auto tail = index_->RangeByScore("big", 1998, kInf, 0, 10);
  EXPECT_EQ(Members(*tail), (std::vector<std::string>{"m1998", "m1999"}));
}

TEST_P(SortedIndexContractTest, PopUpToTakesLowestDueMembersOnce) {
  ASSERT_TRUE(index_->Add("due", {{"late", 100}, {"a", 1}, {"b", 2}, {"c", 3}}).ok());
  auto first = index_->PopUpTo("due", 50, 2);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(Members(*first), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*first)[1].score, 2);
  auto rest = index_->PopUpTo("due", 50, 10);
  EXPECT_EQ(Members(*rest), (std::vector<std::string>{"c"}));
  EXPECT_TRUE(index_->PopUpTo("due", 50, 10)->empty());
  EXPECT_TRUE(index_->PopUpTo("due", kInf, 0)->empty());
  EXPECT_EQ(*index_->Count("due", -kInf, kInf), 1);
  EXPECT_TRUE(index_->PopUpTo("missing", kInf, 5)->empty());
}

TEST_P(SortedIndexContractTest, MarkersAndIndexesVanishWhenWiped) {
  EXPECT_FALSE(*index_->HasMarker("calendar"));
  ASSERT_TRUE(index_->SetMarker("calendar").ok());
  ASSERT_TRUE(index_->SetMarker("calendar").ok());
  ASSERT_TRUE(index_->Add("cal", {{"p", 1}}).ok());
  EXPECT_TRUE(*index_->HasMarker("calendar"));
  EXPECT_FALSE(*index_->HasMarker("inbox"));
  WipeEverything();
  EXPECT_FALSE(*index_->HasMarker("calendar"));
  EXPECT_EQ(*index_->Count("cal", -kInf, kInf), 0);
}

INSTANTIATE_TEST_SUITE_P(Impl, SortedIndexContractTest,
                         ::testing::Values(IndexImpl::kInMemory, IndexImpl::kRedis),
                         [](const auto& info) {
                           return info.param == IndexImpl::kInMemory ? "InMemory" : "Redis";
                         });

}  // namespace
}  // namespace carecast::testing
