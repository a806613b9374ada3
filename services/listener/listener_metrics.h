// The listener's own Prometheus series. Labels are bounded sets (network,
// source, reason, priority, outcome); never ids, handles or text.
//   carecast_listener_mentions_received_total{network,source="grpc|webhook"}
//   carecast_listener_mentions_rejected_total{reason} (every known reason from the start)
//   carecast_listener_inbox_items_created_total{priority}
//   carecast_listener_classify_seconds (histogram)
//   carecast_listener_webhook_requests_total{outcome}
//   carecast_listener_meta_webhook_requests_total{outcome}
//   carecast_inbox_sla_breaches_total{priority} (each item counted once, by the
//     replica whose write recorded the breach)
//   carecast_inbox_sla_overdue{priority} (gauge: items past due without a first
//     response, as of the last SLA check)
//   carecast_listener_replies_total{outcome="refused|awaiting_approval|approved|
//     sent|failed|needs_human"} (docs/replies.md; each reply counted once per
//     outcome, by the replica whose write recorded it)
//   carecast_listener_source_fetches_total{source,outcome="ok|rate_limited|
//     unavailable|unauthenticated|refused|malformed|intake_unavailable|
//     store_unavailable|lease_lost"} (source_poller.h; source is the configured name)
//   carecast_listener_source_last_success_timestamp_seconds{source} (gauge:
//     the last page this replica read and stored the cursor of)
#pragma once

#include <string_view>

#include "absl/time/time.h"
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "services/common/redis/index_repair_metrics.h"

namespace carecast::listener {

// Thread-safe (prometheus-cpp metrics are). The registry must outlive it.
class ListenerMetrics {
 public:
  explicit ListenerMetrics(prometheus::Registry& registry);

  void MentionReceived(std::string_view network, std::string_view source);
  void MentionRejected(std::string_view reason);
  void InboxItemCreated(std::string_view priority);
  void Classified(absl::Duration elapsed);
  void WebhookRequest(std::string_view outcome);
  // A delivery to the Meta webhook (meta_webhook.h), by outcome.
  void MetaWebhookRequest(std::string_view outcome);
  // An inbox item's first-response SLA was breached (recorded once per item).
  void SlaBreached(std::string_view priority);
  // Items of `priority` now past due without a first response.
  void SetSlaOverdue(std::string_view priority, double count);
  // A reply reached `outcome` (a draft the guard refused counts as "refused").
  void Reply(std::string_view outcome);
  // A mention source's read (source_poller.h) came to `outcome`.
  void SourceFetch(std::string_view source, std::string_view outcome);
  // A page of `source` was read and its cursor stored at `when`.
  void SourceSucceeded(std::string_view source, absl::Time when);
  // Every series of `source` from the start (0 and never-succeeded).
  void AddSource(std::string_view source);

  // carecast_index_repairs_total{index="inbox_open"|"inbox_closed",kind}: what
  // reconciling the inbox indexes with the inbox bucket repaired.
  common::IndexRepairObserver& index_repairs() { return index_repairs_; }

  // Current values, for tests.
  double ReceivedCount(std::string_view network, std::string_view source);
  double RejectedCount(std::string_view reason);
  double InboxCreatedCount(std::string_view priority);
  double WebhookCount(std::string_view outcome);
  double MetaWebhookCount(std::string_view outcome);
  double SlaBreachCount(std::string_view priority);
  double SlaOverdue(std::string_view priority);
  double ReplyCount(std::string_view outcome);
  double SourceFetchCount(std::string_view source, std::string_view outcome);
  double SourceLastSuccess(std::string_view source);

 private:
  prometheus::Family<prometheus::Counter>& received_;
  prometheus::Family<prometheus::Counter>& rejected_;
  prometheus::Family<prometheus::Counter>& replies_;
  prometheus::Family<prometheus::Counter>& inbox_created_;
  prometheus::Family<prometheus::Histogram>& classify_seconds_;
  prometheus::Histogram& classify_;
  prometheus::Family<prometheus::Counter>& webhook_;
  prometheus::Family<prometheus::Counter>& meta_webhook_;
  prometheus::Family<prometheus::Counter>& sla_breaches_;
  prometheus::Family<prometheus::Gauge>& sla_overdue_;
  prometheus::Family<prometheus::Counter>& source_fetches_;
  prometheus::Family<prometheus::Gauge>& source_last_success_;
  common::IndexRepairMetrics index_repairs_;
};

}  // namespace carecast::listener
