#include "services/publisher/publisher_metrics.h"

#include <string>

#include "services/publisher/channels/channel.h"

namespace carecast::publisher {
namespace {

// Every reason_kind Failed() is called with: the channel error kinds (retryable
// and rate-limited ones once the attempts run out) plus those the dispatcher
// and the reconciler decide themselves.
constexpr std::string_view kFailureReasonKinds[] = {
    "retryable",  "rate_limited",    "auth_expired", "permanent",  "outcome_unknown",
    "no_channel", "content_changed", "consent",      "crash_loop", "missed_slot"};

constexpr std::string_view kReconcileResults[] = {"found", "found_thread_part", "absent_resend",
                                                  "absent_nothing_sent", "needs_human"};

// How a person resolved a NEEDS_HUMAN post through PublisherService.
constexpr std::string_view kNeedsHumanResolutions[] = {"confirmed_published",
                                                       "confirmed_not_published"};

// What an automatic takedown run did (Takedown()).
constexpr std::string_view kTakedownResults[] = {"removed", "already_gone", "not_on_network",
                                                 "retry", "left_for_person"};

}  // namespace

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
                    .Help("Seconds between a post's publish_time and its recorded publication, "
                          "per network.")
                    .Register(registry)),
      dispatch_steps_(prometheus::BuildHistogram()
                          .Name("carecast_publisher_dispatch_step_seconds")
                          .Help("Wall time of each step of a dispatch: check, claim, channel, "
                                "record.")
                          .Register(registry)),
      claims_lost_(prometheus::BuildCounter()
                       .Name("carecast_publisher_claims_lost_total")
                       .Help("Claims another publisher won (compare-and-set lost).")
                       .Register(registry)
                       .Add({})),
      rate_limited_(prometheus::BuildCounter()
                        .Name("carecast_publisher_rate_limited_total")
                        .Help("Posts made to wait for a network's rate budget, per network.")
                        .Register(registry)),
      reconciled_(prometheus::BuildCounter()
                      .Name("carecast_publisher_reconciliations_total")
                      .Help("Reconciliations with a network after an unknown outcome or an "
                            "abandoned claim, per network and result.")
                      .Register(registry)),
      needs_human_resolved_(prometheus::BuildCounter()
                                .Name("carecast_publisher_needs_human_resolved_total")
                                .Help("NEEDS_HUMAN posts a person resolved through the "
                                      "publisher, per network and resolution.")
                                .Register(registry)),
      takedowns_(prometheus::BuildCounter()
                     .Name("carecast_publisher_takedowns_total")
                     .Help("Automatic takedown runs after a revoked patient authorization, per "
                           "network and result.")
                     .Register(registry)),
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
                    .Add({})),
      index_repairs_(registry, {"publisher_due"}) {
  for (std::string_view step : {"check", "claim", "channel", "record"}) StepHistogram(step);
  // Every known network and reason kind exists from the start, so the failure
  // rate reads 0 (not absent) before the first failure.
  for (int n = carecast::v1::Network_MIN; n <= carecast::v1::Network_MAX; ++n) {
    if (!carecast::v1::Network_IsValid(n)) continue;
    const std::string network(NetworkLabel(static_cast<carecast::v1::Network>(n)));
    for (std::string_view kind : kFailureReasonKinds) {
      failed_.Add({{"network", network}, {"reason_kind", std::string(kind)}});
    }
    rate_limited_.Add({{"network", network}});
    Lateness(network);
    for (std::string_view result : kReconcileResults)
      reconciled_.Add({{"network", network}, {"result", std::string(result)}});
    for (std::string_view resolution : kNeedsHumanResolutions)
      needs_human_resolved_.Add({{"network", network}, {"resolution", std::string(resolution)}});
    for (std::string_view result : kTakedownResults)
      takedowns_.Add({{"network", network}, {"result", std::string(result)}});
  }
}

void PublisherMetrics::Published(std::string_view network, absl::Duration lateness) {
  published_.Add({{"network", std::string(network)}}).Increment();
  // Early publication is not expected; clamp so the histogram stays meaningful.
  Lateness(network).Observe(std::max(0.0, absl::ToDoubleSeconds(lateness)));
}

prometheus::Histogram& PublisherMetrics::Lateness(std::string_view network) {
  // From a millisecond (what dispatch on the dot aims at) to a minute (a
  // network's rate limit).
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return lateness_.Add({{"network", std::string(network)}}, kBuckets);
}

void PublisherMetrics::DispatchStep(std::string_view step, absl::Duration took) {
  StepHistogram(step).Observe(std::max(0.0, absl::ToDoubleSeconds(took)));
}

prometheus::Histogram& PublisherMetrics::StepHistogram(std::string_view step) {
  // From 100 us (one KV round trip) to 10 s (a slow network call).
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
  return dispatch_steps_.Add({{"step", std::string(step)}}, kBuckets);
}

void PublisherMetrics::Failed(std::string_view network, std::string_view reason_kind) {
  failed_.Add({{"network", std::string(network)}, {"reason_kind", std::string(reason_kind)}})
      .Increment();
}

void PublisherMetrics::ClaimLost() { claims_lost_.Increment(); }
void PublisherMetrics::RateLimited(std::string_view network) {
  rate_limited_.Add({{"network", std::string(network)}}).Increment();
}
void PublisherMetrics::Reconciled(std::string_view network, std::string_view result) {
  reconciled_.Add({{"network", std::string(network)}, {"result", std::string(result)}}).Increment();
}
void PublisherMetrics::NeedsHumanResolved(std::string_view network, std::string_view resolution) {
  needs_human_resolved_
      .Add({{"network", std::string(network)}, {"resolution", std::string(resolution)}})
      .Increment();
}
void PublisherMetrics::Takedown(std::string_view network, std::string_view result) {
  takedowns_.Add({{"network", std::string(network)}, {"result", std::string(result)}}).Increment();
}
void PublisherMetrics::SetHeld(bool held) { held_.Set(held ? 1 : 0); }
void PublisherMetrics::SetDuePosts(double count) { due_posts_.Set(count); }
void PublisherMetrics::IndexRebuilt() { rebuilds_.Increment(); }

}  // namespace carecast::publisher
