#include "services/publisher/channels/in_memory_rate_limiter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace carecast::publisher {

std::string RateBucket::Key() const { return absl::StrCat(network, ":", scope, ":", account); }

absl::Duration RateBucketState::Acquire(absl::Time now) {
  if (blocked_until > now) return blocked_until - now;
  if (remaining.has_value() && reset > now) {
    if (*remaining <= 0) return reset - now;
    --*remaining;
    return absl::ZeroDuration();
  }
  // The window is over (or was never known): the next answer will say.
  remaining.reset();
  return absl::ZeroDuration();
}

void RateBucketState::Observe(const RateSignal& signal) {
  if (signal.blocked_until) blocked_until = std::max(blocked_until, *signal.blocked_until);
  if (!signal.remaining) return;
  absl::Time signal_reset = signal.reset.value_or(reset);
  if (signal_reset > reset || !remaining.has_value()) {
    remaining = *signal.remaining;
    reset = signal_reset;
  } else if (signal_reset == reset) {
    remaining = std::min(*remaining, *signal.remaining);
  }
}

absl::StatusOr<absl::Duration> InMemoryRateLimiter::Acquire(const RateBucket& bucket) {
  std::lock_guard lock(mu_);
  return buckets_[bucket.Key()].Acquire(clock_.Now());
}

void InMemoryRateLimiter::Observe(const RateBucket& bucket, const RateSignal& signal) {
  std::lock_guard lock(mu_);
  buckets_[bucket.Key()].Observe(signal);
}

}  // namespace carecast::publisher
