#include "services/publisher/engagement_metrics.h"

#include <string>

namespace carecast::publisher {

EngagementMetrics::EngagementMetrics(prometheus::Registry& registry)
    : reads_(prometheus::BuildCounter()
                 .Name("carecast_publisher_engagement_reads_total")
                 .Help("Engagement readings of published posts, by network and result")
                 .Register(registry)),
      follower_reads_(prometheus::BuildCounter()
                          .Name("carecast_publisher_follower_reads_total")
                          .Help("Follower-count readings of accounts, by network and result")
                          .Register(registry)),
      scheduled_(prometheus::BuildGauge()
                     .Name("carecast_publisher_engagement_schedule_posts")
                     .Help("Published posts whose engagement is still read on a schedule")
                     .Register(registry)
                     .Add({})) {}

void EngagementMetrics::EngagementRead(std::string_view network, std::string_view result) {
  reads_.Add({{"network", std::string(network)}, {"result", std::string(result)}}).Increment();
}

void EngagementMetrics::FollowerRead(std::string_view network, std::string_view result) {
  follower_reads_.Add({{"network", std::string(network)}, {"result", std::string(result)}})
      .Increment();
}

void EngagementMetrics::SetScheduledPosts(double posts) { scheduled_.Set(posts); }

}  // namespace carecast::publisher
