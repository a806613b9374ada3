// The budget rules (RateBucketState) on the one-process limiter, with a fake
// clock: the same cases the Redis limiter passes against a real redis-server
// (rate_limiter_contract.h), here with both "replicas" on one object.
#include "services/publisher/channels/in_memory_rate_limiter.h"

#include <gtest/gtest.h>

#include "services/common/base/clock.h"
#include "tests/unit/publisher/channels/rate_limiter_contract.h"

namespace carecast::publisher {
namespace {

class InMemoryRateLimiterTest : public ::testing::Test {
 protected:
  common::FakeClock clock_;
  InMemoryRateLimiter limiter_{clock_};
};

TEST_F(InMemoryRateLimiterTest, UnknownBudgetAllowsCalls) {
  testing::UnknownBudgetAllowsCalls(limiter_, limiter_, clock_);
}

TEST_F(InMemoryRateLimiterTest, ConcurrentAcquiresTakeExactlyRemaining) {
  testing::ConcurrentAcquiresTakeExactlyRemaining(limiter_, limiter_, clock_);
}

TEST_F(InMemoryRateLimiterTest, BlockFromOneCallerHoldsEveryCaller) {
  testing::BlockFromOneReplicaHoldsTheOther(limiter_, limiter_, clock_);
}

TEST_F(InMemoryRateLimiterTest, LaterWindowResetsRemaining) {
  testing::LaterWindowResetsRemaining(limiter_, limiter_, clock_);
}

TEST_F(InMemoryRateLimiterTest, OlderObserveNeverRaisesRemaining) {
  testing::OlderObserveNeverRaisesRemaining(limiter_, limiter_, clock_);
}

// The state machine itself, for the corner the contract cannot see from
// outside: a remaining without any reset is no window at all.
TEST(RateBucketStateTest, RemainingWithoutResetIsForgottenOnAcquire) {
  RateBucketState state;
  RateSignal signal;
  signal.remaining = 0;
  state.Observe(signal);
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  EXPECT_EQ(state.Acquire(now), absl::ZeroDuration());
  EXPECT_FALSE(state.remaining.has_value());
}

}  // namespace
}  // namespace carecast::publisher
