// Configuration of the planner, read from the environment at start.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/env_config.h"
#include "services/common/cadence/feed_token.h"
#include "services/common/networks/channel_settings.h"
#include "services/planner/alert_hold_policy.h"

namespace carecast::planner {

// Every setting with its environment variable and default. The shared ones
// (ports, NATS, Redis, JWT, replicas, shutdown grace, log level) are in
// common::CommonConfig; the planner's gRPC port defaults to 50051, HTTP to 9101.
struct PlannerConfig {
  common::CommonConfig common;
  // CARECAST_PLANNER_MAX_SCHEDULE_HORIZON: how far ahead a post may be
  // scheduled. Default 365 days ("8760h"); 1h..3650 days.
  absl::Duration max_schedule_horizon = absl::Hours(24 * 365);
  // CARECAST_PLANNER_MIN_LEAD_TIME: a post's publish_time must be at least this
  // far in the future. Default 1s; 0..24h.
  absl::Duration min_lead_time = absl::Seconds(1);
  // CARECAST_CHANNEL_<NET>_BASE_URL and _TIMEOUT, read as the publisher reads
  // them (services/common/networks/channel_settings.h): SchedulePost refuses a
  // network without a base URL. Default: the sandbox only.
  common::networks::ChannelSettings channels;
  // CARECAST_PLANNER_BATCH_CONCURRENCY: entries of BatchSchedulePosts calls
  // scheduled at once by this process. Default 16; 1..256.
  int batch_concurrency = 16;
  // CARECAST_PLANNER_EVERGREEN_PERIOD: how often empty slots are filled from
  // the evergreen library. Default 5m; 1s..24h.
  absl::Duration evergreen_period = absl::Minutes(5);
  // CARECAST_PLANNER_EVERGREEN_FILL_AHEAD: how far ahead a pass fills empty
  // slots. Default 24h; 10m..7 days.
  absl::Duration evergreen_fill_ahead = absl::Hours(24);
  // CARECAST_PLANNER_EVERGREEN_LATE_TOLERANCE: a recycled post that could not
  // go out within this of its slot is not published late. Default 30m; 1m..24h.
  absl::Duration evergreen_late_tolerance = absl::Minutes(30);
  // CARECAST_PLANNER_CONSENT_EXPIRY_WARNING: how long before a patient
  // authorization expires the planner warns about posts still relying on it
  // (carecast.patient_authorization.expiring). Default 14 days (336h); 1h..90 days.
  absl::Duration consent_expiry_warning = absl::Hours(24 * 14);
  // CARECAST_FEED_TOKEN_KEYS_FILE: the calendar feed key ring, one key per
  // line "<key id> <secret as hex, at least 64 digits>" ('#' starts a comment).
  // Empty (the default): calendar feeds are off.
  std::string feed_token_keys_file;
  // CARECAST_FEED_TOKEN_CURRENT_KEY: the key id that signs new feed URLs.
  // Default: the last key of the file.
  std::string feed_token_current_key;
  // CARECAST_FEED_BASE_URL: the public address of this HTTP port, put before
  // "/feeds/..." in GetCalendarFeed's URL (e.g. "https://carecast.example.org").
  std::string feed_base_url;
  // CARECAST_FEED_UID_DOMAIN: right-hand side of the feeds' event UIDs.
  std::string feed_uid_domain = "carecast.local";
  // CARECAST_PLANNER_ALERT_HOLD ("off" by default, "global" or "spoke") and
  // CARECAST_PLANNER_ALERT_HOLD_SEVERITY ("severe" by default, or "warning"):
  // the automatic publishing hold on alerts (alert_hold_policy.h).
  AlertHoldOptions alert_hold;
};

// Reads and validates every variable; INVALID_ARGUMENT lists all problems.
absl::StatusOr<PlannerConfig> LoadPlannerConfig(const common::EnvSource& env);

// LoadFeedTokens (the key ring file): services/common/cadence/feed_token_file.h.

}  // namespace carecast::planner
