#include "services/common/networks/channel_settings.h"

#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace carecast::common::networks {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Vars = std::map<std::string, std::string, std::less<>>;

absl::StatusOr<ChannelSettings> Read(Vars vars) {
  return ReadChannelSettings(MapEnv(std::move(vars)));
}

TEST(ChannelSettingsTest, WithNothingSetOnlyTheSandboxIsConfigured) {
  absl::StatusOr<ChannelSettings> settings = Read({});
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_TRUE(settings->endpoints.empty());
  EXPECT_TRUE(settings->Configured(v1::NETWORK_SANDBOX));
  EXPECT_FALSE(settings->Configured(v1::NETWORK_UNSPECIFIED));
  for (v1::Network network : AdapterNetworks()) EXPECT_FALSE(settings->Configured(network));
  EXPECT_EQ(settings->Endpoint(v1::NETWORK_SANDBOX), nullptr);
  EXPECT_THAT(settings->ConfiguredNames(), ElementsAre("sandbox"));
}

TEST(ChannelSettingsTest, VariableNamesFollowTheNetworkName) {
  EXPECT_EQ(BaseUrlVariable(v1::NETWORK_X), "CARECAST_CHANNEL_X_BASE_URL");
  EXPECT_EQ(BaseUrlVariable(v1::NETWORK_MASTODON), "CARECAST_CHANNEL_MASTODON_BASE_URL");
  EXPECT_EQ(TimeoutVariable(v1::NETWORK_WORDPRESS), "CARECAST_CHANNEL_WORDPRESS_TIMEOUT");
  EXPECT_THAT(AdapterNetworks(),
              ElementsAre(v1::NETWORK_X, v1::NETWORK_FACEBOOK, v1::NETWORK_LINKEDIN,
                          v1::NETWORK_INSTAGRAM, v1::NETWORK_MASTODON, v1::NETWORK_BLUESKY,
                          v1::NETWORK_WORDPRESS, v1::NETWORK_WEBHOOK));
}

TEST(ChannelSettingsTest, ABaseUrlConfiguresItsNetworkWithTheDefaultTimeout) {
  absl::StatusOr<ChannelSettings> settings =
      Read({{"CARECAST_CHANNEL_MASTODON_BASE_URL", "https://mastodon.example/"},
            {"CARECAST_CHANNEL_WORDPRESS_BASE_URL", "http://127.0.0.1:8080/blog//"},
            {"CARECAST_CHANNEL_WORDPRESS_TIMEOUT", "5s"},
            {"CARECAST_CHANNEL_X_BASE_URL", ""}});  // empty counts as unset
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_TRUE(settings->Configured(v1::NETWORK_MASTODON));
  EXPECT_TRUE(settings->Configured(v1::NETWORK_WORDPRESS));
  EXPECT_FALSE(settings->Configured(v1::NETWORK_X));
  const NetworkEndpoint* mastodon = settings->Endpoint(v1::NETWORK_MASTODON);
  ASSERT_NE(mastodon, nullptr);
  EXPECT_EQ(mastodon->base_url, "https://mastodon.example");
  EXPECT_EQ(mastodon->timeout, absl::Seconds(20));
  const NetworkEndpoint* wordpress = settings->Endpoint(v1::NETWORK_WORDPRESS);
  ASSERT_NE(wordpress, nullptr);
  EXPECT_EQ(wordpress->base_url, "http://127.0.0.1:8080/blog");
  EXPECT_EQ(wordpress->timeout, absl::Seconds(5));
  EXPECT_THAT(settings->ConfiguredNames(), ElementsAre("sandbox", "mastodon", "wordpress"));
}

