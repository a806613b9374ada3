// A RateLimiter for one process (tests, and a single publisher without Redis):
// the same rules as RedisRateLimiter (redis_rate_limiter.h) kept in a map.
// Thread-safe; `clock` must outlive it.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"

#include "services/common/base/clock.h"
#include "services/publisher/channels/rate_limiter.h"

namespace carecast::publisher {

// The state of one bucket and the two rules every limiter applies:
//   Acquire: blocked_until in the future → wait for it; else remaining known,
//            reset in the future and remaining <= 0 → wait for reset; else go
//            (taking one from remaining when known).
//   Observe: blocked_until only moves later; a new window (a later reset) sets
//            remaining; within the same window remaining only goes down.
struct RateBucketState {
  std::optional<int64_t> remaining;
  absl::Time reset = absl::InfinitePast();
  absl::Time blocked_until = absl::InfinitePast();

  absl::Duration Acquire(absl::Time now);
  void Observe(const RateSignal& signal);
};

class InMemoryRateLimiter final : public RateLimiter {
 public:
  explicit InMemoryRateLimiter(const common::Clock& clock) : clock_(clock) {}

  absl::StatusOr<absl::Duration> Acquire(const RateBucket& bucket) override;
  void Observe(const RateBucket& bucket, const RateSignal& signal) override;

 private:
  const common::Clock& clock_;
  std::mutex mu_;
  std::map<std::string, RateBucketState> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace carecast::publisher
