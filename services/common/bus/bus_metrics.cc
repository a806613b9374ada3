#include "services/common/bus/bus_metrics.h"

namespace carecast::common {

BusMetrics::BusMetrics(prometheus::Registry& registry)
    : connected_(prometheus::BuildGauge()
                     .Name("carecast_bus_connected")
                     .Help("1 while the connection to NATS is up, else 0.")
                     .Register(registry)
                     .Add({})),
      reconnects_(prometheus::BuildCounter()
                      .Name("carecast_bus_reconnects_total")
                      .Help("Times the NATS connection came back after a disconnect.")
                      .Register(registry)
                      .Add({})),
      pending_family_(prometheus::BuildGauge()
                          .Name("carecast_bus_consumer_pending_messages")
                          .Help("Events in the stream the consumer has not been delivered yet.")
                          .Register(registry)),
      ack_pending_family_(prometheus::BuildGauge()
                              .Name("carecast_bus_consumer_ack_pending_messages")
                              .Help("Events delivered to the consumer and not yet acknowledged.")
                              .Register(registry)),
      redelivered_family_(prometheus::BuildCounter()
                              .Name("carecast_bus_messages_redelivered_total")
                              .Help("Deliveries of an event delivered before (retry, ack "
                                    "timeout or a crashed replica).")
                              .Register(registry)),
      healthy_family_(prometheus::BuildGauge()
                          .Name("carecast_bus_consumer_healthy")
                          .Help("1 while the consumer exists on the server and is being pulled "
                                "from; 0 while it is missing and being re-created.")
                          .Register(registry)),
      recreated_family_(prometheus::BuildCounter()
                            .Name("carecast_bus_consumer_recreated_total")
                            .Help("Times the consumer was found missing on the server (deleted, "
                                  "expired, or its stream deleted) and re-created.")
                            .Register(registry)) {}

BusMetrics::ConsumerSeries& BusMetrics::Series(std::string_view stream, std::string_view consumer) {
  std::lock_guard lock(mu_);
  ConsumerSeries& s = series_[{std::string(stream), std::string(consumer)}];
  if (s.pending == nullptr) {
    const prometheus::Labels labels = {{"stream", std::string(stream)},
                                       {"consumer", std::string(consumer)}};
    s.pending = &pending_family_.Add(labels);
    s.ack_pending = &ack_pending_family_.Add(labels);
    s.redelivered = &redelivered_family_.Add(labels);
    s.healthy = &healthy_family_.Add(labels);
    s.healthy->Set(1);
    s.recreated = &recreated_family_.Add(labels);
  }
  // std::map never moves its values, so the reference stays valid after unlock.
  return s;
}

void BusMetrics::ConnectionChanged(bool connected) { connected_.Set(connected ? 1 : 0); }

void BusMetrics::Reconnected() { reconnects_.Increment(); }

void BusMetrics::ConsumerStarted(std::string_view stream, std::string_view consumer) {
  // A new subscription starts healthy, even after an earlier one left it at 0.
  Series(stream, consumer).healthy->Set(1);
}

void BusMetrics::Redelivered(std::string_view stream, std::string_view consumer) {
  Series(stream, consumer).redelivered->Increment();
}

void BusMetrics::ConsumerLag(std::string_view stream, std::string_view consumer, int64_t pending,
                             int64_t ack_pending) {
  ConsumerSeries& s = Series(stream, consumer);
  s.pending->Set(static_cast<double>(pending));
  s.ack_pending->Set(static_cast<double>(ack_pending));
}

void BusMetrics::ConsumerHealthChanged(std::string_view stream, std::string_view consumer,
                                       bool healthy) {
  Series(stream, consumer).healthy->Set(healthy ? 1 : 0);
}

void BusMetrics::ConsumerRecreated(std::string_view stream, std::string_view consumer) {
  Series(stream, consumer).recreated->Increment();
}

}  // namespace carecast::common
