// The sandbox's audience file: what a demo or test says the sandbox "network"
// reports, read back through the sandbox channel as a network's answers.
#include "services/publisher/channels/sandbox_audience.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "services/common/base/clock.h"
#include "services/common/base/ids.h"
#include "services/publisher/channels/sandbox_channel.h"

namespace carecast::publisher {
namespace {

class SandboxAudienceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            absl::StrCat("carecast-audience-", common::NewId()))
               .string();
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  common::FakeClock clock_;
};

TEST_F(SandboxAudienceTest, TheLastLineWinsAndMissingFiguresAreNotReported) {
  ASSERT_TRUE(AppendSandboxEngagement(dir_, "x1", {.likes = 1, .impressions = 10}).ok());
  ASSERT_TRUE(
      AppendSandboxEngagement(dir_, "x1", {.likes = 4, .shares = 2, .impressions = 90}).ok());
  ASSERT_TRUE(AppendSandboxFollowers(dir_, "spokes/s/accounts/a", 100).ok());
  ASSERT_TRUE(AppendSandboxFollowers(dir_, "spokes/s/accounts/a", 130).ok());
  {
    std::ofstream torn(std::filesystem::path(dir_) / kSandboxAudienceFileName, std::ios::app);
    torn << "{\"external_id\": \"x2\", \"likes\": \n";  // a line that does not parse
  }
  absl::StatusOr<SandboxAudience> audience = ReadSandboxAudience(dir_);
  ASSERT_TRUE(audience.ok()) << audience.status();
  ASSERT_EQ(audience->posts.count("x1"), 1u);
  const Engagement& x1 = audience->posts.at("x1");
  EXPECT_EQ(x1.likes, 4);
  EXPECT_EQ(x1.shares, 2);
  EXPECT_EQ(x1.impressions, 90);
  EXPECT_EQ(x1.replies, -1);
  EXPECT_EQ(x1.clicks, -1);
  EXPECT_EQ(audience->posts.count("x2"), 0u);
  EXPECT_EQ(audience->followers.at("spokes/s/accounts/a"), 130);
}

TEST_F(SandboxAudienceTest, TheChannelAnswersFromTheFile) {
  auto channel = SandboxChannel::Open(dir_, "p1", clock_);
  ASSERT_TRUE(channel.ok()) << channel.status();
  absl::StatusOr<Engagement> unseen = (*channel)->ReadEngagement("spokes/s/accounts/a", "x9");
  ASSERT_TRUE(unseen.ok());
  EXPECT_EQ(unseen->impressions, 0) << "a post nobody has seen has true zeros";
  ASSERT_TRUE(AppendSandboxEngagement(dir_, "x9", {.impressions = 55, .clicks = 3}).ok());
  absl::StatusOr<Engagement> seen = (*channel)->ReadEngagement("spokes/s/accounts/a", "x9");
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->impressions, 55);
  EXPECT_EQ(seen->clicks, 3);
  ASSERT_TRUE(AppendSandboxDeleted(dir_, "x9").ok());
  EXPECT_EQ((*channel)->ReadEngagement("spokes/s/accounts/a", "x9").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(*(*channel)->ReadFollowers("spokes/s/accounts/a"), 0);
  ASSERT_TRUE(AppendSandboxFollowers(dir_, "spokes/s/accounts/a", 42).ok());
  EXPECT_EQ(*(*channel)->ReadFollowers("spokes/s/accounts/a"), 42);
}

}  // namespace
}  // namespace carecast::publisher
