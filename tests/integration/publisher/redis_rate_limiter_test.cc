// RedisRateLimiter against a real redis-server, as two publisher replicas (two
// limiters, two connections) on one Redis: the budget rules hold atomically
// under concurrent calls (rate_limiter_contract.h), the layout and TTL are as
// documented, the Redis server's clock is never used, and a Redis that is
// gone makes Acquire refuse instead of letting calls out blind.
#include "services/publisher/channels/redis_rate_limiter.h"

#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/redis/redis_client.h"
#include "tests/support/local_servers.h"
#include "tests/unit/publisher/channels/rate_limiter_contract.h"

namespace carecast::publisher {
namespace {

using testing::TestBucket;
using testing::Window;

class RedisRateLimiterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::LocalRedisServer::Start();
    ASSERT_NE(server.status().code(), absl::StatusCode::kNotFound)
        << "redis-server is not installed (scripts/install-deps.sh installs it); the test needs "
           "the real server";
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    for (auto* client : {&redis_a_, &redis_b_, &probe_}) {
      auto c = common::RedisClient::Connect({.url = server_->url()}, logger_);
      ASSERT_TRUE(c.ok()) << c.status();
      *client = *std::move(c);
    }
    a_ = std::make_unique<RedisRateLimiter>(*redis_a_, clock_, logger_);
    b_ = std::make_unique<RedisRateLimiter>(*redis_b_, clock_, logger_);
  }

  std::map<std::string, std::string> Hash(const RateBucket& bucket) {
    std::map<std::string, std::string> out;
    auto reply = probe_->Command({"HGETALL", a_->KeyOf(bucket)});
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) return out;
    for (size_t i = 0; i + 1 < reply->elements.size(); i += 2) {
      out[reply->elements[i].str] = reply->elements[i + 1].str;
    }
    return out;
  }
  absl::Duration Pttl(const RateBucket& bucket) {
    auto reply = probe_->Command({"PTTL", a_->KeyOf(bucket)});
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? absl::Milliseconds(reply->integer) : absl::ZeroDuration();
  }
  int WarnLines() {
    int n = 0;
    for (const auto& line : logger_.lines())
      n += line.level == common::LogLevel::kWarn &&
           line.message.find("rate-limit") != std::string::npos;
    return n;
  }

  common::CapturingLogger logger_;
  common::FakeClock clock_;
  std::unique_ptr<testing::LocalRedisServer> server_;
  std::unique_ptr<common::RedisClient> redis_a_;
  std::unique_ptr<common::RedisClient> redis_b_;
  std::unique_ptr<common::RedisClient> probe_;
  std::unique_ptr<RedisRateLimiter> a_;
  std::unique_ptr<RedisRateLimiter> b_;
};

TEST_F(RedisRateLimiterTest, UnknownBudgetAllowsCalls) {
  testing::UnknownBudgetAllowsCalls(*a_, *b_, clock_);
}

TEST_F(RedisRateLimiterTest, ConcurrentAcquiresOnTwoReplicasTakeExactlyRemaining) {
  testing::ConcurrentAcquiresTakeExactlyRemaining(*a_, *b_, clock_);
}

TEST_F(RedisRateLimiterTest, BlockFromOneReplicaHoldsTheOther) {
  testing::BlockFromOneReplicaHoldsTheOther(*a_, *b_, clock_);
}

TEST_F(RedisRateLimiterTest, LaterWindowResetsRemaining) {
  testing::LaterWindowResetsRemaining(*a_, *b_, clock_);
}

TEST_F(RedisRateLimiterTest, OlderObserveNeverRaisesRemaining) {
  testing::OlderObserveNeverRaisesRemaining(*a_, *b_, clock_);
}

TEST_F(RedisRateLimiterTest, OneHashPerBucketWithATtlPastItsHorizon) {
  const RateBucket bucket = TestBucket();
  EXPECT_EQ(a_->KeyOf(bucket), "carecast:ratelimit:x:user:spokes/a/accounts/x-main");
  const absl::Time reset = clock_.Now() + absl::Seconds(60);
  a_->Observe(bucket, Window(5, reset));
  EXPECT_THAT(Hash(bucket),
              ::testing::ElementsAre(
                  ::testing::Pair("remaining", "5"),
                  ::testing::Pair("reset_ms", std::to_string(absl::ToUnixMillis(reset)))));
  // max(reset, blocked_until) - now + 1 h, counted from the caller's clock.
  absl::Duration ttl = Pttl(bucket);
  EXPECT_LE(ttl, absl::Seconds(60) + absl::Hours(1));
  EXPECT_GT(ttl, absl::Hours(1));
  ASSERT_EQ(testing::MustAcquire(*b_, bucket), absl::ZeroDuration());
  EXPECT_EQ(Hash(bucket)["remaining"], "4");

  const absl::Time blocked = clock_.Now() + absl::Hours(2);
  b_->Observe(bucket, testing::Blocked(blocked));
  EXPECT_EQ(Hash(bucket)["blocked_until_ms"], std::to_string(absl::ToUnixMillis(blocked)));
  ttl = Pttl(bucket);
  EXPECT_LE(ttl, absl::Hours(3));
  EXPECT_GT(ttl, absl::Hours(3) - absl::Minutes(1));
}

