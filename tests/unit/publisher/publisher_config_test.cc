#include "services/publisher/publisher_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace carecast::publisher {
namespace {

using ::testing::HasSubstr;

std::map<std::string, std::string, std::less<>> Required() {
  return {{"CARECAST_NATS_URL", "nats://127.0.0.1:4222"},
          {"CARECAST_REDIS_URL", "redis://127.0.0.1:6379"},
          {"CARECAST_JWT_PUBLIC_KEY_FILE", "/tmp/key.pem"}};
}

TEST(PublisherConfigTest, DefaultsApply) {
  common::MapEnv env(Required());
  absl::StatusOr<PublisherConfig> config = ReadPublisherConfig(env);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->common.service_name, "publisher");
  EXPECT_EQ(config->common.grpc_port, 50052);
  EXPECT_EQ(config->common.http_port, 9102);
  EXPECT_EQ(config->publisher_id, DefaultPublisherId());
  EXPECT_EQ(config->sandbox_dir, "./.run/sandbox");
  EXPECT_EQ(config->poll_interval, absl::Milliseconds(100));
  EXPECT_EQ(config->claim_lease, absl::Seconds(60));
  EXPECT_EQ(config->max_attempts, 5);
  EXPECT_EQ(config->retry_backoff, absl::Seconds(2));
  EXPECT_EQ(config->max_retry_backoff, absl::Minutes(5));
  EXPECT_EQ(config->channel_secrets_dir, "");  // the token expiry watcher is off
  EXPECT_EQ(config->channel_token_scan_interval, absl::Seconds(60));
}

TEST(PublisherConfigTest, AutomaticTakedownIsOnByDefaultAndCanBeTurnedOff) {
  {
    common::MapEnv env(Required());
    absl::StatusOr<PublisherConfig> config = ReadPublisherConfig(env);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_TRUE(config->auto_takedown);
    EXPECT_EQ(config->takedown_retry_backoff, absl::Seconds(2));
    EXPECT_EQ(config->takedown_max_retry_backoff, absl::Minutes(5));
  }
  auto vars = Required();
  vars["CARECAST_PUBLISHER_AUTO_TAKEDOWN"] = "false";
  vars["CARECAST_PUBLISHER_TAKEDOWN_RETRY_BACKOFF"] = "1s";
  vars["CARECAST_PUBLISHER_TAKEDOWN_MAX_RETRY_BACKOFF"] = "1m";
  common::MapEnv env(vars);
  absl::StatusOr<PublisherConfig> config = ReadPublisherConfig(env);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->auto_takedown);
  EXPECT_EQ(config->takedown_retry_backoff, absl::Seconds(1));
  EXPECT_EQ(config->takedown_max_retry_backoff, absl::Minutes(1));

  vars["CARECAST_PUBLISHER_AUTO_TAKEDOWN"] = "sometimes";
  vars["CARECAST_PUBLISHER_TAKEDOWN_MAX_RETRY_BACKOFF"] = "500ms";
  common::MapEnv bad(vars);
  absl::StatusOr<PublisherConfig> refused = ReadPublisherConfig(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("CARECAST_PUBLISHER_AUTO_TAKEDOWN"));
  EXPECT_THAT(refused.status().message(),
              HasSubstr("CARECAST_PUBLISHER_TAKEDOWN_MAX_RETRY_BACKOFF"));
}

TEST(PublisherConfigTest, DefaultIdIsHostnameDashPid) {
  std::string id = DefaultPublisherId();
  EXPECT_THAT(id, HasSubstr("-"));
  EXPECT_EQ(id.substr(id.rfind('-') + 1), std::to_string(getpid()));
}

TEST(PublisherConfigTest, ReadsOwnVariables) {
  auto vars = Required();
  vars["CARECAST_PUBLISHER_ID"] = "publisher-2";
  vars["CARECAST_SANDBOX_DIR"] = "/var/lib/carecast/sandbox";
  vars["CARECAST_PUBLISHER_POLL_INTERVAL"] = "50ms";
  vars["CARECAST_PUBLISHER_CLAIM_LEASE"] = "2m";
  vars["CARECAST_PUBLISHER_MAX_ATTEMPTS"] = "7";
  vars["CARECAST_PUBLISHER_DISPATCH_CONCURRENCY"] = "32";
  vars["CARECAST_PUBLISHER_RETRY_BACKOFF"] = "500ms";
  vars["CARECAST_PUBLISHER_MAX_RETRY_BACKOFF"] = "1m";
  vars["CARECAST_CHANNEL_SECRETS_DIR"] = "/var/run/secrets/carecast/channels";
  vars["CARECAST_CHANNEL_TOKEN_SCAN_INTERVAL"] = "5m";
  common::MapEnv env(vars);
  absl::StatusOr<PublisherConfig> config = ReadPublisherConfig(env);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->publisher_id, "publisher-2");
  EXPECT_EQ(config->sandbox_dir, "/var/lib/carecast/sandbox");
  EXPECT_EQ(config->poll_interval, absl::Milliseconds(50));
  EXPECT_EQ(config->claim_lease, absl::Minutes(2));
  EXPECT_EQ(config->max_attempts, 7);
  EXPECT_EQ(config->dispatch_concurrency, 32);
  EXPECT_EQ(config->retry_backoff, absl::Milliseconds(500));
  EXPECT_EQ(config->max_retry_backoff, absl::Minutes(1));
  EXPECT_EQ(config->channel_secrets_dir, "/var/run/secrets/carecast/channels");
  EXPECT_EQ(config->channel_token_scan_interval, absl::Minutes(5));
  EXPECT_EQ(config->lookahead, absl::Milliseconds(500)) << "the default";
}

