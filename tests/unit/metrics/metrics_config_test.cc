#include "services/metrics/metrics_config.h"

#include "absl/strings/match.h"
#include <gtest/gtest.h>

namespace carecast::metrics {
namespace {

std::map<std::string, std::string, std::less<>> Required() {
  return {{"CARECAST_NATS_URL", "nats://127.0.0.1:4222"},
          {"CARECAST_JWT_PUBLIC_KEY_FILE", "/tmp/key.pem"}};
}

TEST(MetricsConfigTest, DefaultsWithoutRedis) {
  absl::StatusOr<MetricsConfig> c = ReadMetricsConfig(common::MapEnv(Required()));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->common.service_name, "metrics");
  EXPECT_EQ(c->common.grpc_port, 50054);
  EXPECT_EQ(c->common.http_port, 9104);
  EXPECT_EQ(c->common.redis_url, "");
  EXPECT_EQ(c->replay_log_every, 1000);
  EXPECT_EQ(c->pending_interval, absl::Seconds(2));
}

TEST(MetricsConfigTest, AcceptsRedisAndOwnVariables) {
  auto vars = Required();
  vars["CARECAST_REDIS_URL"] = "redis://127.0.0.1:6379";
  vars["CARECAST_METRICS_REPLAY_LOG_EVERY"] = "50";
  vars["CARECAST_METRICS_PENDING_INTERVAL"] = "500ms";
  vars["CARECAST_GRPC_PORT"] = "0";
  absl::StatusOr<MetricsConfig> c = ReadMetricsConfig(common::MapEnv(vars));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->common.redis_url, "redis://127.0.0.1:6379");
  EXPECT_EQ(c->replay_log_every, 50);
  EXPECT_EQ(c->pending_interval, absl::Milliseconds(500));
  EXPECT_EQ(c->common.grpc_port, 0);
}

TEST(MetricsConfigTest, ReportsEveryProblem) {
  absl::StatusOr<MetricsConfig> c = ReadMetricsConfig(common::MapEnv(
      {{"CARECAST_METRICS_REPLAY_LOG_EVERY", "0"}, {"CARECAST_METRICS_PENDING_INTERVAL", "0s"}}));
  ASSERT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  std::string message(c.status().message());
  EXPECT_TRUE(absl::StrContains(message, "CARECAST_NATS_URL")) << message;
  EXPECT_TRUE(absl::StrContains(message, "CARECAST_JWT_PUBLIC_KEY_FILE")) << message;
  EXPECT_TRUE(absl::StrContains(message, "CARECAST_METRICS_REPLAY_LOG_EVERY")) << message;
  EXPECT_TRUE(absl::StrContains(message, "CARECAST_METRICS_PENDING_INTERVAL")) << message;
  EXPECT_FALSE(absl::StrContains(message, "CARECAST_REDIS_URL")) << message;
}

TEST(MetricsConfigTest, TheSpikeTimeZoneIsAnIanaZone) {
  auto vars = Required();
  absl::StatusOr<MetricsConfig> defaults = ReadMetricsConfig(common::MapEnv(vars));
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->spikes.time_zone, absl::UTCTimeZone());
  vars["CARECAST_SPIKE_TIME_ZONE"] = "America/Chicago";
  absl::StatusOr<MetricsConfig> chicago = ReadMetricsConfig(common::MapEnv(vars));
  ASSERT_TRUE(chicago.ok()) << chicago.status();
  EXPECT_EQ(chicago->spikes.time_zone.name(), "America/Chicago");
  vars["CARECAST_SPIKE_TIME_ZONE"] = "Mars/Olympus_Mons";
  absl::StatusOr<MetricsConfig> bad = ReadMetricsConfig(common::MapEnv(vars));
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "CARECAST_SPIKE_TIME_ZONE"));
}

TEST(MetricsConfigTest, WeeklyReportVariables) {
  auto vars = Required();
  absl::StatusOr<MetricsConfig> defaults = ReadMetricsConfig(common::MapEnv(vars));
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->report_publish_delay, absl::Hours(1));
  EXPECT_EQ(defaults->report_tick, absl::Minutes(5));
  EXPECT_EQ(defaults->link_token_keys_file, "");
  vars["CARECAST_REPORT_PUBLISH_DELAY"] = "0s";
  vars["CARECAST_REPORT_TICK"] = "2s";
  vars["CARECAST_FEED_TOKEN_KEYS_FILE"] = "/run/keys/links";
  absl::StatusOr<MetricsConfig> c = ReadMetricsConfig(common::MapEnv(vars));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->report_publish_delay, absl::ZeroDuration());
  EXPECT_EQ(c->report_tick, absl::Seconds(2));
  EXPECT_EQ(c->link_token_keys_file, "/run/keys/links");
  vars["CARECAST_REPORT_PUBLISH_DELAY"] = "200h";
  vars["CARECAST_REPORT_TICK"] = "0s";
  absl::StatusOr<MetricsConfig> bad = ReadMetricsConfig(common::MapEnv(vars));
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "CARECAST_REPORT_PUBLISH_DELAY"));
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "CARECAST_REPORT_TICK"));
}

}  // namespace
}  // namespace carecast::metrics
