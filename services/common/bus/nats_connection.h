// The JetStream adapter: one NATS connection with reconnect, giving the EventBus
// and the KV buckets. The only file family that includes nats.c.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/logger.h"
#include "services/common/bus/bus_observer.h"
#include "services/common/bus/event_bus.h"
#include "services/common/bus/key_value_store.h"

namespace carecast::common {

struct NatsOptions {
  std::string url;         // nats://host:port[,nats://...]
  std::string creds_file;  // optional
  std::string name;        // connection name shown by the server
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(5);  // JetStream API calls
  // Reconnect forever with this wait; publishes during a disconnect return UNAVAILABLE.
  absl::Duration reconnect_wait = absl::Milliseconds(250);
  // A server that stops answering (frozen, or cut off without the TCP
  // connection closing) is given up after this many unanswered pings, one
  // every ping_interval, and the client moves to another node of the cluster.
  // nats.c's default (two minutes, two pings) would leave every request timing
  // out for minutes.
  absl::Duration ping_interval = absl::Seconds(2);
  int max_pings_out = 2;
  // Told about the connection, redeliveries and consumer lag; must outlive the
  // connection. Null: nothing is reported and no lag is polled.
  BusObserver* observer = nullptr;
  // How often each running consumer's lag is read from the server (one JetStream
  // API request per consumer, on a thread of its own, never the delivery thread).
  absl::Duration consumer_lag_interval = absl::Seconds(10);
};

// Thread-safe. Destroying it drains subscriptions and closes the connection.
class NatsConnection : public EventBus, public KeyValueStoreFactory {
 public:
  // Connects (fails fast with UNAVAILABLE when the server cannot be reached) and
  // checks that JetStream is enabled.
  static absl::StatusOr<std::unique_ptr<NatsConnection>> Connect(const NatsOptions& options,
                                                                 Logger& logger);
  bool IsConnected() const;
};

}  // namespace carecast::common
