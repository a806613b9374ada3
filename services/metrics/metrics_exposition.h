// The program's figures as Prometheus series, kept current event by event:
//   carecast_posts_published_total{network}
//   carecast_posts_failed_total{network,state}
//   carecast_posts_needing_human{network} (NEEDS_HUMAN posts not resolved since)
//   carecast_mentions_total{sentiment}
//   carecast_inbox_open_items, carecast_inbox_closed_total,
//   carecast_inbox_response_seconds (histogram, create -> close)
//   carecast_objective_current{objective,kpi}, carecast_objective_progress_ratio{objective,kpi}
//   carecast_post_impressions{network,spoke}, carecast_post_interactions{network,spoke},
//   carecast_link_clicks{network,spoke} (sums over each post's latest engagement
//   reading, figures the network does not report left out),
//   carecast_account_followers{network,spoke} (sum of each account's latest count)
//   carecast_metrics_events_consumed_total{domain}, carecast_metrics_events_rejected_total,
//   carecast_metrics_consumer_pending
// Label values come from closed enums, the event domain list, and objective ids:
// objectives are a small set configured by strategists (tens, not per user, post,
// mention or patient), so the objective label stays bounded. The spoke label is
// the spoke id ("none" for an account name of another shape): spokes are a
// configured set of care sites, tens at most. No post or account id is a label
// value, and no label carries PHI.
// Thread-safe; the registry must outlive this object.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "services/metrics/program_figures.h"

namespace carecast::metrics {

class MetricsExposition final : public FiguresObserver {
 public:
  explicit MetricsExposition(prometheus::Registry& registry);

  // FiguresObserver.
  void PostPublished(v1::Network network) override;
  void PostFailed(v1::Network network, v1::PostState state) override;
  void NeedsHumanChanged(v1::Network network, int64_t posts) override;
  void MentionClassified(v1::Sentiment sentiment) override;
  void InboxOpenChanged(int64_t open_items) override;
  void InboxClosed(std::optional<absl::Duration> response_time) override;
  void ObjectiveChanged(const ObjectiveFigure& figure) override;
  void EngagementChanged(v1::Network network, const std::string& spoke,
                         const EngagementContribution& totals) override;
  void FollowersChanged(v1::Network network, const std::string& spoke, int64_t followers) override;

  // Bookkeeping of the event consumer itself.
  void EventConsumed(std::string_view subject);
  void EventRejected();
  void SetConsumerPending(int64_t pending);

 private:
  // Handles for a label value; created on first use when the value was not
  // pre-resolved (an enum value added after this build).
  prometheus::Counter& Published(v1::Network network);
  prometheus::Counter& Failed(v1::Network network, v1::PostState state);
  prometheus::Counter& Mentions(v1::Sentiment sentiment);
  prometheus::Gauge& NeedingHuman(v1::Network network);

  prometheus::Family<prometheus::Counter>& published_family_;
  prometheus::Family<prometheus::Counter>& failed_family_;
  prometheus::Family<prometheus::Gauge>& needing_human_family_;
  prometheus::Family<prometheus::Counter>& mentions_family_;
  prometheus::Family<prometheus::Gauge>& open_family_;
  prometheus::Family<prometheus::Counter>& closed_family_;
  prometheus::Family<prometheus::Histogram>& response_family_;
  prometheus::Family<prometheus::Gauge>& objective_current_family_;
  prometheus::Family<prometheus::Gauge>& objective_ratio_family_;
  prometheus::Family<prometheus::Gauge>& impressions_family_;
  prometheus::Family<prometheus::Gauge>& interactions_family_;
  prometheus::Family<prometheus::Gauge>& clicks_family_;
  prometheus::Family<prometheus::Gauge>& followers_family_;
  prometheus::Family<prometheus::Counter>& consumed_family_;
  prometheus::Family<prometheus::Counter>& rejected_family_;
  prometheus::Family<prometheus::Gauge>& pending_family_;

  prometheus::Gauge& open_items_;
  prometheus::Counter& closed_total_;
  prometheus::Histogram& response_seconds_;
  prometheus::Counter& rejected_total_;
  prometheus::Gauge& pending_;

  std::mutex mu_;  // guards the handle maps below (the handles are thread-safe)
  std::map<v1::Network, prometheus::Counter*> published_;
  std::map<std::pair<v1::Network, v1::PostState>, prometheus::Counter*> failed_;
  std::map<v1::Network, prometheus::Gauge*> needing_human_;
  std::map<v1::Sentiment, prometheus::Counter*> mentions_;
  std::map<std::string, prometheus::Counter*, std::less<>> consumed_;
  // By (network, spoke): impressions, interactions, clicks; and followers.
  struct EngagementGauges {
    prometheus::Gauge* impressions = nullptr;
    prometheus::Gauge* interactions = nullptr;
    prometheus::Gauge* clicks = nullptr;
  };
  std::map<std::pair<v1::Network, std::string>, EngagementGauges> engagement_;
  std::map<std::pair<v1::Network, std::string>, prometheus::Gauge*> followers_;
  std::map<std::string, std::pair<prometheus::Gauge*, prometheus::Gauge*>, std::less<>> objectives_;
};

}  // namespace carecast::metrics
