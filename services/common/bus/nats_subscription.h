// A JetStream pull consumer feeding an EventHandler on its own thread.
// Internal to the NATS adapter.
#pragma once

#include <memory>

#include "absl/status/statusor.h"

#include "services/common/bus/event_bus.h"
#include "services/common/bus/nats_core.h"

namespace carecast::common {

// Creates (or binds to) the consumer described by `spec` and starts delivering.
// A durable consumer survives the Subscription; an ephemeral one is deleted with it.
absl::StatusOr<std::unique_ptr<Subscription>> StartNatsSubscription(std::shared_ptr<NatsCore> core,
                                                                    const ConsumerSpec& spec,
                                                                    EventHandler handler);

// The redelivery delay after the `delivery_count`-th delivery asked for a retry:
// doubling from 100 ms, at most 10 s and never beyond `ack_wait`.
absl::Duration RetryDelay(uint64_t delivery_count, absl::Duration ack_wait);

}  // namespace carecast::common
