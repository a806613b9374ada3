#include "services/publisher/publisher_metrics.h"

#include <string>

namespace carecast::publisher {

PublisherMetrics::PublisherMetrics(prometheus::Registry& registry)
    : published_(prometheus::BuildCounter()
                     .Name("carecast_publisher_posts_published_total")
                     .Help("Posts the publisher recorded as published, per network.")
                     .Register(registry)),
      failed_(prometheus::BuildCounter()
                  .Name("carecast_publisher_posts_failed_total")
                  .Help("Posts that ended FAILED or NEEDS_HUMAN, per network and reason kind.")
                  .Register(registry)),
      lateness_(prometheus::BuildHistogram()
                    .Name("carecast_publisher_publish_lateness_seconds")
                    .Help("Seconds between a post's publish_time and its recorded publication.")
                    .Register(registry)
                    .Add({}, prometheus::Histogram::BucketBoundaries{
                                 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60})),
      claims_lost_(prometheus::BuildCounter()
                       .Name("carecast_publisher_claims_lost_total")
                       .Help("Claims another publisher won (compare-and-set lost).")
                       .Register(registry)
                       .Add({})),
      held_(prometheus::BuildGauge()
                .Name("carecast_publisher_held")
                .Help("1 while publishing is held, else 0.")
                .Register(registry)
                .Add({})),
      due_posts_(prometheus::BuildGauge()
                     .Name("carecast_publisher_due_posts")
                     .Help("Posts in the due-time index waiting for dispatch.")
                     .Register(registry)
                     .Add({})),
      rebuilds_(prometheus::BuildCounter()
                    .Name("carecast_publisher_index_rebuilds_total")
                    .Help("Times the due-time index was rebuilt from the posts bucket.")
                    .Register(registry)
                    .Add({})) {}

void PublisherMetrics::Published(std::string_view network, absl::Duration lateness) {
  published_.Add({{"network", std::string(network)}}).Increment();
  // Early publication is not expected; clamp so the histogram stays meaningful.
  lateness_.Observe(std::max(0.0, absl::ToDoubleSeconds(lateness)));
}

void PublisherMetrics::Failed(std::string_view network, std::string_view reason_kind) {
  failed_.Add({{"network", std::string(network)}, {"reason_kind", std::string(reason_kind)}})
      .Increment();
}

void PublisherMetrics::ClaimLost() { claims_lost_.Increment(); }
void PublisherMetrics::SetHeld(bool held) { held_.Set(held ? 1 : 0); }
void PublisherMetrics::SetDuePosts(double count) { due_posts_.Set(count); }
void PublisherMetrics::IndexRebuilt() { rebuilds_.Increment(); }

}  // namespace carecast::publisher
