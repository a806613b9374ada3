// What the engagement collector did, for Prometheus. Thread-safe.
#pragma once

#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace carecast::publisher {

class EngagementMetrics {
 public:
  explicit EngagementMetrics(prometheus::Registry& registry);

  // carecast_publisher_engagement_reads_total{network,result}: one per reading
  // attempted or put off. Results: "observed", "deleted" (the network no longer
  // has the post), "rate_limited", "auth_expired", "failed" (retryable or
  // unknown), "over_budget" (this replica's hourly reads for the account were
  // spent), "unsupported".
  void EngagementRead(std::string_view network, std::string_view result);
  // carecast_publisher_follower_reads_total{network,result}: the same for
  // follower counts.
  void FollowerRead(std::string_view network, std::string_view result);
  // carecast_publisher_engagement_schedule_posts: posts whose engagement is
  // still being read, as of the last tick.
  void SetScheduledPosts(double posts);

 private:
  prometheus::Family<prometheus::Counter>& reads_;
  prometheus::Family<prometheus::Counter>& follower_reads_;
  prometheus::Gauge& scheduled_;
};

}  // namespace carecast::publisher
