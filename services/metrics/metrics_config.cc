#include "services/metrics/metrics_config.h"

#include <string>

namespace carecast::metrics {
namespace {

constexpr std::string_view kRedisUrl = "CARECAST_REDIS_URL";
constexpr std::string_view kRedisUnused = "unused:";

// ReadCommonConfig requires CARECAST_REDIS_URL, which every other service needs;
// this view supplies a placeholder so the metrics service starts without Redis.
class RedisOptionalEnv final : public common::EnvSource {
 public:
  explicit RedisOptionalEnv(const common::EnvSource& env) : env_(env) {}
  std::optional<std::string> Get(std::string_view name) const override {
    std::optional<std::string> value = env_.Get(name);
    if (name == kRedisUrl && (!value || value->empty())) return std::string(kRedisUnused);
    return value;
  }

 private:
  const common::EnvSource& env_;
};

}  // namespace

absl::StatusOr<MetricsConfig> ReadMetricsConfig(const common::EnvSource& env) {
  RedisOptionalEnv view(env);
  common::ConfigReader reader(view);
  MetricsConfig config;
  config.common = common::ReadCommonConfig(reader, "metrics", kDefaultGrpcPort, kDefaultHttpPort);
  if (config.common.redis_url == kRedisUnused) config.common.redis_url.clear();
  config.replay_log_every =
      reader.Int("CARECAST_METRICS_REPLAY_LOG_EVERY", config.replay_log_every, 1, 10'000'000);
  config.pending_interval =
      reader.Duration("CARECAST_METRICS_PENDING_INTERVAL", config.pending_interval);
  if (config.pending_interval <= absl::ZeroDuration())
    reader.AddError("CARECAST_METRICS_PENDING_INTERVAL: must be positive");
  if (absl::Status s = reader.Finish(); !s.ok()) return s;
  return config;
}

}  // namespace carecast::metrics
