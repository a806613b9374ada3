#include "services/metrics/metrics_config.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

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

namespace {

void ReadSpikeOptions(common::ConfigReader& reader, SpikeOptions& spikes) {
  spikes.interval = reader.Duration("CARECAST_SPIKE_INTERVAL", spikes.interval);
  const int64_t seconds = absl::ToInt64Seconds(spikes.interval);
  if (seconds < 60 || seconds > int64_t{24} * 3600 || (int64_t{7} * 24 * 3600) % seconds != 0) {
    reader.AddError("CARECAST_SPIKE_INTERVAL: must be 1m to 24h and divide a week (e.g. 15m, 1h)");
  }
  const std::string probability = reader.String("CARECAST_SPIKE_FALSE_ALARM_PROBABILITY", "");
  if (!probability.empty()) {
    double p = 0;
    if (!absl::SimpleAtod(probability, &p) || !(p > 0 && p < 0.5)) {
      reader.AddError("CARECAST_SPIKE_FALSE_ALARM_PROBABILITY: a number between 0 and 0.5");
    } else {
      spikes.false_alarm_probability = p;
    }
  }
  spikes.min_count = reader.Int("CARECAST_SPIKE_MIN_COUNT", spikes.min_count, 1, 1'000'000);
  const std::string zone = reader.String("CARECAST_SPIKE_TIME_ZONE", "UTC");
  if (zone.size() > 64 || !absl::LoadTimeZone(zone, &spikes.time_zone)) {
    reader.AddError(absl::StrCat("CARECAST_SPIKE_TIME_ZONE: \"", zone,
                                 "\" is not an IANA time zone (e.g. America/Chicago)"));
  }
  spikes.cooldown = reader.Duration("CARECAST_SPIKE_COOLDOWN", spikes.cooldown);
  if (spikes.cooldown < absl::ZeroDuration()) {
    reader.AddError("CARECAST_SPIKE_COOLDOWN: must not be negative");
  }
  for (absl::string_view term :
       absl::StrSplit(reader.String("CARECAST_CRISIS_TERMS", ""), ',', absl::SkipWhitespace())) {
    spikes.crisis_terms.insert(absl::AsciiStrToLower(absl::StripAsciiWhitespace(term)));
  }
  spikes.crisis_min_count =
      reader.Int("CARECAST_CRISIS_MIN_COUNT", spikes.crisis_min_count, 1, 1'000'000);
}

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
  ReadSpikeOptions(reader, config.spikes);
  config.spike_tick = reader.Duration("CARECAST_SPIKE_TICK", config.spike_tick);
  config.link_token_keys_file = reader.String("CARECAST_FEED_TOKEN_KEYS_FILE", "");
  config.link_token_current_key = reader.String("CARECAST_FEED_TOKEN_CURRENT_KEY", "");
  config.report_publish_delay =
      reader.Duration("CARECAST_REPORT_PUBLISH_DELAY", config.report_publish_delay);
  if (config.report_publish_delay < absl::ZeroDuration() ||
      config.report_publish_delay > absl::Hours(24 * 7))
    reader.AddError("CARECAST_REPORT_PUBLISH_DELAY: must be 0 to 7d");
  config.report_tick = reader.Duration("CARECAST_REPORT_TICK", config.report_tick);
  if (config.report_tick < absl::Seconds(1) || config.report_tick > absl::Hours(1))
    reader.AddError("CARECAST_REPORT_TICK: must be 1s to 1h");
  if (config.spike_tick < absl::Milliseconds(100) || config.spike_tick > absl::Minutes(5)) {
    reader.AddError("CARECAST_SPIKE_TICK: must be 100ms to 5m");
  }
  if (absl::Status s = reader.Finish(); !s.ok()) return s;
  return config;
}

}  // namespace carecast::metrics
