// What the NATS adapter tells about its own health, for metrics: connection state,
// reconnects, redeliveries, consumer lag and consumers lost and re-created on the
// server. Every method has a no-op default.
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
  // delivered, `ack_pending` delivered and not yet acknowledged. Both are -1 when
  // the backlog cannot be read (the consumer is missing, or the server did not
  // answer), so a stale figure is never left standing.
  virtual void ConsumerLag(std::string_view stream, std::string_view consumer, int64_t pending,
                           int64_t ack_pending) {}
  // The consumer was found missing on the server (deleted, expired, or its stream
  // deleted): false; it was re-created and deliveries resumed: true. Every
  // subscription starts healthy.
  virtual void ConsumerHealthChanged(std::string_view stream, std::string_view consumer,
                                     bool healthy) {}
  // A missing consumer was re-created (or bound again, when a replica re-created
  // it first) and the subscription resumed.
  virtual void ConsumerRecreated(std::string_view stream, std::string_view consumer) {}
};

// The bounded label naming a consumer in metrics: its durable name, or
// "ephemeral-<purpose>" (the filter subject when no purpose is set), never the
// server's random name for an ephemeral consumer.
std::string ConsumerLabel(const ConsumerSpec& spec);

}  // namespace carecast::common
