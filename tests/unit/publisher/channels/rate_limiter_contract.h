// The rules every RateLimiter must keep (RateBucketState in
// in_memory_rate_limiter.h), written once and run against each implementation:
// in_memory_rate_limiter_test.cc (one process) and
// tests/integration/publisher/redis_rate_limiter_test.cc (two replicas on one
// redis-server). `a` and `b` are two limiters over the same shared budgets
// ("replicas"; for the in-memory limiter, the same object twice) and `clock` is
// the FakeClock both read.
#pragma once

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include <gtest/gtest.h>

#include "services/common/base/clock.h"
#include "services/publisher/channels/rate_limiter.h"

namespace carecast::testing {

inline publisher::RateBucket TestBucket(const std::string& account = "spokes/a/accounts/x-main") {
  return {"x", "user", account};
}

inline publisher::RateSignal Window(int64_t remaining, absl::Time reset) {
  publisher::RateSignal s;
  s.remaining = remaining;
  s.reset = reset;
  return s;
}

inline publisher::RateSignal Blocked(absl::Time until) {
  publisher::RateSignal s;
  s.blocked_until = until;
  return s;
}

// Acquire, failing the test on an error (returns a negative duration then).
inline absl::Duration MustAcquire(publisher::RateLimiter& limiter,
                                  const publisher::RateBucket& bucket) {
  absl::StatusOr<absl::Duration> wait = limiter.Acquire(bucket);
  EXPECT_TRUE(wait.ok()) << wait.status();
  return wait.ok() ? *wait : absl::Seconds(-1);
}

// A budget nobody said anything about lets every call go; a signal with only
// a limit says nothing the rules use.
inline void UnknownBudgetAllowsCalls(publisher::RateLimiter& a, publisher::RateLimiter& b,
                                     common::FakeClock& clock) {
  const publisher::RateBucket bucket = TestBucket("spokes/a/accounts/unknown");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(MustAcquire(i % 2 ? a : b, bucket), absl::ZeroDuration());
  publisher::RateSignal limit_only;
  limit_only.limit = 1;
  a.Observe(bucket, limit_only);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(MustAcquire(b, bucket), absl::ZeroDuration());
}

// Threads on both replicas race for a window with `remaining` calls: exactly
// that many go, every other caller is told to wait for the reset.
inline void ConcurrentAcquiresTakeExactlyRemaining(publisher::RateLimiter& a,
                                                   publisher::RateLimiter& b,
                                                   common::FakeClock& clock) {
  constexpr int kRemaining = 25;
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 10;
  const publisher::RateBucket bucket = TestBucket();
  const absl::Time reset = clock.Now() + absl::Seconds(60);
  a.Observe(bucket, Window(kRemaining, reset));

  std::atomic<int> went{0};
  std::atomic<int> waited_for_reset{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      publisher::RateLimiter& limiter = t % 2 == 0 ? a : b;
      for (int i = 0; i < kCallsPerThread; ++i) {
        absl::StatusOr<absl::Duration> wait = limiter.Acquire(bucket);
        if (wait.ok() && *wait == absl::ZeroDuration()) {
          ++went;
        } else if (wait.ok() && *wait == absl::Seconds(60)) {
          ++waited_for_reset;
        } else {
          ++other;  // an error, or a wait that is not the reset
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(went.load(), kRemaining);
  EXPECT_EQ(waited_for_reset.load(), kThreads * kCallsPerThread - kRemaining);
  EXPECT_EQ(other.load(), 0);
  clock.Advance(absl::Seconds(20));
  EXPECT_EQ(MustAcquire(b, bucket), absl::Seconds(40));
}

// A 429 seen by one replica holds every replica until blocked_until, which
// only moves later.
inline void BlockFromOneReplicaHoldsTheOther(publisher::RateLimiter& a, publisher::RateLimiter& b,
                                             common::FakeClock& clock) {
  const publisher::RateBucket bucket = TestBucket();
  const publisher::RateBucket other_account = TestBucket("spokes/a/accounts/x-other");
  a.Observe(bucket, Blocked(clock.Now() + absl::Seconds(30)));
  EXPECT_EQ(MustAcquire(b, bucket), absl::Seconds(30));
  EXPECT_EQ(MustAcquire(a, bucket), absl::Seconds(30));
  EXPECT_EQ(MustAcquire(b, other_account), absl::ZeroDuration()) << "buckets are independent";
  clock.Advance(absl::Seconds(10));
  b.Observe(bucket, Blocked(clock.Now() + absl::Seconds(5)));  // earlier: ignored
  EXPECT_EQ(MustAcquire(a, bucket), absl::Seconds(20));
  // A block wins over a window that still has calls left.
  b.Observe(bucket, Window(100, clock.Now() + absl::Seconds(300)));
  EXPECT_EQ(MustAcquire(b, bucket), absl::Seconds(20));
  clock.Advance(absl::Seconds(20));
  EXPECT_EQ(MustAcquire(b, bucket), absl::ZeroDuration());
  EXPECT_EQ(MustAcquire(a, bucket), absl::ZeroDuration());
}

// A spent window waits for its reset; the next window's answer sets remaining
// again; a window that ended with nothing said lets calls go.
inline void LaterWindowResetsRemaining(publisher::RateLimiter& a, publisher::RateLimiter& b,
                                       common::FakeClock& clock) {
  const publisher::RateBucket bucket = TestBucket();
  a.Observe(bucket, Window(0, clock.Now() + absl::Seconds(10)));
  EXPECT_EQ(MustAcquire(b, bucket), absl::Seconds(10));
  b.Observe(bucket, Window(2, clock.Now() + absl::Seconds(70)));
  EXPECT_EQ(MustAcquire(a, bucket), absl::ZeroDuration());
  EXPECT_EQ(MustAcquire(b, bucket), absl::ZeroDuration());
  EXPECT_EQ(MustAcquire(a, bucket), absl::Seconds(70));
  clock.Advance(absl::Seconds(70));  // the window is over and no answer said more
  for (int i = 0; i < 4; ++i) EXPECT_EQ(MustAcquire(i % 2 ? a : b, bucket), absl::ZeroDuration());
}

// Replicas report out of order: within a window remaining only goes down, and
// an answer about an older window changes nothing.
inline void OlderObserveNeverRaisesRemaining(publisher::RateLimiter& a, publisher::RateLimiter& b,
                                             common::FakeClock& clock) {
  const publisher::RateBucket bucket = TestBucket();
  const absl::Time reset = clock.Now() + absl::Seconds(60);
  a.Observe(bucket, Window(5, reset));
  b.Observe(bucket, Window(10, reset));                      // same window, higher: ignored
  a.Observe(bucket, Window(2, reset));                       // same window, lower: taken
  b.Observe(bucket, Window(50, reset - absl::Seconds(30)));  // older window: ignored
  publisher::RateSignal no_reset;                            // no reset: read as the known window
  no_reset.remaining = 40;
  a.Observe(bucket, no_reset);
  EXPECT_EQ(MustAcquire(a, bucket), absl::ZeroDuration());
  EXPECT_EQ(MustAcquire(b, bucket), absl::ZeroDuration());
  EXPECT_EQ(MustAcquire(a, bucket), absl::Seconds(60));
  EXPECT_EQ(MustAcquire(b, bucket), absl::Seconds(60));
}

}  // namespace carecast::testing
