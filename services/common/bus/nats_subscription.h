// A JetStream pull consumer feeding an EventHandler on its own thread.
// Internal to the NATS adapter.
//
// Consumers heal: when the server no longer has the consumer (an operator
// deleted the durable, an ephemeral expired after a partition outlasted its
// inactive threshold, or the stream was deleted), the subscription re-creates it
// from the same ConsumerSpec and carries on delivering. It notices through the
// "consumer deleted" status a waiting pull receives, through consumer-info
// answers saying "consumer not found" (10014) or "stream not found" (10059) from
// the lag poller, and, when idle, through a consumer-info probe every few seconds
// (nats.c 3.4 reports a pull on a missing consumer as a plain timeout). A plain
// timeout, a 404 "no messages" or an unreachable server never counts as missing.
//
// Re-creation is retried with a backoff doubling from 100 ms to 5 s. The
// subscription does not know its StreamSpec, so while the stream is missing it
// waits for whoever owns the topology to create it again. Each re-creation logs
// one warning ("bus: consumer re-created") and calls the observer's
// ConsumerRecreated; while the consumer is missing the observer sees
// ConsumerHealthChanged(false) and a backlog of -1 (unknown), and Pending() is -1.
//
// A re-created consumer starts per the spec's deliver policy: with deliver_all a
// durable delivers every retained event again, and events that were delivered
// but unacknowledged when it vanished come again. Handlers must be idempotent.
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

// The wait before the `attempt`-th (1-based) attempt to re-create a missing
// consumer: doubling from 100 ms, at most 5 s.
absl::Duration RecreateBackoff(int attempt);

}  // namespace carecast::common
