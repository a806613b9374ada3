#include "services/publisher/publisher_config.h"

#include <unistd.h>

#include <algorithm>
#include <climits>

#include "absl/strings/str_cat.h"

namespace carecast::publisher {
namespace {

bool IsValidPublisherId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void ReadEngagementConfig(common::ConfigReader& reader, PublisherConfig& config) {
  config.engagement_tick = reader.Duration("CARECAST_ENGAGEMENT_TICK", config.engagement_tick);
  if (config.engagement_tick < absl::ZeroDuration() || config.engagement_tick > absl::Hours(1))
    reader.AddError("CARECAST_ENGAGEMENT_TICK: must be between 0 (off) and 1h");
  const std::string schedule = reader.String("CARECAST_ENGAGEMENT_SCHEDULE", "");
  if (!schedule.empty()) {
    absl::StatusOr<EngagementSchedule> parsed = EngagementSchedule::Parse(schedule);
    if (parsed.ok()) {
      config.engagement_schedule = *std::move(parsed);
    } else {
      reader.AddError(absl::StrCat("CARECAST_ENGAGEMENT_SCHEDULE: ", parsed.status().message()));
    }
  }
  config.engagement_account_reads_per_hour =
      static_cast<int>(reader.Int("CARECAST_ENGAGEMENT_ACCOUNT_READS_PER_HOUR",
                                  config.engagement_account_reads_per_hour, 1, 100000));
  config.followers_interval =
      reader.Duration("CARECAST_FOLLOWERS_INTERVAL", config.followers_interval);
  if (config.followers_interval < absl::Minutes(1) || config.followers_interval > absl::Hours(168))
    reader.AddError("CARECAST_FOLLOWERS_INTERVAL: must be between 1m and 7d");
}

}  // namespace

std::string DefaultPublisherId() {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    host[0] = 'p';
    host[1] = '\0';
  }
  std::string id;
  for (const char* c = host; *c != '\0'; ++c) {
    bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '_' || *c == '-';
    id.push_back(ok ? *c : '-');
  }
  id = absl::StrCat(id.substr(0, 40), "-", getpid());
  return id;
}

