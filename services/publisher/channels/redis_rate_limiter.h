// The RateLimiter shared by every publisher replica: each bucket is one Redis
// hash, changed only by two Lua scripts that apply RateBucketState's rules
// (in_memory_rate_limiter.h) atomically, so replicas racing for the last calls
// of a window never take more than the network allows.
//
// Layout: key "carecast:ratelimit:<RateBucket::Key()>", fields
//   remaining         calls left in the window (absent: not known)
//   reset_ms          when the window starts again (Unix ms; absent: not known)
//   blocked_until_ms  no call before this (Unix ms; absent: never blocked)
// with a TTL of max(reset, blocked_until) - now + 1 h, so buckets of accounts
// that stopped posting vanish on their own.
//
// Time: "now" is the caller's Clock, passed to the scripts; the Redis server's
// clock is never read (the rules stay testable with a fake clock, and a Redis
// whose clock drifts cannot open a window early). Times are kept to the
// millisecond.
//
// Losing Redis (restart without persistence, FLUSHALL, failover to a replica
// that missed the last writes) loses only what the networks last said about
// each budget: the next calls go out, the networks' answers (remaining, reset,
// 429) restore the knowledge, and a 429 is never a lost or duplicated post, only
// a wait. While Redis cannot be reached, Acquire answers UNAVAILABLE so no call
// is made blind (the adapter reports it retryable and the post waits).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/redis/redis_client.h"
#include "services/publisher/channels/rate_limiter.h"

namespace carecast::publisher {

struct RedisRateLimiterOptions {
  std::string key_prefix = "carecast:ratelimit:";
  // How long a bucket outlives its last known reset or block.
  absl::Duration idle_ttl = absl::Hours(1);
  // Observe failures are logged at most once per this interval (Observe has no
  // way to report an error, and a Redis outage would otherwise log per call).
  absl::Duration observe_log_interval = absl::Minutes(1);
};

// Thread-safe. `redis`, `clock` and `logger` must outlive it. Acquire returns
// UNAVAILABLE when Redis cannot be reached or refuses the script (nothing was
// taken; the message names no account). Observe drops the signal on a Redis
// failure and logs it (network and scope only), at most once per
// observe_log_interval.
class RedisRateLimiter final : public RateLimiter {
 public:
  RedisRateLimiter(common::RedisClient& redis, const common::Clock& clock, common::Logger& logger,
                   RedisRateLimiterOptions options = {});

  absl::StatusOr<absl::Duration> Acquire(const RateBucket& bucket) override;
  void Observe(const RateBucket& bucket, const RateSignal& signal) override;

  // The Redis key of `bucket` (for tests and operators).
  std::string KeyOf(const RateBucket& bucket) const;

 private:
  struct Script {
    std::string source;
    std::string sha1;  // hex, as EVALSHA wants it
  };
  // Runs `script` by its SHA (loading it with EVAL when Redis does not know it,
  // e.g. after a restart).
  absl::StatusOr<common::RedisReply> Run(const Script& script, const std::string& key,
                                         const std::vector<std::string>& args);

  common::RedisClient& redis_;
  const common::Clock& clock_;
  common::Logger& logger_;
  const RedisRateLimiterOptions options_;
  const Script acquire_;
  const Script observe_;

  std::mutex log_mu_;
  absl::Time last_observe_log_ ABSL_GUARDED_BY(log_mu_) = absl::InfinitePast();
};

}  // namespace carecast::publisher