TEST(ChannelSettingsTest, EveryNetworkCanBeConfigured) {
  Vars vars;
  for (v1::Network network : AdapterNetworks()) {
    vars[BaseUrlVariable(network)] = "https://api.example";
    vars[TimeoutVariable(network)] = "120s";
  }
  vars["CARECAST_CHANNEL_X_TIMEOUT"] = "1s";
  absl::StatusOr<ChannelSettings> settings = Read(vars);
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->endpoints.size(), AdapterNetworks().size());
  EXPECT_EQ(settings->Endpoint(v1::NETWORK_X)->timeout, absl::Seconds(1));
  EXPECT_EQ(settings->Endpoint(v1::NETWORK_BLUESKY)->timeout, absl::Seconds(120));
}

TEST(ChannelSettingsTest, ListsEveryProblemWithoutEchoingAUrl) {
  absl::StatusOr<ChannelSettings> settings =
      Read({{"CARECAST_CHANNEL_X_BASE_URL", "ftp://api.example"},
            {"CARECAST_CHANNEL_FACEBOOK_BASE_URL", "https://app:s3cret@graph.example"},
            {"CARECAST_CHANNEL_LINKEDIN_BASE_URL", "https://api.example"},
            {"CARECAST_CHANNEL_LINKEDIN_TIMEOUT", "0s"},
            {"CARECAST_CHANNEL_INSTAGRAM_BASE_URL", "https://graph.example"},
            {"CARECAST_CHANNEL_INSTAGRAM_TIMEOUT", "121s"},
            {"CARECAST_CHANNEL_BLUESKY_BASE_URL", "https://bsky.example"},
            {"CARECAST_CHANNEL_BLUESKY_TIMEOUT", "soon"},
            {"CARECAST_CHANNEL_WEBHOOK_TIMEOUT", "5s"},
            {"CARECAST_CHANNEL_MASTODON_BASE_URL", "https://"},
            {"CARECAST_CHANNEL_WORDPRESS_BASE_URL", "https://blog.example/#top"}});
  ASSERT_EQ(settings.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(settings.status().message());
  EXPECT_THAT(message,
              HasSubstr("CARECAST_CHANNEL_X_BASE_URL: must start with https:// or http://"));
  EXPECT_THAT(message, HasSubstr("CARECAST_CHANNEL_FACEBOOK_BASE_URL: must not carry credentials"));
  EXPECT_THAT(message, HasSubstr("CARECAST_CHANNEL_LINKEDIN_TIMEOUT: must be between 1s and 120s"));
  EXPECT_THAT(message,
              HasSubstr("CARECAST_CHANNEL_INSTAGRAM_TIMEOUT: must be between 1s and 120s"));
  EXPECT_THAT(message, HasSubstr("CARECAST_CHANNEL_BLUESKY_TIMEOUT: not a duration"));
  EXPECT_THAT(message, HasSubstr("CARECAST_CHANNEL_WEBHOOK_TIMEOUT: is set but "
                                 "CARECAST_CHANNEL_WEBHOOK_BASE_URL is not"));
  EXPECT_THAT(message, HasSubstr("CARECAST_CHANNEL_MASTODON_BASE_URL: has no host"));
  EXPECT_THAT(message, HasSubstr("CARECAST_CHANNEL_WORDPRESS_BASE_URL: must not have a #fragment"));
  EXPECT_THAT(message, Not(HasSubstr("s3cret")));
  EXPECT_THAT(message, Not(HasSubstr("graph.example")));
}

TEST(ChannelSettingsTest, ProblemsJoinTheServicesOtherConfigurationErrors) {
  MapEnv env(Vars{{"CARECAST_CHANNEL_X_BASE_URL", "api.x.com"}});
  ConfigReader reader(env);
  reader.RequiredString("CARECAST_NATS_URL");
  ChannelSettings settings = ReadChannelSettings(reader);
  EXPECT_FALSE(settings.Configured(v1::NETWORK_X));
  EXPECT_EQ(reader.Finish().message(),
            "CARECAST_NATS_URL: must be set; CARECAST_CHANNEL_X_BASE_URL: must start with "
            "https:// or http://");
}

}  // namespace
}  // namespace carecast::common::networks
