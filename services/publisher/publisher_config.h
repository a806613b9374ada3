// The publisher's settings, read from environment variables at start. Every
// field lists its variable and default; a bad value fails the start.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/env_config.h"
#include "services/common/networks/channel_settings.h"
#include "services/publisher/engagement_schedule.h"

namespace carecast::publisher {

struct PublisherConfig {
  // CARECAST_GRPC_PORT (50052), CARECAST_HTTP_PORT (9102), NATS, Redis, JWT, ...
  common::CommonConfig common;
  // CARECAST_PUBLISHER_ID: names this process in claims and deliveries
  // (default "<hostname>-<pid>"); [A-Za-z0-9._-], at most 64 characters.
  std::string publisher_id;
  // CARECAST_SANDBOX_DIR: where the sandbox channel records deliveries
  // (default ./.run/sandbox). Publishers that share it dedupe against each other.
  std::string sandbox_dir = "./.run/sandbox";
  // CARECAST_PUBLISHER_POLL_INTERVAL: the longest the dispatch loop sleeps
  // (100ms); it wakes earlier for the earliest due post.
  absl::Duration poll_interval = absl::Milliseconds(100);
  // CARECAST_PUBLISHER_DISPATCH_CONCURRENCY: due posts dispatched at once (8, 1..256).
  int dispatch_concurrency = 8;
  // CARECAST_PUBLISHER_LOOKAHEAD: how far ahead of its due time a post is read,
  // checked and claimed, so that at the due time only the last checks and the
  // channel call remain (500ms, or a tenth of the claim lease when that is
  // shorter; 0 turns it off; at most a tenth of the lease).
  absl::Duration lookahead = absl::Milliseconds(500);
  // CARECAST_PUBLISHER_CLAIM_LEASE: after this long in PUBLISHING a claim counts
  // as abandoned and is reconciled (60s). Must exceed every channel's call deadline.
  absl::Duration claim_lease = absl::Seconds(60);
  // CARECAST_PUBLISHER_MAX_CLOCK_SKEW: how far this clock may be off the Redis
  // server's before the publisher stops claiming posts (2s, or half the claim
  // lease when that is shorter; 0 turns the check off; at most half the lease).
  // See clock_check.h.
  absl::Duration max_clock_skew = absl::Seconds(2);
  // CARECAST_PUBLISHER_MAX_ATTEMPTS: claims per post before a retryable error
  // becomes FAILED (5).
  int max_attempts = 5;
  // CARECAST_PUBLISHER_RETRY_BACKOFF: wait after the first retryable failure,
  // doubled per attempt (2s), capped by CARECAST_PUBLISHER_MAX_RETRY_BACKOFF (5m).
  absl::Duration retry_backoff = absl::Seconds(2);
  absl::Duration max_retry_backoff = absl::Minutes(5);
  // CARECAST_CHANNEL_SECRETS_DIR: the channel token files (one JSON file per
  // account, see channels/token_expiry_watcher.h); empty (the default) turns the
  // token expiry watcher off.
  std::string channel_secrets_dir;
  // CARECAST_CHANNEL_TOKEN_SCAN_INTERVAL: how often that directory is re-read
  // (60s; 1s..24h).
  absl::Duration channel_token_scan_interval = absl::Seconds(60);
  // CARECAST_CHANNEL_<NET>_BASE_URL / _TIMEOUT: the networks this deployment
  // publishes to besides the sandbox (channel_settings.h). A configured network
  // needs CARECAST_CHANNEL_SECRETS_DIR for its accounts' credentials.
  common::networks::ChannelSettings channels;
  // CARECAST_CHANNEL_TOKEN_SEALING_KEY_FILE: a 32-byte key (raw, or 64 hex
  // characters) that seals refreshed OAuth tokens in the carecast_channel_tokens
  // bucket (docs/channels.md, "Credentials"). Required when a network adapter is
  // configured.
  std::string channel_token_sealing_key_file;
  // CARECAST_DUE_SWEEP_PERIOD: how often the posts bucket is scanned for posts due
  // within CARECAST_DUE_SWEEP_HORIZON that the due index lacks (10s; 1s..1h).
  // CARECAST_DUE_SWEEP_HORIZON (60s) must be at least the period. The whole index
  // is reconciled every CARECAST_INDEX_RECONCILE_PERIOD (common.index_reconcile_period).
  absl::Duration due_sweep_period = absl::Seconds(10);
  absl::Duration due_sweep_horizon = absl::Seconds(60);
  // CARECAST_PUBLISHER_AUTO_TAKEDOWN (true): remove the posts of a revoked
  // patient authorization through the networks' delete as soon as the planner
  // raises their takedown tasks (takedowns.h). On by default: a health system
  // wants a post gone as fast as possible once consent is withdrawn; where a
  // person must remove each post themselves, set it to false.
  bool auto_takedown = true;
  // CARECAST_PUBLISHER_TAKEDOWN_RETRY_BACKOFF (2s), doubled per failed try of a
  // task, capped by CARECAST_PUBLISHER_TAKEDOWN_MAX_RETRY_BACKOFF (5m); a
  // network's own Retry-After wins when longer.
  absl::Duration takedown_retry_backoff = absl::Seconds(2);
  absl::Duration takedown_max_retry_backoff = absl::Minutes(5);
  // The engagement collector (engagement_collector.h, docs/measurement.md):
  // CARECAST_ENGAGEMENT_TICK (30s; 0 turns it off; at most 1h) between ticks;
  // CARECAST_ENGAGEMENT_SCHEDULE ("1h:10m,24h:1h,7d:6h,28d:24h": a post younger
  // than each age is read every interval, and not after the last age);
  // CARECAST_ENGAGEMENT_ACCOUNT_READS_PER_HOUR (120, 1..100000) per account and
  // replica; CARECAST_FOLLOWERS_INTERVAL (6h; 1m..7d) between follower readings.
  absl::Duration engagement_tick = absl::Seconds(30);
  EngagementSchedule engagement_schedule;
  int engagement_account_reads_per_hour = 120;
  absl::Duration followers_interval = absl::Hours(6);
};

// Reads and validates; INVALID_ARGUMENT listing every problem.
absl::StatusOr<PublisherConfig> ReadPublisherConfig(const common::EnvSource& env);

// "<hostname>-<pid>", the default publisher id.
std::string DefaultPublisherId();

}  // namespace carecast::publisher
