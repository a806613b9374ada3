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