TEST(PublisherConfigTest, LookaheadIsAtMostATenthOfTheLease) {
  auto vars = Required();
  vars["CARECAST_PUBLISHER_CLAIM_LEASE"] = "2s";
  absl::StatusOr<PublisherConfig> shorter = ReadPublisherConfig(common::MapEnv(vars));
  ASSERT_TRUE(shorter.ok()) << shorter.status();
  EXPECT_EQ(shorter->lookahead, absl::Milliseconds(200)) << "the default follows a short lease";

  vars["CARECAST_PUBLISHER_LOOKAHEAD"] = "0s";
  absl::StatusOr<PublisherConfig> off = ReadPublisherConfig(common::MapEnv(vars));
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(off->lookahead, absl::ZeroDuration());

  vars["CARECAST_PUBLISHER_LOOKAHEAD"] = "300ms";
  absl::StatusOr<PublisherConfig> refused = ReadPublisherConfig(common::MapEnv(vars));
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("CARECAST_PUBLISHER_LOOKAHEAD"));
}

TEST(PublisherConfigTest, EngagementCollectorSettings) {
  auto vars = Required();
  absl::StatusOr<PublisherConfig> defaults = ReadPublisherConfig(common::MapEnv(vars));
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->engagement_tick, absl::Seconds(30));
  EXPECT_EQ(defaults->engagement_schedule.max_age(), absl::Hours(24 * 28));
  EXPECT_EQ(defaults->engagement_account_reads_per_hour, 120);
  EXPECT_EQ(defaults->followers_interval, absl::Hours(6));

  vars["CARECAST_ENGAGEMENT_TICK"] = "0s";
  vars["CARECAST_ENGAGEMENT_SCHEDULE"] = "1h:5m,3d:6h";
  vars["CARECAST_ENGAGEMENT_ACCOUNT_READS_PER_HOUR"] = "30";
  vars["CARECAST_FOLLOWERS_INTERVAL"] = "24h";
  absl::StatusOr<PublisherConfig> set = ReadPublisherConfig(common::MapEnv(vars));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->engagement_tick, absl::ZeroDuration());
  EXPECT_EQ(set->engagement_schedule.max_age(), absl::Hours(72));
  EXPECT_EQ(set->engagement_account_reads_per_hour, 30);
  EXPECT_EQ(set->followers_interval, absl::Hours(24));

  vars["CARECAST_ENGAGEMENT_SCHEDULE"] = "3d:6h,1h:5m";
  vars["CARECAST_FOLLOWERS_INTERVAL"] = "10s";
  absl::StatusOr<PublisherConfig> refused = ReadPublisherConfig(common::MapEnv(vars));
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("CARECAST_ENGAGEMENT_SCHEDULE"));
  EXPECT_THAT(refused.status().message(), HasSubstr("CARECAST_FOLLOWERS_INTERVAL"));
}

TEST(PublisherConfigTest, ReportsEveryProblemAtOnce) {
  std::map<std::string, std::string, std::less<>> vars = {
      {"CARECAST_PUBLISHER_ID", "bad id!"},
      {"CARECAST_PUBLISHER_POLL_INTERVAL", "5s"},
      {"CARECAST_PUBLISHER_CLAIM_LEASE", "10ms"},
      {"CARECAST_PUBLISHER_MAX_ATTEMPTS", "0"},
      {"CARECAST_PUBLISHER_DISPATCH_CONCURRENCY", "0"},
      {"CARECAST_PUBLISHER_RETRY_BACKOFF", "10s"},
      {"CARECAST_PUBLISHER_MAX_RETRY_BACKOFF", "1s"},
      {"CARECAST_CHANNEL_TOKEN_SCAN_INTERVAL", "500ms"},
  };
  common::MapEnv env(vars);
  absl::StatusOr<PublisherConfig> config = ReadPublisherConfig(env);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  std::string message(config.status().message());
  for (const char* name :
       {"CARECAST_NATS_URL", "CARECAST_PUBLISHER_ID", "CARECAST_PUBLISHER_POLL_INTERVAL",
        "CARECAST_PUBLISHER_CLAIM_LEASE", "CARECAST_PUBLISHER_MAX_ATTEMPTS",
        "CARECAST_PUBLISHER_DISPATCH_CONCURRENCY", "CARECAST_PUBLISHER_MAX_RETRY_BACKOFF",
        "CARECAST_CHANNEL_TOKEN_SCAN_INTERVAL"}) {
    EXPECT_THAT(message, HasSubstr(name));
  }
}

}  // namespace
}  // namespace carecast::publisher
