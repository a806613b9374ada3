// The hiredis adapter reports to its RedisObserver on a real redis-server: one
// observation per call labelled by command, errors (error replies and an
// unreachable Redis) and the connection gauge. RedisMetrics is the observer.
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "services/common/redis/redis_metrics.h"
#include "services/common/redis/redis_sorted_index.h"
#include "tests/integration/redis/redis_test_env.h"
#include "tests/support/metric_values.h"

namespace carecast::testing {
namespace {

class RedisMetricsIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!env_.Start(logger_)) {
      if (env_.skipped())
        GTEST_FAIL() << "redis-server is not installed (scripts/install-deps.sh installs it); the "
                        "test needs the real server";
      return;
    }
    auto client = common::RedisClient::Connect(
        {.url = env_.server().url(), .timeout = absl::Seconds(2), .observer = &metrics_}, logger_);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(*client);
  }

  std::optional<double> Value(const std::string& name,
                              const std::map<std::string, std::string>& labels = {}) {
    return SeriesValue(registry_, name, labels);
  }

  common::CapturingLogger logger_;
  prometheus::Registry registry_;
  common::RedisMetrics metrics_{registry_, common::RedisSortedIndex::Commands()};
  RedisEnv env_;
  std::unique_ptr<common::RedisClient> client_;  // destroyed before metrics_
};

TEST_F(RedisMetricsIntegrationTest, CallsAndErrorRepliesAreCountedByCommand) {
  EXPECT_EQ(Value("carecast_redis_connected"), 1);
  common::RedisSortedIndex index(*client_, "carecast:");
  ASSERT_TRUE(index.Add("due", {{"a", 1}, {"b", 2}}).ok());
  ASSERT_TRUE(index.RangeByScore("due", 0, 10, 0, 10).ok());
  ASSERT_TRUE(index.RangeByScore("due", 0, 10, 0, 10).ok());
  EXPECT_EQ(Value("carecast_redis_command_seconds", {{"op", "ZADD"}}), 1);
  EXPECT_EQ(Value("carecast_redis_command_seconds", {{"op", "ZRANGEBYSCORE"}}), 2);
  EXPECT_EQ(Value("carecast_redis_errors_total", {{"op", "ZRANGEBYSCORE"}}), 0);

  // An error reply: the call fails, the connection stays up.
  ASSERT_TRUE(client_->Command({"set", "str", "x"}).ok());
  EXPECT_EQ(client_->Command({"zadd", "str", "1", "m"}).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(Value("carecast_redis_errors_total", {{"op", "ZADD"}}), 1);
  EXPECT_EQ(Value("carecast_redis_command_seconds", {{"op", "ZADD"}}), 2);
  EXPECT_EQ(Value("carecast_redis_errors_total", {{"op", "SET"}}), 0);
  EXPECT_EQ(Value("carecast_redis_connected"), 1);

  // A mixed pipeline is one PIPELINE observation.
  ASSERT_TRUE(client_->Pipeline({{"SET", "k", "1"}, {"GET", "k"}}).ok());
  EXPECT_EQ(Value("carecast_redis_command_seconds", {{"op", "PIPELINE"}}), 1);
}

TEST_F(RedisMetricsIntegrationTest, UnreachableRedisCountsErrorsAndDropsTheGauge) {
  common::RedisSortedIndex index(*client_, "carecast:");
  ASSERT_TRUE(index.SetMarker("built").ok());
  env_.server().Kill();
  EXPECT_EQ(index.HasMarker("built").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Value("carecast_redis_connected"), 0);
  EXPECT_EQ(Value("carecast_redis_errors_total", {{"op", "EXISTS"}}), 1);

  ASSERT_TRUE(env_.server().Restart().ok());
  ASSERT_TRUE(PollUntil([&] { return index.HasMarker("built").ok(); }, absl::Seconds(5)));
  EXPECT_EQ(Value("carecast_redis_connected"), 1);
}

}  // namespace
}  // namespace carecast::testing
