#include "services/planner/planner_config.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "services/common/base/status_macros.h"

namespace carecast::planner {
namespace {

AlertHoldOptions ReadAlertHold(common::ConfigReader& reader) {
  AlertHoldOptions options;
  const std::string mode = reader.String("CARECAST_PLANNER_ALERT_HOLD", "off");
  if (mode == "off") {
    options.mode = AlertHoldMode::kOff;
  } else if (mode == "global") {
    options.mode = AlertHoldMode::kGlobal;
  } else if (mode == "spoke") {
    options.mode = AlertHoldMode::kSpoke;
  } else {
    reader.AddError(absl::StrCat(
        "CARECAST_PLANNER_ALERT_HOLD: must be \"off\", \"global\" or \"spoke\", not \"", mode,
        "\""));
  }
  const std::string severity = reader.String("CARECAST_PLANNER_ALERT_HOLD_SEVERITY", "severe");
  if (severity == "severe") {
    options.min_severity = v1::ALERT_SEVERITY_SEVERE;
  } else if (severity == "warning") {
    options.min_severity = v1::ALERT_SEVERITY_WARNING;
  } else {
    reader.AddError(absl::StrCat(
        "CARECAST_PLANNER_ALERT_HOLD_SEVERITY: must be \"severe\" or \"warning\", not \"", severity,
        "\""));
  }
  return options;
}

}  // namespace

absl::StatusOr<PlannerConfig> LoadPlannerConfig(const common::EnvSource& env) {
  common::ConfigReader reader(env);
  PlannerConfig config;
  config.common = common::ReadCommonConfig(reader, "planner", 50051, 9101);
  config.max_schedule_horizon =
      reader.Duration("CARECAST_PLANNER_MAX_SCHEDULE_HORIZON", config.max_schedule_horizon);
  config.min_lead_time = reader.Duration("CARECAST_PLANNER_MIN_LEAD_TIME", config.min_lead_time);
  config.channels = common::networks::ReadChannelSettings(reader);
  config.batch_concurrency = static_cast<int>(
      reader.Int("CARECAST_PLANNER_BATCH_CONCURRENCY", config.batch_concurrency, 1, 256));
  config.evergreen_period =
      reader.Duration("CARECAST_PLANNER_EVERGREEN_PERIOD", config.evergreen_period);
  config.evergreen_fill_ahead =
      reader.Duration("CARECAST_PLANNER_EVERGREEN_FILL_AHEAD", config.evergreen_fill_ahead);
  config.evergreen_late_tolerance =
      reader.Duration("CARECAST_PLANNER_EVERGREEN_LATE_TOLERANCE", config.evergreen_late_tolerance);
  config.consent_expiry_warning =
      reader.Duration("CARECAST_PLANNER_CONSENT_EXPIRY_WARNING", config.consent_expiry_warning);
  if (config.consent_expiry_warning < absl::Hours(1) ||
      config.consent_expiry_warning > absl::Hours(24 * 90)) {
    reader.AddError("CARECAST_PLANNER_CONSENT_EXPIRY_WARNING: must be between 1h and 2160h");
  }
  if (config.evergreen_period < absl::Seconds(1) || config.evergreen_period > absl::Hours(24)) {
    reader.AddError("CARECAST_PLANNER_EVERGREEN_PERIOD: must be between 1s and 24h");
  }
  if (config.evergreen_fill_ahead < absl::Minutes(10) ||
      config.evergreen_fill_ahead > absl::Hours(24 * 7)) {
    reader.AddError("CARECAST_PLANNER_EVERGREEN_FILL_AHEAD: must be between 10m and 168h");
  }
  if (config.evergreen_late_tolerance < absl::Minutes(1) ||
      config.evergreen_late_tolerance > absl::Hours(24)) {
    reader.AddError("CARECAST_PLANNER_EVERGREEN_LATE_TOLERANCE: must be between 1m and 24h");
  }
  if (config.max_schedule_horizon < absl::Hours(1) ||
      config.max_schedule_horizon > absl::Hours(24 * 3650)) {
    reader.AddError("CARECAST_PLANNER_MAX_SCHEDULE_HORIZON: must be between 1h and 87600h");
  }
  if (config.min_lead_time < absl::ZeroDuration() || config.min_lead_time > absl::Hours(24)) {
    reader.AddError("CARECAST_PLANNER_MIN_LEAD_TIME: must be between 0s and 24h");
  }
  if (config.min_lead_time >= config.max_schedule_horizon) {
    reader.AddError(
        "CARECAST_PLANNER_MIN_LEAD_TIME: must be shorter than "
        "CARECAST_PLANNER_MAX_SCHEDULE_HORIZON");
  }
  config.feed_token_keys_file = reader.String("CARECAST_FEED_TOKEN_KEYS_FILE", "");
  config.feed_token_current_key = reader.String("CARECAST_FEED_TOKEN_CURRENT_KEY", "");
  config.feed_base_url = reader.String("CARECAST_FEED_BASE_URL", "");
  config.feed_uid_domain = reader.String("CARECAST_FEED_UID_DOMAIN", config.feed_uid_domain);
  if (!config.feed_base_url.empty() && !config.feed_base_url.starts_with("https://") &&
      !config.feed_base_url.starts_with("http://")) {
    reader.AddError("CARECAST_FEED_BASE_URL: must start with https:// (or http:// locally)");
  }
  while (config.feed_base_url.ends_with('/')) config.feed_base_url.pop_back();
  config.alert_hold = ReadAlertHold(reader);
  if (absl::Status status = reader.Finish(); !status.ok()) return status;
  return config;
}

}  // namespace carecast::planner
