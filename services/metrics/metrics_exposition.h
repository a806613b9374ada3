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
// Every family but the histogram lives in a common::SeriesTable, whose text is
// written from pre-rendered label prefixes (a 100,000-series scrape in about 14
// ms instead of stock Collect's 70 ms; bench/metrics/README.md).
// Thread-safe; the registry and the table must outlive this object.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "services/common/rpc/series_table.h"
#include "services/metrics/program_figures.h"

namespace carecast::metrics {

class MetricsExposition final : public FiguresObserver {
 public:
  // The histogram goes to `registry`, every other family to `series`; both must
  // outlive this object.
  MetricsExposition(prometheus::Registry& registry, common::SeriesTable& series);

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
  common::Series& Published(v1::Network network);
  common::Series& Failed(v1::Network network, v1::PostState state);
  common::Series& Mentions(v1::Sentiment sentiment);
  common::Series& NeedingHuman(v1::Network network);

  common::SeriesFamily& published_family_;
  common::SeriesFamily& failed_family_;
  common::SeriesFamily& needing_human_family_;
  common::SeriesFamily& mentions_family_;
  common::SeriesFamily& open_family_;
  common::SeriesFamily& closed_family_;
  prometheus::Family<prometheus::Histogram>& response_family_;
  common::SeriesFamily& objective_current_family_;
  common::SeriesFamily& objective_ratio_family_;
  common::SeriesFamily& impressions_family_;
  common::SeriesFamily& interactions_family_;
  common::SeriesFamily& clicks_family_;
  common::SeriesFamily& followers_family_;
  common::SeriesFamily& consumed_family_;
  common::SeriesFamily& rejected_family_;
  common::SeriesFamily& pending_family_;

  common::Series& open_items_;
  common::Series& closed_total_;
  prometheus::Histogram& response_seconds_;
  common::Series& rejected_total_;
  common::Series& pending_;

  std::mutex mu_;  // guards the handle maps below (the handles are thread-safe)
  std::map<v1::Network, common::Series*> published_;
  std::map<std::pair<v1::Network, v1::PostState>, common::Series*> failed_;
  std::map<v1::Network, common::Series*> needing_human_;
  std::map<v1::Sentiment, common::Series*> mentions_;
  absl::flat_hash_map<std::string, common::Series*> consumed_;
  // By (network, spoke): impressions, interactions, clicks; and followers.
  struct EngagementGauges {
    common::Series* impressions = nullptr;
    common::Series* interactions = nullptr;
    common::Series* clicks = nullptr;
  };
  absl::flat_hash_map<std::pair<v1::Network, std::string>, EngagementGauges> engagement_;
  absl::flat_hash_map<std::pair<v1::Network, std::string>, common::Series*> followers_;
  absl::flat_hash_map<std::string, std::pair<common::Series*, common::Series*>> objectives_;
};

}  // namespace carecast::metrics
