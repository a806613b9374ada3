#include "services/listener/listener_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace carecast::listener {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::map<std::string, std::string, std::less<>> Required() {
  return {{"CARECAST_NATS_URL", "nats://127.0.0.1:4222"},
          {"CARECAST_REDIS_URL", "redis://127.0.0.1:6379"},
          {"CARECAST_JWT_PUBLIC_KEY_FILE", "/tmp/key.pem"}};
}

TEST(ListenerConfigTest, DefaultsApply) {
  common::MapEnv env(Required());
  absl::StatusOr<ListenerConfig> config = ReadListenerConfig(env);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->common.service_name, "listener");
  EXPECT_EQ(config->common.grpc_port, 50053);
  EXPECT_EQ(config->common.http_port, 9103);
  EXPECT_TRUE(config->options.tracked_keywords.empty());
  EXPECT_EQ(config->options.max_text_bytes, 8192u);
  EXPECT_EQ(config->options.sla_urgent, absl::Minutes(15));
  EXPECT_EQ(config->options.sla_high, absl::Hours(1));
  EXPECT_EQ(config->options.sla_normal, absl::Hours(4));
  EXPECT_EQ(config->options.sla_low, absl::Hours(24));
}

TEST(ListenerConfigTest, ReadsOwnVariables) {
  auto vars = Required();
  vars["CARECAST_TRACKED_KEYWORDS"] = " St Marys, #FluShot ,,Mercy ";
  vars["CARECAST_LISTENER_MAX_TEXT_BYTES"] = "4096";
  vars["CARECAST_LISTENER_SLA_URGENT"] = "5m";
  vars["CARECAST_LISTENER_SLA_LOW"] = "48h";
  common::MapEnv env(vars);
  absl::StatusOr<ListenerConfig> config = ReadListenerConfig(env);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->options.tracked_keywords, ElementsAre("St Marys", "#FluShot", "Mercy"));
  EXPECT_EQ(config->options.max_text_bytes, 4096u);
  EXPECT_EQ(config->options.sla_urgent, absl::Minutes(5));
  EXPECT_EQ(config->options.sla_low, absl::Hours(48));
}

TEST(ListenerConfigTest, ReportsEveryProblemAtOnce) {
  std::map<std::string, std::string, std::less<>> vars = {
      {"CARECAST_LISTENER_MAX_TEXT_BYTES", "0"},
      {"CARECAST_LISTENER_SLA_HIGH", "0s"},
      {"CARECAST_LISTENER_SLA_NORMAL", "soon"},
      {"CARECAST_TRACKED_KEYWORDS", std::string(101, 'k')}};
  common::MapEnv env(vars);
  absl::StatusOr<ListenerConfig> config = ReadListenerConfig(env);
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(config.status().message());
  EXPECT_THAT(message, HasSubstr("CARECAST_NATS_URL"));
  EXPECT_THAT(message, HasSubstr("CARECAST_LISTENER_MAX_TEXT_BYTES"));
  EXPECT_THAT(message, HasSubstr("CARECAST_LISTENER_SLA_HIGH"));
  EXPECT_THAT(message, HasSubstr("CARECAST_LISTENER_SLA_NORMAL"));
  EXPECT_THAT(message, HasSubstr("CARECAST_TRACKED_KEYWORDS"));
}

}  // namespace
}  // namespace carecast::listener
