// RedisMetrics (the Prometheus RedisObserver) and RedisOpLabel, without a server.
#include "services/common/redis/redis_metrics.h"

#include <string>

#include "absl/strings/match.h"
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "services/common/redis/redis_sorted_index.h"
#include "tests/support/metric_values.h"

namespace carecast::common {
namespace {

using testing::SeriesValue;

TEST(RedisOpLabelTest, CommandNameUpperCased) {
  EXPECT_EQ(RedisOpLabel({{"zadd", "k", "1", "m"}}), "ZADD");
  EXPECT_EQ(RedisOpLabel({{"ZRangeByScore", "k"}}), "ZRANGEBYSCORE");
  // A pipeline of one command name is labelled with it; a mixed one is PIPELINE.
  EXPECT_EQ(RedisOpLabel({{"ZADD", "k", "1", "a"}, {"zadd", "k", "2", "b"}}), "ZADD");
  EXPECT_EQ(RedisOpLabel({{"ZADD", "k", "1", "a"}, {"SET", "m", "1"}}), "PIPELINE");
}

TEST(RedisOpLabelTest, AnythingOddIsOther) {
  EXPECT_EQ(RedisOpLabel({}), "OTHER");
  EXPECT_EQ(RedisOpLabel({{""}}), "OTHER");
  EXPECT_EQ(RedisOpLabel({{"GET key"}}), "OTHER");
  EXPECT_EQ(RedisOpLabel({{"patient-name"}}), "OTHER");
  EXPECT_EQ(RedisOpLabel({{std::string(100, 'A')}}), "OTHER");
}

TEST(RedisMetricsTest, KnownOpsExistAtZero) {
  prometheus::Registry registry;
  RedisMetrics metrics(registry, RedisSortedIndex::Commands());
  EXPECT_EQ(SeriesValue(registry, "carecast_redis_connected"), 0);
  for (const std::string& op : RedisSortedIndex::Commands()) {
    EXPECT_EQ(SeriesValue(registry, "carecast_redis_errors_total", {{"op", op}}), 0) << op;
    EXPECT_EQ(SeriesValue(registry, "carecast_redis_command_seconds", {{"op", op}}), 0) << op;
  }
  EXPECT_FALSE(SeriesValue(registry, "carecast_redis_errors_total", {{"op", "GET"}}));
}

TEST(RedisMetricsTest, CommandsErrorsAndConnection) {
  prometheus::Registry registry;
  RedisMetrics metrics(registry, {"ZADD"});
  metrics.ConnectionChanged(true);
  metrics.CommandDone("ZADD", absl::Microseconds(300), true);
  metrics.CommandDone("ZADD", absl::Milliseconds(2), false);
  metrics.CommandDone("EVAL", absl::Microseconds(50), false);
  EXPECT_EQ(SeriesValue(registry, "carecast_redis_connected"), 1);
  EXPECT_EQ(SeriesValue(registry, "carecast_redis_command_seconds", {{"op", "ZADD"}}), 2);
  EXPECT_EQ(SeriesValue(registry, "carecast_redis_errors_total", {{"op", "ZADD"}}), 1);
  // An op first seen in a call gets its series then.
  EXPECT_EQ(SeriesValue(registry, "carecast_redis_command_seconds", {{"op", "EVAL"}}), 1);
  EXPECT_EQ(SeriesValue(registry, "carecast_redis_errors_total", {{"op", "EVAL"}}), 1);
  metrics.ConnectionChanged(false);
  EXPECT_EQ(SeriesValue(registry, "carecast_redis_connected"), 0);

  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  // 300 us falls in the 0.0005 s bucket, 2 ms in 0.0025 s; the sum is in seconds.
  EXPECT_TRUE(absl::StrContains(
      text, "carecast_redis_command_seconds_bucket{op=\"ZADD\",le=\"0.00025\"} 0"))
      << text;
  EXPECT_TRUE(
      absl::StrContains(text, "carecast_redis_command_seconds_bucket{op=\"ZADD\",le=\"0.0005\"} 1"))
      << text;
  EXPECT_TRUE(
      absl::StrContains(text, "carecast_redis_command_seconds_bucket{op=\"ZADD\",le=\"0.0025\"} 2"))
      << text;
  EXPECT_TRUE(absl::StrContains(text, "carecast_redis_command_seconds_sum{op=\"ZADD\"} 0.0023"))
      << text;
}

}  // namespace
}  // namespace carecast::common