// Were the scripts to read the server's TIME, or to expire keys at an absolute
// time, a caller clock far from the server's would break the budget.
TEST_F(RedisRateLimiterTest, TheRedisServerClockIsNotUsed) {
  for (absl::Time start : {absl::FromUnixSeconds(1'000'000'000),     // 2001
                           absl::FromUnixSeconds(4'000'000'000)}) {  // 2096
    clock_.Set(start);
    const RateBucket bucket =
        TestBucket(absl::StrCat("spokes/a/accounts/t", absl::ToUnixSeconds(start)));
    a_->Observe(bucket, Window(1, start + absl::Seconds(30)));
    EXPECT_EQ(testing::MustAcquire(*b_, bucket), absl::ZeroDuration());
    EXPECT_EQ(testing::MustAcquire(*a_, bucket), absl::Seconds(30));
    EXPECT_GT(Pttl(bucket), absl::Hours(1));
  }
}

TEST_F(RedisRateLimiterTest, RemainingWithoutResetIsForgottenOnAcquire) {
  const RateBucket bucket = TestBucket();
  RateSignal signal;
  signal.remaining = 0;
  a_->Observe(bucket, signal);
  EXPECT_EQ(Hash(bucket)["remaining"], "0");
  EXPECT_EQ(testing::MustAcquire(*b_, bucket), absl::ZeroDuration());
  EXPECT_EQ(Hash(bucket).count("remaining"), 0u);
}

// After a restart Redis has forgotten the scripts (NOSCRIPT) and, without
// persistence, the budgets: calls go until the networks say otherwise.
TEST_F(RedisRateLimiterTest, ForgottenScriptsAndBudgetsAreRestored) {
  const RateBucket bucket = TestBucket();
  a_->Observe(bucket, Window(0, clock_.Now() + absl::Seconds(60)));
  ASSERT_EQ(testing::MustAcquire(*a_, bucket), absl::Seconds(60));
  // Once loaded, a script goes by its SHA alone.
  ASSERT_TRUE(probe_->Command({"CONFIG", "RESETSTAT"}).ok());
  ASSERT_EQ(testing::MustAcquire(*b_, bucket), absl::Seconds(60));
  auto stats = probe_->Command({"INFO", "commandstats"});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_THAT(stats->str, ::testing::HasSubstr("cmdstat_evalsha:calls=1,"));
  EXPECT_THAT(stats->str, ::testing::Not(::testing::HasSubstr("cmdstat_eval:")));
  ASSERT_TRUE(probe_->Command({"SCRIPT", "FLUSH"}).ok());
  EXPECT_EQ(testing::MustAcquire(*a_, bucket), absl::Seconds(60));
  ASSERT_TRUE(server_->FlushAll().ok());
  ASSERT_TRUE(probe_->Command({"SCRIPT", "FLUSH"}).ok());
  EXPECT_EQ(testing::MustAcquire(*a_, bucket), absl::ZeroDuration());
  b_->Observe(bucket, Window(0, clock_.Now() + absl::Seconds(45)));
  EXPECT_EQ(testing::MustAcquire(*a_, bucket), absl::Seconds(45));
}

TEST_F(RedisRateLimiterTest, RedisGoneRefusesAcquireAndLogsObserveOncePerMinute) {
  const RateBucket bucket = TestBucket();
  server_->Kill();
  absl::StatusOr<absl::Duration> wait = a_->Acquire(bucket);
  EXPECT_EQ(wait.status().code(), absl::StatusCode::kUnavailable) << wait.status();
  EXPECT_THAT(std::string(wait.status().message()), ::testing::Not(::testing::HasSubstr("x-main")));
  a_->Observe(bucket, Window(3, clock_.Now() + absl::Seconds(60)));
  a_->Observe(bucket, Window(2, clock_.Now() + absl::Seconds(60)));
  clock_.Advance(absl::Seconds(59));
  a_->Observe(bucket, Window(1, clock_.Now() + absl::Seconds(60)));
  EXPECT_EQ(WarnLines(), 1);
  clock_.Advance(absl::Seconds(2));
  a_->Observe(bucket, Window(1, clock_.Now() + absl::Seconds(60)));
  EXPECT_EQ(WarnLines(), 2);
  for (const auto& line : logger_.lines()) {
    for (const auto& [name, value] : line.fields) {
      if (const auto* s = std::get_if<std::string>(&value)) {
        EXPECT_THAT(*s, ::testing::Not(::testing::HasSubstr("x-main"))) << name;
      }
    }
  }
  // Back again: the limiter works without being rebuilt.
  ASSERT_TRUE(server_->Restart().ok());
  // The client holds off reconnecting for a moment after a failed attempt.
  ASSERT_TRUE(testing::PollUntil([&] { return a_->Acquire(bucket).ok(); }, absl::Seconds(10)));
  a_->Observe(bucket, Window(0, clock_.Now() + absl::Seconds(5)));
  EXPECT_EQ(testing::MustAcquire(*b_, bucket), absl::Seconds(5));
}

}  // namespace
}  // namespace carecast::publisher
