#include "services/planner/planner_config.h"

#include <gtest/gtest.h>

namespace carecast::planner {
namespace {

std::map<std::string, std::string, std::less<>> Required() {
  return {{"CARECAST_NATS_URL", "nats://127.0.0.1:4222"},
          {"CARECAST_REDIS_URL", "redis://127.0.0.1:6379"},
          {"CARECAST_JWT_PUBLIC_KEY_FILE", "/tmp/key.pem"}};
}

TEST(PlannerConfigTest, HasDocumentedDefaults) {
  absl::StatusOr<PlannerConfig> config = LoadPlannerConfig(common::MapEnv(Required()));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->common.service_name, "planner");
  EXPECT_EQ(config->common.grpc_port, 50051);
  EXPECT_EQ(config->common.http_port, 9101);
  EXPECT_EQ(config->max_schedule_horizon, absl::Hours(24 * 365));
  EXPECT_EQ(config->min_lead_time, absl::Seconds(1));
  EXPECT_EQ(config->consent_expiry_warning, absl::Hours(24 * 14));
}

TEST(PlannerConfigTest, ReadsOverrides) {
  auto vars = Required();
  vars["CARECAST_PLANNER_MAX_SCHEDULE_HORIZON"] = "720h";
  vars["CARECAST_PLANNER_MIN_LEAD_TIME"] = "30s";
  vars["CARECAST_GRPC_PORT"] = "0";
  vars["CARECAST_PLANNER_CONSENT_EXPIRY_WARNING"] = "72h";
  absl::StatusOr<PlannerConfig> config = LoadPlannerConfig(common::MapEnv(vars));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->consent_expiry_warning, absl::Hours(72));
  EXPECT_EQ(config->max_schedule_horizon, absl::Hours(720));
  EXPECT_EQ(config->min_lead_time, absl::Seconds(30));
  EXPECT_EQ(config->common.grpc_port, 0);
}

TEST(PlannerConfigTest, ReadsTheChannelAdaptersLikeThePublisher) {
  absl::StatusOr<PlannerConfig> config = LoadPlannerConfig(common::MapEnv(Required()));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->channels.endpoints.empty());
  EXPECT_TRUE(config->channels.Configured(v1::NETWORK_SANDBOX));
  EXPECT_FALSE(config->channels.Configured(v1::NETWORK_MASTODON));

  auto vars = Required();
  vars["CARECAST_CHANNEL_MASTODON_BASE_URL"] = "https://mastodon.example";
  vars["CARECAST_CHANNEL_MASTODON_TIMEOUT"] = "10s";
  config = LoadPlannerConfig(common::MapEnv(vars));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->channels.Configured(v1::NETWORK_MASTODON));
  EXPECT_EQ(config->channels.Endpoint(v1::NETWORK_MASTODON)->timeout, absl::Seconds(10));
  EXPECT_FALSE(config->channels.Configured(v1::NETWORK_X));
}

TEST(PlannerConfigTest, ReportsEveryProblemAtOnce) {
  common::MapEnv env({{"CARECAST_PLANNER_MAX_SCHEDULE_HORIZON", "10m"},
                      {"CARECAST_PLANNER_MIN_LEAD_TIME", "soon"},
                      {"CARECAST_CHANNEL_X_BASE_URL", "api.x.com"},
                      {"CARECAST_PLANNER_CONSENT_EXPIRY_WARNING", "10m"}});
  absl::StatusOr<PlannerConfig> config = LoadPlannerConfig(env);
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  std::string message(config.status().message());
  EXPECT_NE(message.find("CARECAST_NATS_URL"), std::string::npos) << message;
  EXPECT_NE(message.find("CARECAST_REDIS_URL"), std::string::npos) << message;
  EXPECT_NE(message.find("CARECAST_PLANNER_MAX_SCHEDULE_HORIZON"), std::string::npos) << message;
  EXPECT_NE(message.find("CARECAST_PLANNER_MIN_LEAD_TIME"), std::string::npos) << message;
  EXPECT_NE(message.find("CARECAST_PLANNER_CONSENT_EXPIRY_WARNING"), std::string::npos) << message;
  EXPECT_NE(message.find("CARECAST_CHANNEL_X_BASE_URL: must start with https:// or http://"),
            std::string::npos)
      << message;
}

TEST(PlannerConfigTest, AlertHoldIsOffByDefault) {
  absl::StatusOr<PlannerConfig> config = LoadPlannerConfig(common::MapEnv(Required()));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->alert_hold.mode, AlertHoldMode::kOff);
  EXPECT_EQ(config->alert_hold.min_severity, v1::ALERT_SEVERITY_SEVERE);
}

TEST(PlannerConfigTest, ReadsTheAlertHoldPolicy) {
  auto vars = Required();
  vars["CARECAST_PLANNER_ALERT_HOLD"] = "global";
  vars["CARECAST_PLANNER_ALERT_HOLD_SEVERITY"] = "warning";
  absl::StatusOr<PlannerConfig> config = LoadPlannerConfig(common::MapEnv(vars));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->alert_hold.mode, AlertHoldMode::kGlobal);
  EXPECT_EQ(config->alert_hold.min_severity, v1::ALERT_SEVERITY_WARNING);
}

TEST(PlannerConfigTest, RefusesAnUnknownAlertHoldPolicyNamingTheVariable) {
  auto vars = Required();
  vars["CARECAST_PLANNER_ALERT_HOLD"] = "everywhere";
  vars["CARECAST_PLANNER_ALERT_HOLD_SEVERITY"] = "critical";
  absl::StatusOr<PlannerConfig> config = LoadPlannerConfig(common::MapEnv(vars));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(config.status().message());
  EXPECT_NE(message.find("CARECAST_PLANNER_ALERT_HOLD: must be \"off\", \"global\" or "
                         "\"spoke\", not \"everywhere\""),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("CARECAST_PLANNER_ALERT_HOLD_SEVERITY: must be"), std::string::npos)
      << message;
}

TEST(PlannerConfigTest, ReadsThePerSpokeAlertHold) {
  auto vars = Required();
  vars["CARECAST_PLANNER_ALERT_HOLD"] = "spoke";
  absl::StatusOr<PlannerConfig> config = LoadPlannerConfig(common::MapEnv(vars));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->alert_hold.mode, AlertHoldMode::kSpoke);
  EXPECT_EQ(config->alert_hold.min_severity, v1::ALERT_SEVERITY_SEVERE);
}

}  // namespace
}  // namespace carecast::planner
