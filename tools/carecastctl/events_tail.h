// `carecastctl events tail`: prints bus events as JSON lines through a private
// (ephemeral) consumer, so it never disturbs the services' durable consumers.
#pragma once

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

#include "services/common/bus/event_bus.h"
#include "services/common/bus/event_catalogue.h"

namespace carecast::ctl {

struct TailOptions {
  // A NATS filter; one under "carecast.audit." reads the audit stream.
  std::string subject = std::string(common::kAllSubjects);
  bool from_start = false;  // replay retained events first
  int max_events = 0;       // stop after this many (0: never)
  // Stop when no event arrived for this long (zero: wait forever).
  absl::Duration idle_timeout = absl::ZeroDuration();
};

// Returns OK when it stopped by count or idle timeout.
absl::Status TailEvents(common::EventBus& bus, const TailOptions& options, std::ostream& out);

}  // namespace carecast::ctl
