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
  const SlaTargets& sla = config->options.sla;
  EXPECT_EQ(sla.urgent.clock, SlaClock::kWall);
  EXPECT_EQ(sla.urgent.amount, absl::Minutes(15));
  EXPECT_EQ(sla.high.clock, SlaClock::kBusinessHours);
  EXPECT_EQ(sla.high.amount, absl::Hours(4));
  EXPECT_EQ(sla.normal.clock, SlaClock::kBusinessDays);
  EXPECT_EQ(sla.normal.days, 1);
  EXPECT_EQ(sla.low.days, 3);
  EXPECT_EQ(config->options.business_hours.organisation.zone_name, "UTC");
  EXPECT_TRUE(config->options.business_hours.spokes.empty());
  EXPECT_TRUE(config->options.topic_routes.empty());
  EXPECT_EQ(config->options.sla_check_period, absl::Seconds(60));
}

TEST(ListenerConfigTest, ReadsTheInboxRules) {
  auto vars = Required();
  vars["CARECAST_INBOX_SLA"] = "urgent=1h, high=2bh,normal=2bd";
  vars["CARECAST_INBOX_BUSINESS_HOURS"] =
      "default=Europe/London Mon-Fri 09:00-17:30; spokes/north=America/Chicago Mon-Fri "
      "08:00-17:00, Sat 09:00-12:00";
  vars["CARECAST_INBOX_TOPIC_ROUTES"] = "topic:billing=spokes/north, topic:safety=spokes/hub-ops";
  vars["CARECAST_INBOX_SLA_CHECK_PERIOD"] = "15s";
  common::MapEnv env(vars);
  absl::StatusOr<ListenerConfig> config = ReadListenerConfig(env);
  ASSERT_TRUE(config.ok()) << config.status();
  const ListenerOptions& o = config->options;
  EXPECT_EQ(o.sla.urgent.amount, absl::Hours(1));
  EXPECT_EQ(o.sla.high.amount, absl::Hours(2));
  EXPECT_EQ(o.sla.normal.days, 2);
  EXPECT_EQ(o.sla.low.days, 3);  // untouched
  EXPECT_EQ(o.business_hours.organisation.zone_name, "Europe/London");
  EXPECT_EQ(o.business_hours.For("spokes/north").zone_name, "America/Chicago");
  EXPECT_TRUE(o.business_hours.For("spokes/north").week[5].has_value());
  EXPECT_EQ(o.business_hours.For("spokes/south").zone_name, "Europe/London");
  ASSERT_EQ(o.topic_routes.size(), 2u);
  EXPECT_EQ(o.topic_routes[1].topic, "safety");
  EXPECT_EQ(o.topic_routes[1].spoke, "spokes/hub-ops");
  EXPECT_EQ(o.sla_check_period, absl::Seconds(15));
}

TEST(ListenerConfigTest, BadInboxRulesAreNamed) {
  auto vars = Required();
  vars["CARECAST_INBOX_SLA"] = "critical=1h";
  vars["CARECAST_INBOX_BUSINESS_HOURS"] = "spokes/north=Mars/Olympus Mon-Fri 08:00-17:00";
  vars["CARECAST_INBOX_TOPIC_ROUTES"] = "billing=north";
  common::MapEnv env(vars);
  absl::StatusOr<ListenerConfig> config = ReadListenerConfig(env);
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(config.status().message());
  EXPECT_THAT(message, HasSubstr("CARECAST_INBOX_SLA: \"critical=1h\": the priority must be"));
  EXPECT_THAT(message, HasSubstr("CARECAST_INBOX_BUSINESS_HOURS: spokes/north: \"Mars/Olympus\""));
  EXPECT_THAT(message, HasSubstr("CARECAST_INBOX_TOPIC_ROUTES: \"billing=north\" must look like"));
}

TEST(ListenerConfigTest, TheInstagramReaderNeedsTheMetaWebhookAndAnHttpGraphUrl) {
  auto vars = Required();
  absl::StatusOr<ListenerConfig> defaults = ReadListenerConfig(common::MapEnv(vars));
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->graph_url, "https://graph.facebook.com/v21.0");
  EXPECT_EQ(defaults->instagram_token_file, "");
  vars["CARECAST_LISTENER_INSTAGRAM_TOKEN_FILE"] = "/run/secrets/ig";
  vars["CARECAST_LISTENER_GRAPH_URL"] = "ftp://graph";
  absl::StatusOr<ListenerConfig> bad = ReadListenerConfig(common::MapEnv(vars));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("CARECAST_LISTENER_GRAPH_URL"));
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("CARECAST_LISTENER_INSTAGRAM_TOKEN_FILE"));
  vars["CARECAST_LISTENER_GRAPH_URL"] = "http://127.0.0.1:9999/v21.0";
  vars["CARECAST_LISTENER_META_APP_SECRET_FILE"] = "/run/secrets/app";
  vars["CARECAST_LISTENER_META_VERIFY_TOKEN_FILE"] = "/run/secrets/verify";
  absl::StatusOr<ListenerConfig> good = ReadListenerConfig(common::MapEnv(vars));
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->instagram_token_file, "/run/secrets/ig");
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
  // The older variables still override their priority, around the clock.
  EXPECT_EQ(config->options.sla.urgent.clock, SlaClock::kWall);
  EXPECT_EQ(config->options.sla.urgent.amount, absl::Minutes(5));
  EXPECT_EQ(config->options.sla.low.clock, SlaClock::kWall);
  EXPECT_EQ(config->options.sla.low.amount, absl::Hours(48));
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
