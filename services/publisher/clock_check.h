// The publisher's clock held against a server's. Posts fall due, claims are
// stamped and leases run out by each publisher's own clock, so a publisher
// whose clock runs ahead sends posts early (F5 of docs/reliability.md: 30 s
// ahead, every post of a burst went out 30 s early) and takes other publishers'
// live claims for abandoned. The dispatch loop asks Allows() before each cycle:
// while this clock is off the server's by more than the tolerance, it claims
// nothing, and the replicas whose clocks agree do the work.
//
// The reference is Redis's TIME (every publisher already shares that server).
// One measurement: the local clock before and after a TIME round trip, the
// offset against the middle of the two; a round trip longer than the tolerance
// says nothing and keeps the last verdict. Thread-safe.
#pragma once

#include <functional>
#include <mutex>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/redis/redis_client.h"

namespace carecast::publisher {

struct ClockCheckOptions {
  // Allowed distance between this clock and the server's. Zero turns the check off.
  absl::Duration tolerance = absl::Seconds(2);
  // How often the offset is measured again.
  absl::Duration period = absl::Seconds(5);
};

class ClockCheck {
 public:
  // The reference server's time now.
  using ServerTime = std::function<absl::StatusOr<absl::Time>()>;
  // Exposes carecast_publisher_clock_offset_seconds (this clock minus the
  // server's, at the last measurement) and carecast_publisher_clock_skewed (0/1).
  ClockCheck(const ClockCheckOptions& options, ServerTime server_time, const common::Clock& clock,
             common::Logger& logger, prometheus::Registry& registry);
  // Redis's TIME through `redis`, which must outlive the returned function.
  static ServerTime RedisTime(common::RedisClient& redis);

  // Whether this process may dispatch: its clock was within the tolerance at
  // the last conclusive measurement (taken again once a period has passed).
  // False until one measurement has concluded (fail closed: a publisher that
  // cannot tell does not claim; the due index lives on the same server).
  bool Allows();
  // This clock minus the server's, at the last conclusive measurement.
  std::optional<absl::Duration> offset() const;

 private:
  void Measure();

  const ClockCheckOptions options_;
  const ServerTime server_time_;
  const common::Clock& clock_;
  common::Logger& logger_;
  prometheus::Gauge& offset_gauge_;
  prometheus::Gauge& skewed_gauge_;
  mutable std::mutex mu_;
  absl::Time last_measured_ = absl::InfinitePast();
  std::optional<absl::Duration> offset_;
  enum class Verdict { kUnknown, kAgrees, kSkewed };
  Verdict verdict_ = Verdict::kUnknown;
};

}  // namespace carecast::publisher
