// What the NATS adapter tells about its own health, for metrics: connection state,
// reconnects, redeliveries and consumer lag. Every method has a no-op default.
// Called from nats.c callback threads, delivery threads and the lag poller:
// implementations must be thread-safe, quick, and must not call back into the bus.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "services/common/bus/event_bus.h"

namespace carecast::common {

class BusObserver {
 public:
  virtual ~BusObserver() = default;

  // The connection went up (true) or down (false).
  virtual void ConnectionChanged(bool connected) {}
  // The connection came back after a disconnect.
  virtual void Reconnected() {}
  // A subscription started on `consumer` (a ConsumerLabel) of `stream`.
  virtual void ConsumerStarted(std::string_view stream, std::string_view consumer) {}
  // An event reached the handler with delivery_count > 1.
  virtual void Redelivered(std::string_view stream, std::string_view consumer) {}
  // The consumer's backlog as the server reports it: `pending` events not yet
  // delivered, `ack_pending` delivered and not yet acknowledged.
  virtual void ConsumerLag(std::string_view stream, std::string_view consumer, int64_t pending,
                           int64_t ack_pending) {}
};

// The bounded label naming a consumer in metrics: its durable name, or
// "ephemeral-<purpose>" (the filter subject when no purpose is set), never the
// server's random name for an ephemeral consumer.
std::string ConsumerLabel(const ConsumerSpec& spec);

}  // namespace carecast::common
