// The listener's configuration: the shared settings plus its own. Every field
// names its environment variable and default.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/env_config.h"
#include "services/common/store/outbox_relay.h"
#include "services/listener/inbox_rules.h"

namespace carecast::listener {

// Limits and rules of the core, also used by tests without the environment.
struct ListenerOptions {
  // CARECAST_TRACKED_KEYWORDS: comma-separated brand, campaign and hashtag terms,
  // matched case-insensitively as whole words. Default: none.
  std::vector<std::string> tracked_keywords;
  // CARECAST_LISTENER_MAX_TEXT_BYTES: the longest mention or analysed text, in
  // bytes of UTF-8 (1..65536). Default 8192.
  size_t max_text_bytes = 8192;
  // First-response target per priority, counted from the mention's arrival in
  // the business hours of the item's spoke: CARECAST_INBOX_SLA, e.g.
  // "urgent=15m,high=4bh,normal=1bd,low=3bd" (the default; "15m" is around the
  // clock, "bh" business hours, "bd" business days). The older
  // CARECAST_LISTENER_SLA_URGENT / _HIGH / _NORMAL / _LOW (durations, around the
  // clock) still override their priority when set.
  SlaTargets sla;
  // CARECAST_INBOX_BUSINESS_HOURS: "default=<zone> <days> <HH:MM>-<HH:MM>;
  // spokes/<spoke>=..." (inbox_rules.h). Default: UTC Mon-Fri 09:00-17:00 for
  // the organisation and every spoke.
  BusinessCalendar business_hours;
  // CARECAST_INBOX_TOPIC_ROUTES: "topic:<topic>=spokes/<spoke>,..." for items
  // whose mention names no account. Default: none (such items stay with the hub).
  std::vector<TopicRoute> topic_routes;
  // How often open items are checked against their due time (breaches counted,
  // the overdue gauge set): CARECAST_INBOX_SLA_CHECK_PERIOD, default 60s.
  absl::Duration sla_check_period = absl::Seconds(60);
  // How often the inbox indexes are reconciled with the inbox bucket after
  // Start(): CARECAST_INDEX_RECONCILE_PERIOD (common, 60s).
  absl::Duration index_reconcile_period = absl::Seconds(60);
  // Replicas of the buckets the listener opens: CARECAST_STREAM_REPLICAS (common, 1).
  int stream_replicas = 1;
  // How often the outbox relay looks for writes left owing events, and how old
  // they must be: CARECAST_OUTBOX_RELAY_PERIOD / _GRACE (common, 5s / 2s).
  common::OutboxRelayOptions relay;
};

struct ListenerConfig {
  // Service "listener", gRPC port 50053, HTTP port 9103 (webhook, /metrics).
  common::CommonConfig common;
  ListenerOptions options;
  // CARECAST_LISTENER_META_APP_SECRET_FILE and CARECAST_LISTENER_META_VERIFY_TOKEN_FILE:
  // the Meta app's secret (keys X-Hub-Signature-256) and the verify token of the
  // webhook subscription. Both or neither; with them /webhooks/meta is served.
  std::string meta_app_secret_file;
  std::string meta_verify_token_file;
  // CARECAST_LISTENER_INSTAGRAM_TOKEN_FILE: a token of the Instagram account
  // (instagram_manage_comments) with which the Meta webhook reads the text of
  // an Instagram mention (the delivery carries ids only). Unset: Instagram
  // mentions are ignored. CARECAST_LISTENER_GRAPH_URL: the Graph API's base
  // URL with its version (default https://graph.facebook.com/v21.0).
  std::string instagram_token_file;
  std::string graph_url;
  // CARECAST_LISTENER_WEBHOOK_SECRET_FILE: when set, POST /v1/mentions also
  // requires X-CareCast-Signature ("sha256=" + hex HMAC-SHA256 of the raw body
  // with this secret) besides the bearer token.
  std::string webhook_secret_file;
  // CARECAST_LISTENER_SOURCES_FILE: the JSON file of the mention sources to
  // read (sources_config.h: Mastodon notifications, X recent search, Bluesky
  // Jetstream). Empty: none.
  std::string sources_file;
};

// Reads and validates everything; INVALID_ARGUMENT lists every problem.
absl::StatusOr<ListenerConfig> ReadListenerConfig(const common::EnvSource& env);

}  // namespace carecast::listener
