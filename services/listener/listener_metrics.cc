#include "services/listener/listener_metrics.h"

#include <string>

namespace carecast::listener {
namespace {

// The fixed reasons ValidateMention and ParseWebhookMention report
// (mention_validation.h, webhook_json.h).
constexpr std::string_view kRejectionReasons[] = {
    "network",    "external_id",     "author_handle",  "text_empty",    "text_utf8",
    "text_size",  "create_time",     "malformed_json", "missing_field", "unknown_field",
    "field_type", "unknown_network", "account"};

// What a request to the Meta webhook came to (meta_webhook.h); a forged
// signature reads 0 rather than absent before the first one.
constexpr std::string_view kMetaWebhookOutcomes[] = {
    "verified", "verify_refused", "accepted",    "missing_signature",
    "forged",   "bad_request",    "unavailable", "error"};

// What a reply came to (replies.h); each series reads 0 from the start.
constexpr std::string_view kReplyOutcomes[] = {"refused", "awaiting_approval", "approved", "sent",
                                               "failed",  "needs_human"};

// What a mention source's read came to (source_poller.h).
constexpr std::string_view kSourceFetchOutcomes[] = {
    "ok",        "rate_limited",       "unavailable",       "unauthenticated", "refused",
    "malformed", "intake_unavailable", "store_unavailable", "lease_lost"};

// Every priority an inbox item can have; its SLA series read 0 from the start.
constexpr std::string_view kPriorities[] = {"urgent", "high", "normal", "low"};

}  // namespace

ListenerMetrics::ListenerMetrics(prometheus::Registry& registry)
    : received_(prometheus::BuildCounter()
                    .Name("carecast_listener_mentions_received_total")
                    .Help("Mentions accepted (new or repeated), by network and source.")
                    .Register(registry)),
      rejected_(prometheus::BuildCounter()
                    .Name("carecast_listener_mentions_rejected_total")
                    .Help("Mentions refused as invalid input, by reason.")
                    .Register(registry)),
      replies_(prometheus::BuildCounter()
                   .Name("carecast_listener_replies_total")
                   .Help("Responders' replies by outcome: refused by the outgoing guard, "
                         "awaiting approval, approved (handed to the publisher), sent, failed, "
                         "needs a human.")
                   .Register(registry)),
      inbox_created_(prometheus::BuildCounter()
                         .Name("carecast_listener_inbox_items_created_total")
                         .Help("Inbox items created, by priority.")
                         .Register(registry)),
      classify_seconds_(prometheus::BuildHistogram()
                            .Name("carecast_listener_classify_seconds")
                            .Help("Time spent classifying one mention.")
                            .Register(registry)),
      // Text rules run in microseconds; the upper buckets catch a slow engine.
      classify_(classify_seconds_.Add(
          {}, prometheus::Histogram::BucketBoundaries{0.00001, 0.00005, 0.0001, 0.0005, 0.001,
                                                      0.005, 0.01, 0.05, 0.1, 0.5})),
      webhook_(prometheus::BuildCounter()
                   .Name("carecast_listener_webhook_requests_total")
                   .Help("Webhook requests to POST /v1/mentions, by outcome.")
                   .Register(registry)),
      meta_webhook_(prometheus::BuildCounter()
                        .Name("carecast_listener_meta_webhook_requests_total")
                        .Help("Requests to the Meta webhook (verification and deliveries), by "
                              "outcome.")
                        .Register(registry)),
      sla_breaches_(prometheus::BuildCounter()
                        .Name("carecast_inbox_sla_breaches_total")
                        .Help("Inbox items whose first-response SLA was breached, by priority "
                              "(each item once).")
                        .Register(registry)),
      sla_overdue_(prometheus::BuildGauge()
                       .Name("carecast_inbox_sla_overdue")
                       .Help("Inbox items past their first-response due time without a "
                             "response, by priority, as of the last check.")
                       .Register(registry)),
      source_fetches_(prometheus::BuildCounter()
                          .Name("carecast_listener_source_fetches_total")
                          .Help("Reads of a configured mention source (Mastodon notifications, "
                                "X recent search, Bluesky Jetstream), by outcome.")
                          .Register(registry)),
      source_last_success_(prometheus::BuildGauge()
                               .Name("carecast_listener_source_last_success_timestamp_seconds")
                               .Help("When this replica last read a page of the source and "
                                     "stored its cursor (Unix seconds; 0: never).")
                               .Register(registry)),
      index_repairs_(registry, {"inbox_open", "inbox_closed"}) {
  for (std::string_view priority : kPriorities) {
    sla_breaches_.Add({{"priority", std::string(priority)}});
    sla_overdue_.Add({{"priority", std::string(priority)}});
  }
  // Known reasons read 0 rather than absent until the first rejection.
  for (std::string_view reason : kRejectionReasons)
    rejected_.Add({{"reason", std::string(reason)}});
  for (std::string_view outcome : kMetaWebhookOutcomes)
    meta_webhook_.Add({{"outcome", std::string(outcome)}});
  for (std::string_view outcome : kReplyOutcomes) replies_.Add({{"outcome", std::string(outcome)}});
}

void ListenerMetrics::MentionReceived(std::string_view network, std::string_view source) {
  received_.Add({{"network", std::string(network)}, {"source", std::string(source)}}).Increment();
}

void ListenerMetrics::MentionRejected(std::string_view reason) {
  rejected_.Add({{"reason", std::string(reason)}}).Increment();
}

void ListenerMetrics::InboxItemCreated(std::string_view priority) {
  inbox_created_.Add({{"priority", std::string(priority)}}).Increment();
}

void ListenerMetrics::Classified(absl::Duration elapsed) {
  classify_.Observe(absl::ToDoubleSeconds(elapsed));
}

void ListenerMetrics::WebhookRequest(std::string_view outcome) {
  webhook_.Add({{"outcome", std::string(outcome)}}).Increment();
}

void ListenerMetrics::MetaWebhookRequest(std::string_view outcome) {
  meta_webhook_.Add({{"outcome", std::string(outcome)}}).Increment();
}

void ListenerMetrics::SlaBreached(std::string_view priority) {
  sla_breaches_.Add({{"priority", std::string(priority)}}).Increment();
}

void ListenerMetrics::SetSlaOverdue(std::string_view priority, double count) {
  sla_overdue_.Add({{"priority", std::string(priority)}}).Set(count);
}

double ListenerMetrics::SlaBreachCount(std::string_view priority) {
  return sla_breaches_.Add({{"priority", std::string(priority)}}).Value();
}

double ListenerMetrics::SlaOverdue(std::string_view priority) {
  return sla_overdue_.Add({{"priority", std::string(priority)}}).Value();
}

double ListenerMetrics::MetaWebhookCount(std::string_view outcome) {
  return meta_webhook_.Add({{"outcome", std::string(outcome)}}).Value();
}

double ListenerMetrics::ReceivedCount(std::string_view network, std::string_view source) {
  return received_.Add({{"network", std::string(network)}, {"source", std::string(source)}})
      .Value();
}

double ListenerMetrics::RejectedCount(std::string_view reason) {
  return rejected_.Add({{"reason", std::string(reason)}}).Value();
}

double ListenerMetrics::InboxCreatedCount(std::string_view priority) {
  return inbox_created_.Add({{"priority", std::string(priority)}}).Value();
}

double ListenerMetrics::WebhookCount(std::string_view outcome) {
  return webhook_.Add({{"outcome", std::string(outcome)}}).Value();
}

void ListenerMetrics::Reply(std::string_view outcome) {
  replies_.Add({{"outcome", std::string(outcome)}}).Increment();
}

double ListenerMetrics::ReplyCount(std::string_view outcome) {
  return replies_.Add({{"outcome", std::string(outcome)}}).Value();
}

void ListenerMetrics::AddSource(std::string_view source) {
  for (std::string_view outcome : kSourceFetchOutcomes) {
    source_fetches_.Add({{"source", std::string(source)}, {"outcome", std::string(outcome)}});
  }
  source_last_success_.Add({{"source", std::string(source)}});
}

void ListenerMetrics::SourceFetch(std::string_view source, std::string_view outcome) {
  source_fetches_.Add({{"source", std::string(source)}, {"outcome", std::string(outcome)}})
      .Increment();
}

void ListenerMetrics::SourceSucceeded(std::string_view source, absl::Time when) {
  source_last_success_.Add({{"source", std::string(source)}})
      .Set(absl::ToDoubleSeconds(when - absl::UnixEpoch()));
}

double ListenerMetrics::SourceFetchCount(std::string_view source, std::string_view outcome) {
  return source_fetches_.Add({{"source", std::string(source)}, {"outcome", std::string(outcome)}})
      .Value();
}

double ListenerMetrics::SourceLastSuccess(std::string_view source) {
  return source_last_success_.Add({{"source", std::string(source)}}).Value();
}

}  // namespace carecast::listener
