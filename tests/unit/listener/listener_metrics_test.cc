// The listener's rejection series exist at zero for every known reason, so a
// dashboard shows 0 rather than "no data" before the first bad mention.
#include "services/listener/listener_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "tests/support/metric_values.h"

namespace carecast::listener {
namespace {

using testing::SeriesValue;

TEST(ListenerMetricsTest, RejectionSeriesExistForEveryKnownReason) {
  prometheus::Registry registry;
  ListenerMetrics metrics(registry);
  for (const char* reason : {"network", "external_id", "author_handle", "text_empty", "text_utf8",
                             "text_size", "create_time", "malformed_json", "missing_field",
                             "unknown_field", "field_type", "unknown_network", "account"}) {
    EXPECT_EQ(
        SeriesValue(registry, "carecast_listener_mentions_rejected_total", {{"reason", reason}}), 0)
        << reason;
  }
  metrics.MentionRejected("text_empty");
  EXPECT_EQ(SeriesValue(registry, "carecast_listener_mentions_rejected_total",
                        {{"reason", "text_empty"}}),
            1);
}

TEST(ListenerMetricsTest, InboxSlaSeriesExistForEveryPriority) {
  prometheus::Registry registry;
  ListenerMetrics metrics(registry);
  for (const char* priority : {"urgent", "high", "normal", "low"}) {
    EXPECT_EQ(SeriesValue(registry, "carecast_inbox_sla_breaches_total", {{"priority", priority}}),
              0)
        << priority;
    EXPECT_EQ(SeriesValue(registry, "carecast_inbox_sla_overdue", {{"priority", priority}}), 0)
        << priority;
  }
  metrics.SlaBreached("urgent");
  metrics.SetSlaOverdue("high", 3);
  EXPECT_EQ(SeriesValue(registry, "carecast_inbox_sla_breaches_total", {{"priority", "urgent"}}),
            1);
  EXPECT_EQ(SeriesValue(registry, "carecast_inbox_sla_overdue", {{"priority", "high"}}), 3);
}

}  // namespace
}  // namespace carecast::listener
