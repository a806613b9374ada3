// BusMetrics (the Prometheus BusObserver) and ConsumerLabel, without a server.
#include "services/common/bus/bus_metrics.h"

#include <string>

#include "absl/strings/match.h"
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "services/common/bus/event_catalogue.h"
#include "tests/support/metric_values.h"

namespace carecast::common {
namespace {

using testing::SeriesValue;

TEST(ConsumerLabelTest, DurableNameOrBoundedEphemeralLabel) {
  EXPECT_EQ(ConsumerLabel({.stream = "S", .durable = "publisher", .filter_subject = "a.>"}),
            "publisher");
  // A purpose wins over the durable's absence; it is ignored for a durable.
  EXPECT_EQ(ConsumerLabel(
                {.stream = "S", .filter_subject = std::string(kAllSubjects), .purpose = "metrics"}),
            "ephemeral-metrics");
  EXPECT_EQ(ConsumerLabel({.stream = "S", .durable = "d", .filter_subject = "x", .purpose = "p"}),
            "d");
  // Without a purpose the filter subject (fixed in code) names it.
  std::string hold_filter = DomainFilter(events::kPublishingHeld);  // "carecast.publishing.>"
  EXPECT_EQ(ConsumerLabel({.stream = "S", .filter_subject = hold_filter}),
            "ephemeral-" + hold_filter);
}

TEST(BusMetricsTest, ConnectionAndReconnects) {
  prometheus::Registry registry;
  BusMetrics metrics(registry);
  // Both exist before anything is reported (0 = not connected yet).
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_connected"), 0);
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_reconnects_total"), 0);
  metrics.ConnectionChanged(true);
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_connected"), 1);
  metrics.ConnectionChanged(false);
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_connected"), 0);
  metrics.Reconnected();
  metrics.ConnectionChanged(true);
  metrics.Reconnected();
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_reconnects_total"), 2);
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_connected"), 1);
}

TEST(BusMetricsTest, ConsumerSeriesExistAtZeroOnceStarted) {
  prometheus::Registry registry;
  BusMetrics metrics(registry);
  const std::map<std::string, std::string> labels = {{"stream", "CARECAST_EVENTS"},
                                                     {"consumer", "publisher"}};
  EXPECT_FALSE(SeriesValue(registry, "carecast_bus_messages_redelivered_total", labels));
  metrics.ConsumerStarted("CARECAST_EVENTS", "publisher");
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_messages_redelivered_total", labels), 0);
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_consumer_pending_messages", labels), 0);
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_consumer_ack_pending_messages", labels), 0);
  // Starting again (a second subscription of the same consumer) changes nothing.
  metrics.Redelivered("CARECAST_EVENTS", "publisher");
  metrics.ConsumerStarted("CARECAST_EVENTS", "publisher");
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_messages_redelivered_total", labels), 1);
}

TEST(BusMetricsTest, RedeliveriesAndLagPerConsumer) {
  prometheus::Registry registry;
  BusMetrics metrics(registry);
  const std::map<std::string, std::string> publisher = {{"stream", "CARECAST_EVENTS"},
                                                        {"consumer", "publisher"}};
  const std::map<std::string, std::string> hold = {{"stream", "CARECAST_EVENTS"},
                                                   {"consumer", "ephemeral-hold"}};
  metrics.Redelivered("CARECAST_EVENTS", "publisher");
  metrics.Redelivered("CARECAST_EVENTS", "publisher");
  metrics.Redelivered("CARECAST_EVENTS", "ephemeral-hold");
  metrics.ConsumerLag("CARECAST_EVENTS", "publisher", 1500, 64);
  metrics.ConsumerLag("CARECAST_EVENTS", "ephemeral-hold", 0, 1);
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_messages_redelivered_total", publisher), 2);
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_messages_redelivered_total", hold), 1);
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_consumer_pending_messages", publisher), 1500);
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_consumer_ack_pending_messages", publisher), 64);
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_consumer_pending_messages", hold), 0);
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_consumer_ack_pending_messages", hold), 1);
  // The lag is a gauge: the next report replaces it.
  metrics.ConsumerLag("CARECAST_EVENTS", "publisher", 3, 0);
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_consumer_pending_messages", publisher), 3);
  EXPECT_EQ(SeriesValue(registry, "carecast_bus_consumer_ack_pending_messages", publisher), 0);
}

TEST(BusMetricsTest, ExpositionNamesAndTypes) {
  prometheus::Registry registry;
  BusMetrics metrics(registry);
  metrics.ConsumerStarted("CARECAST_EVENTS", "ephemeral-metrics");
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  for (const char* line : {
           "# TYPE carecast_bus_connected gauge",
           "# TYPE carecast_bus_reconnects_total counter",
           "# TYPE carecast_bus_consumer_pending_messages gauge",
           "# TYPE carecast_bus_consumer_ack_pending_messages gauge",
           "# TYPE carecast_bus_messages_redelivered_total counter",
           "carecast_bus_messages_redelivered_total{consumer=\"ephemeral-metrics\","
           "stream=\"CARECAST_EVENTS\"} 0",
       }) {
    EXPECT_TRUE(absl::StrContains(text, line)) << line << "\n" << text;
  }
}

TEST(BusObserverTest, DefaultObserverIgnoresEverything) {
  BusObserver observer;  // the no-op default compiles and does nothing
  observer.ConnectionChanged(true);
  observer.Reconnected();
  observer.ConsumerStarted("S", "c");
  observer.Redelivered("S", "c");
  observer.ConsumerLag("S", "c", 1, 2);
}

}  // namespace
}  // namespace carecast::common
