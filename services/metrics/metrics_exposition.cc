#include "services/metrics/metrics_exposition.h"

#include <prometheus/histogram.h>

#include "services/metrics/figure_labels.h"

namespace carecast::metrics {
namespace {

// Response-time buckets around the inbox SLAs: minutes for urgent items, hours
// for normal ones, days for the tail.
prometheus::Histogram::BucketBoundaries ResponseBuckets() {
  return {60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800};
}

common::SeriesLabels PlaceLabels(v1::Network network, const std::string& spoke) {
  std::string id = spoke.starts_with("spokes/") ? spoke.substr(7) : spoke;
  if (id.empty()) id = "none";
  return {{"network", NetworkLabel(network)}, {"spoke", id}};
}

}  // namespace

MetricsExposition::MetricsExposition(prometheus::Registry& registry, common::SeriesTable& series)
    : published_family_(
          series.AddCounter("carecast_posts_published_total", "Posts published, per network.")),
      failed_family_(
          series.AddCounter("carecast_posts_failed_total",
                            "Posts that failed or need a human, per network and state.")),
      needing_human_family_(series.AddGauge("carecast_posts_needing_human",
                                            "Posts whose outcome is unknown (NEEDS_HUMAN) and that "
                                            "no one has resolved since (published, scheduled "
                                            "again or cancelled), per network.")),
      mentions_family_(
          series.AddCounter("carecast_mentions_total", "Classified mentions, per sentiment.")),
      open_family_(
          series.AddGauge("carecast_inbox_open_items", "Inbox items created and not yet closed.")),
      closed_family_(series.AddCounter("carecast_inbox_closed_total", "Inbox items closed.")),
      response_family_(prometheus::BuildHistogram()
                           .Name("carecast_inbox_response_seconds")
                           .Help("Time from an inbox item's creation to its close.")
                           .Register(registry)),
      objective_current_family_(series.AddGauge(
          "carecast_objective_current", "An objective's KPI value over its window and scope.")),
      objective_ratio_family_(
          series.AddGauge("carecast_objective_progress_ratio",
                          "An objective's current value divided by its target.")),
      impressions_family_(series.AddGauge("carecast_post_impressions",
                                          "Impressions of the posts, from each post's latest "
                                          "engagement reading, per network and spoke.")),
      interactions_family_(series.AddGauge("carecast_post_interactions",
                                           "Likes, shares, replies and link clicks of the posts "
                                           "(each where the network reports it), from each post's "
                                           "latest engagement reading, per network and spoke.")),
      clicks_family_(series.AddGauge("carecast_link_clicks",
                                     "Link clicks on the posts, from each post's latest engagement "
                                     "reading, per network and spoke.")),
      followers_family_(series.AddGauge("carecast_account_followers",
                                        "Followers of the accounts (each account's latest count), "
                                        "per network and spoke.")),
      consumed_family_(series.AddCounter("carecast_metrics_events_consumed_total",
                                         "Events consumed from the events stream, per domain.")),
      rejected_family_(
          series.AddCounter("carecast_metrics_events_rejected_total",
                            "Events rejected because their payload could not be decoded.")),
      pending_family_(series.AddGauge("carecast_metrics_consumer_pending",
                                      "Events the metrics consumer has yet to process.")),
      open_items_(open_family_.Add({})),
      closed_total_(closed_family_.Add({})),
      response_seconds_(response_family_.Add({}, ResponseBuckets())),
      rejected_total_(rejected_family_.Add({})),
      pending_(pending_family_.Add({})) {
  // Every known label value exists from the start, so a rate() over a series that
  // has not moved yet reads 0 instead of being absent.
  const auto* networks = v1::Network_descriptor();
  const auto* sentiments = v1::Sentiment_descriptor();
  for (int i = 0; i < networks->value_count(); ++i) {
    auto network = static_cast<v1::Network>(networks->value(i)->number());
    Published(network);
    Failed(network, v1::POST_STATE_FAILED);
    Failed(network, v1::POST_STATE_NEEDS_HUMAN);
    NeedingHuman(network);
  }
  for (int i = 0; i < sentiments->value_count(); ++i)
    Mentions(static_cast<v1::Sentiment>(sentiments->value(i)->number()));
  for (const std::string& domain : DomainLabels())
    consumed_[domain] = &consumed_family_.Add({{"domain", domain}});
}

common::Series& MetricsExposition::Published(v1::Network network) {
  std::lock_guard lock(mu_);
  auto& slot = published_[network];
  if (slot == nullptr) slot = &published_family_.Add({{"network", NetworkLabel(network)}});
  return *slot;
}

common::Series& MetricsExposition::Failed(v1::Network network, v1::PostState state) {
  std::lock_guard lock(mu_);
  auto& slot = failed_[{network, state}];
  if (slot == nullptr)
    slot =
        &failed_family_.Add({{"network", NetworkLabel(network)}, {"state", PostStateLabel(state)}});
  return *slot;
}

common::Series& MetricsExposition::Mentions(v1::Sentiment sentiment) {
  std::lock_guard lock(mu_);
  auto& slot = mentions_[sentiment];
  if (slot == nullptr) slot = &mentions_family_.Add({{"sentiment", SentimentLabel(sentiment)}});
  return *slot;
}

common::Series& MetricsExposition::NeedingHuman(v1::Network network) {
  std::lock_guard lock(mu_);
  auto& slot = needing_human_[network];
  if (slot == nullptr) slot = &needing_human_family_.Add({{"network", NetworkLabel(network)}});
  return *slot;
}

void MetricsExposition::PostPublished(v1::Network network) { Published(network).Increment(); }

void MetricsExposition::PostFailed(v1::Network network, v1::PostState state) {
  Failed(network, state).Increment();
}

void MetricsExposition::NeedsHumanChanged(v1::Network network, int64_t posts) {
  NeedingHuman(network).Set(static_cast<double>(posts));
}

void MetricsExposition::MentionClassified(v1::Sentiment sentiment) {
  Mentions(sentiment).Increment();
}

void MetricsExposition::InboxOpenChanged(int64_t open_items) {
  open_items_.Set(static_cast<double>(open_items));
}

void MetricsExposition::InboxClosed(std::optional<absl::Duration> response_time) {
  closed_total_.Increment();
  if (response_time) response_seconds_.Observe(absl::ToDoubleSeconds(*response_time));
}

void MetricsExposition::ObjectiveChanged(const ObjectiveFigure& figure) {
  if (!figure.measured) return;  // no series for a KPI we cannot compute
  std::pair<common::Series*, common::Series*> gauges;
  {
    std::lock_guard lock(mu_);
    auto& slot = objectives_[figure.name];
    if (slot.first == nullptr) {
      common::SeriesLabels labels = {{"objective", figure.id}, {"kpi", KpiLabel(figure.kpi)}};
      slot.first = &objective_current_family_.Add(labels);
      slot.second = &objective_ratio_family_.Add(labels);
    }
    gauges = slot;
  }
  gauges.first->Set(figure.current);
  gauges.second->Set(figure.ratio);
}

void MetricsExposition::EngagementChanged(v1::Network network, const std::string& spoke,
                                          const EngagementContribution& totals) {
  EngagementGauges gauges;
  {
    std::lock_guard lock(mu_);
    EngagementGauges& slot = engagement_[{network, spoke}];
    if (slot.impressions == nullptr) {
      const common::SeriesLabels labels = PlaceLabels(network, spoke);
      slot.impressions = &impressions_family_.Add(labels);
      slot.interactions = &interactions_family_.Add(labels);
      slot.clicks = &clicks_family_.Add(labels);
    }
    gauges = slot;
  }
  gauges.impressions->Set(static_cast<double>(totals.impressions));
  gauges.interactions->Set(static_cast<double>(totals.interactions));
  gauges.clicks->Set(static_cast<double>(totals.clicks));
}

void MetricsExposition::FollowersChanged(v1::Network network, const std::string& spoke,
                                         int64_t followers) {
  common::Series* gauge;
  {
    std::lock_guard lock(mu_);
    common::Series*& slot = followers_[{network, spoke}];
    if (slot == nullptr) slot = &followers_family_.Add(PlaceLabels(network, spoke));
    gauge = slot;
  }
  gauge->Set(static_cast<double>(followers));
}

void MetricsExposition::EventConsumed(std::string_view subject) {
  common::Series* counter;
  {
    std::lock_guard lock(mu_);
    counter = consumed_.at(DomainLabel(subject));  // DomainLabel returns only DomainLabels()
  }
  counter->Increment();
}

void MetricsExposition::EventRejected() { rejected_total_.Increment(); }

void MetricsExposition::SetConsumerPending(int64_t pending) {
  pending_.Set(static_cast<double>(pending));
}

}  // namespace carecast::metrics
