// The publisher's series exist at zero before the first post fails, so the
// failure rate reads 0 rather than "no data".
#include "services/publisher/publisher_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "tests/support/metric_values.h"

namespace carecast::publisher {
namespace {

using testing::SeriesValue;

TEST(PublisherMetricsTest, FailureSeriesExistForEveryNetworkAndReasonKind) {
  prometheus::Registry registry;
  PublisherMetrics metrics(registry);
  for (const char* network : {"sandbox", "x", "facebook", "linkedin", "instagram", "mastodon"}) {
    for (const char* kind : {"retryable", "rate_limited", "auth_expired", "permanent",
                             "outcome_unknown", "no_channel", "content_changed", "consent"}) {
      EXPECT_EQ(SeriesValue(registry, "carecast_publisher_posts_failed_total",
                            {{"network", network}, {"reason_kind", kind}}),
                0)
          << network << " " << kind;
    }
  }
  metrics.Failed("x", "outcome_unknown");
  EXPECT_EQ(SeriesValue(registry, "carecast_publisher_posts_failed_total",
                        {{"network", "x"}, {"reason_kind", "outcome_unknown"}}),
            1);
  EXPECT_EQ(SeriesValue(registry, "carecast_publisher_posts_failed_total",
                        {{"network", "sandbox"}, {"reason_kind", "outcome_unknown"}}),
            0);
}

}  // namespace
}  // namespace carecast::publisher
