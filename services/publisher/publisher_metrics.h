// The publisher's Prometheus series. Labels carry networks and reason kinds,
// never ids. Thread-safe; `registry` must outlive it.
#pragma once

#include <string_view>

#include "absl/time/time.h"
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "services/common/redis/index_repair_metrics.h"

namespace carecast::publisher {

class PublisherMetrics {
 public:
  explicit PublisherMetrics(prometheus::Registry& registry);

  // carecast_publisher_posts_published_total{network} and
  // carecast_publisher_publish_lateness_seconds{network} (published_time - publish_time).
  void Published(std::string_view network, absl::Duration lateness);
  // carecast_publisher_posts_failed_total{network,reason_kind} (FAILED and NEEDS_HUMAN);
  // every network and known reason kind exists at zero from construction.
  void Failed(std::string_view network, std::string_view reason_kind);
  // carecast_publisher_claims_lost_total.
  void ClaimLost();
  // carecast_publisher_rate_limited_total{network}: posts made to wait because a
  // network's budget was spent (they are rescheduled, never failed).
  void RateLimited(std::string_view network);
  // carecast_publisher_reconciliations_total{network,result}: what looking a post
  // up at the network after an unknown outcome or an abandoned claim concluded:
  // "found", "absent_resend" (safe to send again), "absent_nothing_sent",
  // "needs_human".
  void Reconciled(std::string_view network, std::string_view result);
  // carecast_publisher_needs_human_resolved_total{network,resolution}: NEEDS_HUMAN
  // posts a person resolved here, `resolution` "confirmed_published" or
  // "confirmed_not_published" (cancellations are the planner's:
  // carecast_planner_posts_total{event="cancelled_needs_human"}).
  void NeedsHumanResolved(std::string_view network, std::string_view resolution);
  // carecast_publisher_dispatch_step_seconds{step}: wall time of one step of a
  // dispatch, "check" (read the post, its content and the hold), "claim" (the
  // claim, the checks after it and the send mark), "channel" (the network
  // call), "record" (the outcome write with its events).
  void DispatchStep(std::string_view step, absl::Duration took);
  // carecast_publisher_takedowns_total{network,result}: what one automatic
  // takedown run did (takedowns.h): "removed", "already_gone" (the network had
  // it no longer), "not_on_network" (never sent, or the network does not have
  // it), "retry" (rate limited or retryable: tried again later),
  // "left_for_person" (expired token, refusal, no delete, cannot tell).
  void Takedown(std::string_view network, std::string_view result);
  // carecast_publisher_held (0/1).
  void SetHeld(bool held);
  // carecast_publisher_due_posts: members of the due index.
  void SetDuePosts(double count);
  // carecast_publisher_index_rebuilds_total.
  void IndexRebuilt();
  // carecast_index_repairs_total{index="publisher_due",kind}: what reconciling the
  // due index with the posts bucket repaired.
  common::IndexRepairObserver& index_repairs() { return index_repairs_; }

 private:
  prometheus::Family<prometheus::Counter>& published_;
  prometheus::Family<prometheus::Counter>& failed_;
  prometheus::Histogram& Lateness(std::string_view network);
  prometheus::Histogram& StepHistogram(std::string_view step);

  prometheus::Family<prometheus::Histogram>& lateness_;
  prometheus::Family<prometheus::Histogram>& dispatch_steps_;
  prometheus::Counter& claims_lost_;
  prometheus::Family<prometheus::Counter>& rate_limited_;
  prometheus::Family<prometheus::Counter>& reconciled_;
  prometheus::Family<prometheus::Counter>& needs_human_resolved_;
  prometheus::Family<prometheus::Counter>& takedowns_;
  prometheus::Gauge& held_;
  prometheus::Gauge& due_posts_;
  prometheus::Counter& rebuilds_;
  common::IndexRepairMetrics index_repairs_;
};

}  // namespace carecast::publisher
