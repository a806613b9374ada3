// The sources file: a valid file reads as written with each kind's defaults,
// and every mistake is named by source and field.
#include "services/listener/sources_config.h"

#include <string>

#include <gtest/gtest.h>

namespace carecast::listener {
namespace {

TEST(SourcesConfigTest, AValidFileReadsWithEachKindsDefaults) {
  auto specs = ParseSourcesConfig(R"({"sources": [
    {"name": "mastodon-main", "kind": "mastodon_notifications",
     "url": "https://social.example.org", "token_file": "/run/secrets/m",
     "account": "spokes/hub/accounts/mastodon"},
    {"name": "x-brand", "kind": "x_recent_search", "url": "http://127.0.0.1:9",
     "token_file": "/run/secrets/x", "query": "@OurHospital -is:retweet", "period": "90s"},
    {"name": "bluesky", "kind": "bluesky_jetstream", "url": "wss://jet.example/subscribe",
     "watch_dids": ["did:plc:abc", "did:web:example.org"]}]})");
  ASSERT_TRUE(specs.ok()) << specs.status();
  ASSERT_EQ(specs->size(), 3u);
  EXPECT_EQ((*specs)[0].kind, kMastodonNotificationsKind);
  EXPECT_EQ((*specs)[0].account, "spokes/hub/accounts/mastodon");
  EXPECT_EQ((*specs)[0].period, absl::Seconds(30));
  EXPECT_EQ((*specs)[1].query, "@OurHospital -is:retweet");
  EXPECT_EQ((*specs)[1].period, absl::Seconds(90));
  EXPECT_EQ((*specs)[2].watch_dids.size(), 2u);
  EXPECT_EQ((*specs)[2].period, absl::Seconds(2));
  EXPECT_TRUE(ParseSourcesConfig(R"({"sources": []})").ok());
}

TEST(SourcesConfigTest, EveryMistakeIsNamedBySourceAndField) {
  auto specs = ParseSourcesConfig(R"({"sources": [
    {"name": "Bad Name", "kind": "mastodon_notifications", "url": "ftp://x"},
    {"name": "x", "kind": "x_recent_search", "url": "https://api", "token_file": "/t"},
    {"name": "b", "kind": "bluesky_jetstream", "url": "https://not-ws", "watch_dids": ["abc"],
     "token_file": "/t", "period": "0s"},
    {"name": "x", "kind": "telegram", "url": "https://t", "colour": "blue"}]})");
  ASSERT_FALSE(specs.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(specs.status()));
  const std::string message(specs.status().message());
  for (const char* expected :
       {"sources[0].name", "sources[0].url", "sources[0].token_file", "sources[1].query",
        "sources[2].url", "sources[2].watch_dids", "sources[2].token_file", "sources[2].period",
        "sources[3].kind", "sources[3].colour: unknown field",
        "sources[3].name: \"x\" is used by an earlier source"}) {
    EXPECT_NE(message.find(expected), std::string::npos) << expected << " in " << message;
  }
  EXPECT_FALSE(ParseSourcesConfig("not json").ok());
  EXPECT_FALSE(ParseSourcesConfig(R"({"sources": {}})").ok());
  EXPECT_FALSE(ParseSourcesConfig(R"({"sources": [], "extra": 1})").ok());
  EXPECT_FALSE(ParseSourcesConfig(
                   R"({"sources": [{"name": "m", "kind": "mastodon_notifications",
                       "url": "https://m", "token_file": "/t", "account": "spokes/a"}]})")
                   .ok());
}

}  // namespace
}  // namespace carecast::listener
