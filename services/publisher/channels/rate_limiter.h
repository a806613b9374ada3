// Rate-limit budgets shared by every publisher replica, per (network, scope,
// account), fed by what the networks say (headers, error codes). An adapter asks
// before each call and reports what the answer said; a call the budget does not
// allow is not made: the adapter returns kRateLimited with the wait, and the
// dispatcher reschedules the post (never failing it, never sending it twice).
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace carecast::publisher {

// Which budget a call draws on, e.g. {"x", "user", "spokes/a/accounts/b"} or
// {"facebook", "app", ""}.
struct RateBucket {
  std::string network;  // NetworkLabel
  std::string scope;    // "app", "user", "page", "account", "ip"
  std::string account;  // empty for app-wide budgets

  std::string Key() const;  // "<network>:<scope>:<account>"
};

// What one answer said about its bucket. Empty fields: not said.
struct RateSignal {
  std::optional<int64_t> limit;      // calls allowed in the window
  std::optional<int64_t> remaining;  // calls left in the window
  std::optional<absl::Time> reset;   // when the window starts again
  // The network refused for rate (429, Meta codes 4/17/32/613, usage >= 100%):
  // no call may be made before this time.
  std::optional<absl::Time> blocked_until;
};

// Thread-safe.
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;

  // Takes one call from `bucket`'s budget. Returns zero when the call may go
  // now, or how long to wait (nothing was taken). A budget with nothing known
  // about it allows the call. UNAVAILABLE when the shared store cannot be
  // reached (the caller treats it as retryable).
  virtual absl::StatusOr<absl::Duration> Acquire(const RateBucket& bucket) = 0;

  // Records what a network answer said. Never raises `remaining` above what
  // calls already taken leave (several replicas may report out of order).
  virtual void Observe(const RateBucket& bucket, const RateSignal& signal) = 0;
};

}  // namespace carecast::publisher