absl::StatusOr<PublisherConfig> ReadPublisherConfig(const common::EnvSource& env) {
  common::ConfigReader reader(env);
  PublisherConfig config;
  config.common = common::ReadCommonConfig(reader, "publisher", 50052, 9102);
  config.publisher_id = reader.String("CARECAST_PUBLISHER_ID", DefaultPublisherId());
  if (!IsValidPublisherId(config.publisher_id)) {
    reader.AddError(
        "CARECAST_PUBLISHER_ID: must be 1..64 characters of letters, digits, '.', '_' or '-'");
  }
  config.sandbox_dir = reader.String("CARECAST_SANDBOX_DIR", "./.run/sandbox");
  config.poll_interval =
      reader.Duration("CARECAST_PUBLISHER_POLL_INTERVAL", absl::Milliseconds(100));
  config.dispatch_concurrency =
      static_cast<int>(reader.Int("CARECAST_PUBLISHER_DISPATCH_CONCURRENCY", 8, 1, 256));
  config.claim_lease = reader.Duration("CARECAST_PUBLISHER_CLAIM_LEASE", absl::Seconds(60));
  config.max_attempts = static_cast<int>(reader.Int("CARECAST_PUBLISHER_MAX_ATTEMPTS", 5, 1, 100));
  config.retry_backoff = reader.Duration("CARECAST_PUBLISHER_RETRY_BACKOFF", absl::Seconds(2));
  config.max_retry_backoff =
      reader.Duration("CARECAST_PUBLISHER_MAX_RETRY_BACKOFF", absl::Minutes(5));
  config.channel_secrets_dir = reader.String("CARECAST_CHANNEL_SECRETS_DIR", "");
  config.channel_token_scan_interval =
      reader.Duration("CARECAST_CHANNEL_TOKEN_SCAN_INTERVAL", absl::Seconds(60));
  config.channels = common::networks::ReadChannelSettings(reader);
  config.channel_token_sealing_key_file =
      reader.String("CARECAST_CHANNEL_TOKEN_SEALING_KEY_FILE", "");
  if (!config.channels.endpoints.empty() && config.channel_secrets_dir.empty()) {
    reader.AddError(
        "CARECAST_CHANNEL_SECRETS_DIR: required when a network adapter is configured "
        "(CARECAST_CHANNEL_<NET>_BASE_URL): it holds the accounts' credentials");
  }
  if (!config.channels.endpoints.empty() && config.channel_token_sealing_key_file.empty()) {
    reader.AddError(
        "CARECAST_CHANNEL_TOKEN_SEALING_KEY_FILE: required when a network adapter is "
        "configured: it seals the refreshed tokens kept in NATS");
  }

  if (config.poll_interval < absl::Milliseconds(10) || config.poll_interval > absl::Seconds(1)) {
    // A slower poll would break the one-second hold promise for due posts.
    reader.AddError("CARECAST_PUBLISHER_POLL_INTERVAL: must be between 10ms and 1s");
  }
  if (config.claim_lease < absl::Seconds(1))
    reader.AddError("CARECAST_PUBLISHER_CLAIM_LEASE: must be at least 1s");
  config.lookahead = reader.Duration("CARECAST_PUBLISHER_LOOKAHEAD",
                                     std::min(config.lookahead, config.claim_lease / 10));
  config.max_clock_skew = reader.Duration("CARECAST_PUBLISHER_MAX_CLOCK_SKEW",
                                          std::min(config.max_clock_skew, config.claim_lease / 2));
  if (config.max_clock_skew < absl::ZeroDuration() ||
      config.max_clock_skew > config.claim_lease / 2) {
    // Past half the lease, a skewed clock could take live claims for abandoned.
    reader.AddError(
        "CARECAST_PUBLISHER_MAX_CLOCK_SKEW: must be between 0 (off) and half of "
        "CARECAST_PUBLISHER_CLAIM_LEASE");
  }
  if (config.lookahead < absl::ZeroDuration() || config.lookahead > config.claim_lease / 10) {
    // A claim made that early would spend too much of its lease waiting.
    reader.AddError(
        "CARECAST_PUBLISHER_LOOKAHEAD: must be between 0 and a tenth of "
        "CARECAST_PUBLISHER_CLAIM_LEASE");
  }
  if (config.retry_backoff <= absl::ZeroDuration())
    reader.AddError("CARECAST_PUBLISHER_RETRY_BACKOFF: must be positive");
  if (config.max_retry_backoff < config.retry_backoff) {
    reader.AddError(
        "CARECAST_PUBLISHER_MAX_RETRY_BACKOFF: must not be shorter than "
        "CARECAST_PUBLISHER_RETRY_BACKOFF");
  }
  if (config.channel_token_scan_interval < absl::Seconds(1) ||
      config.channel_token_scan_interval > absl::Hours(24)) {
    reader.AddError("CARECAST_CHANNEL_TOKEN_SCAN_INTERVAL: must be between 1s and 24h");
  }
  config.due_sweep_period = reader.Duration("CARECAST_DUE_SWEEP_PERIOD", config.due_sweep_period);
  config.due_sweep_horizon =
      reader.Duration("CARECAST_DUE_SWEEP_HORIZON", config.due_sweep_horizon);
  if (config.due_sweep_period < absl::Seconds(1) || config.due_sweep_period > absl::Hours(1)) {
    reader.AddError("CARECAST_DUE_SWEEP_PERIOD: must be between 1s and 1h");
  }
  if (config.due_sweep_horizon < config.due_sweep_period) {
    // A shorter horizon would leave posts due before the next sweep unseen.
    reader.AddError(
        "CARECAST_DUE_SWEEP_HORIZON: must not be shorter than CARECAST_DUE_SWEEP_PERIOD");
  }
  config.auto_takedown = reader.Bool("CARECAST_PUBLISHER_AUTO_TAKEDOWN", config.auto_takedown);
  config.takedown_retry_backoff =
      reader.Duration("CARECAST_PUBLISHER_TAKEDOWN_RETRY_BACKOFF", config.takedown_retry_backoff);
  config.takedown_max_retry_backoff = reader.Duration(
      "CARECAST_PUBLISHER_TAKEDOWN_MAX_RETRY_BACKOFF", config.takedown_max_retry_backoff);
  if (config.takedown_retry_backoff <= absl::ZeroDuration())
    reader.AddError("CARECAST_PUBLISHER_TAKEDOWN_RETRY_BACKOFF: must be positive");
  if (config.takedown_max_retry_backoff < config.takedown_retry_backoff) {
    reader.AddError(
        "CARECAST_PUBLISHER_TAKEDOWN_MAX_RETRY_BACKOFF: must not be shorter than "
        "CARECAST_PUBLISHER_TAKEDOWN_RETRY_BACKOFF");
  }
  ReadEngagementConfig(reader, config);
  if (absl::Status s = reader.Finish(); !s.ok()) return s;
  return config;
}

}  // namespace carecast::publisher
