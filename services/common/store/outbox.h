// The outbox: what an entity write still owes the bus, and the markers that let
// a relay find debts a crashed writer left behind.
//
// A marker "<bucket>.<random id>" in the carecast_outbox bucket is written before
// an entity write that carries outbox items and deleted once they are flushed;
// a marker whose write never committed is harmless (the relay finds nothing
// owed and deletes it). Thread-safe; references must outlive it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "carecast/v1/store.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_bus.h"
#include "services/common/bus/key_value_store.h"

namespace carecast::common {

inline constexpr std::string_view kOutboxBucket = "carecast_outbox";

// Where outbox activity is reported (Prometheus in services, nothing in tests).
class OutboxObserver {
 public:
  virtual ~OutboxObserver() = default;
  // `items` were confirmed on the bus for an entity of `bucket`.
  virtual void Flushed(std::string_view bucket, int items) {}
  // A flush stopped early; the relay will finish it.
  virtual void FlushDeferred(std::string_view bucket) {}
  // The relay settled a marker a writer left behind.
  virtual void Relayed(std::string_view bucket) {}
  // Markers of `bucket` older than the relay's grace at its last sweep.
  virtual void Backlog(std::string_view bucket, int64_t markers) {}
};

class Outbox {
 public:
  // `markers` is the carecast_outbox bucket; `writer` names this process in markers.
  Outbox(EventBus& bus, KeyValueStore& markers, const Clock& clock, Logger& logger,
         OutboxObserver& observer, std::string writer);

  // Publishes `items` in order: events with their ids as Nats-Msg-Id, audit
  // entries appended to their chains. Stops at the first failure (UNAVAILABLE
  // after brief retries) so order is kept; everything is idempotent, so the
  // next flush may repeat what this one confirmed.
  absl::Status Flush(std::string_view bucket, const std::vector<carecast::v1::OutboxItem>& items);

  // Writes a marker for a coming write to `bucket`/`key`; returns its key.
  absl::StatusOr<std::string> PutMarker(std::string_view bucket, std::string_view key);
  // Deletes a marker; a failure only delays it (the relay deletes it later).
  void DeleteMarker(std::string_view marker_key);

  KeyValueStore& markers() { return markers_; }
  const Clock& clock() const { return clock_; }
  Logger& logger() { return logger_; }
  OutboxObserver& observer() { return observer_; }

 private:
  absl::Status PublishEvent(const carecast::v1::OutboxEvent& event);

  EventBus& bus_;
  KeyValueStore& markers_;
  const Clock& clock_;
  Logger& logger_;
  OutboxObserver& observer_;
  const std::string writer_;
};

// An observer that reports nothing (tests, tools).
OutboxObserver& NullOutboxObserver();

}  // namespace carecast::common
