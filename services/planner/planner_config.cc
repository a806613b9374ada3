#include "services/planner/planner_config.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace carecast::planner {

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
  if (absl::Status status = reader.Finish(); !status.ok()) return status;
  return config;
}

}  // namespace carecast::planner
