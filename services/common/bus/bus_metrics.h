// The bus's health as Prometheus series, fed by the NATS adapter (a BusObserver):
//   carecast_bus_connected                                    gauge 0/1
//   carecast_bus_reconnects_total                             counter
//   carecast_bus_consumer_pending_messages{stream,consumer}     gauge (not yet delivered)
//   carecast_bus_consumer_ack_pending_messages{stream,consumer} gauge (delivered, unacked)
//   carecast_bus_messages_redelivered_total{stream,consumer}    counter
//   carecast_bus_consumer_healthy{stream,consumer}              gauge 1, 0 while missing
//   carecast_bus_consumer_recreated_total{stream,consumer}      counter
// The two backlog gauges read -1 while the backlog is unknown (consumer missing).
// `consumer` is a ConsumerLabel (durable name or "ephemeral-<purpose>"), so the
// label set is the service's fixed set of consumers. Thread-safe; the registry
// must outlive this object.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "services/common/bus/bus_observer.h"

namespace carecast::common {

class BusMetrics final : public BusObserver {
 public:
  explicit BusMetrics(prometheus::Registry& registry);

  void ConnectionChanged(bool connected) override;
  void Reconnected() override;
  // Creates the consumer's series at zero (healthy at 1), so they exist before
  // the first lag report, redelivery or re-creation.
  void ConsumerStarted(std::string_view stream, std::string_view consumer) override;
  void Redelivered(std::string_view stream, std::string_view consumer) override;
  void ConsumerLag(std::string_view stream, std::string_view consumer, int64_t pending,
                   int64_t ack_pending) override;
  void ConsumerHealthChanged(std::string_view stream, std::string_view consumer,
                             bool healthy) override;
  void ConsumerRecreated(std::string_view stream, std::string_view consumer) override;

 private:
  struct ConsumerSeries {
    prometheus::Gauge* pending = nullptr;
    prometheus::Gauge* ack_pending = nullptr;
    prometheus::Counter* redelivered = nullptr;
    prometheus::Gauge* healthy = nullptr;
    prometheus::Counter* recreated = nullptr;
  };
  ConsumerSeries& Series(std::string_view stream, std::string_view consumer);

  prometheus::Gauge& connected_;
  prometheus::Counter& reconnects_;
  prometheus::Family<prometheus::Gauge>& pending_family_;
  prometheus::Family<prometheus::Gauge>& ack_pending_family_;
  prometheus::Family<prometheus::Counter>& redelivered_family_;
  prometheus::Family<prometheus::Gauge>& healthy_family_;
  prometheus::Family<prometheus::Counter>& recreated_family_;

  std::mutex mu_;  // guards series_ (the handles themselves are thread-safe)
  std::map<std::pair<std::string, std::string>, ConsumerSeries> series_;
};

}  // namespace carecast::common
