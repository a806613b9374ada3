// The engagement collector on real processes: a published sandbox post's
// readings reach the bus with what the "network" reports, and keep coming
// after the publisher is SIGKILLed and restarted and after Redis is wiped
// (the schedule heals from KV); a post the network deleted is announced once
// and read no more; follower counts are read per account.
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "carecast/v1/events.pb.h"
#include "carecast/v1/planner_service.grpc.pb.h"

#include "services/common/bus/subjects.h"
#include "services/publisher/channels/sandbox_audience.h"
#include "tests/fault/fault_test.h"

namespace carecast::testing {
namespace {

constexpr char kAccount[] = "spokes/st-marys/accounts/sandbox-main";

class EngagementFaultTest : public FaultTest {
 protected:
  // A reading two seconds after publishing, then every two seconds for a
  // minute; a tick every second.
  const Env kCollector = {{"CARECAST_ENGAGEMENT_TICK", "1s"},
                          {"CARECAST_ENGAGEMENT_SCHEDULE", "1m:2s,5m:10s"},
                          {"CARECAST_FOLLOWERS_INTERVAL", "1m"},
                          {"CARECAST_INDEX_RECONCILE_PERIOD", "1s"}};

  void SetUp() override {
    FaultTest::SetUp();
    if (HasFatalFailure()) return;
    auto planner = Start(kPlannerBinary);
    ASSERT_TRUE(planner.ok()) << planner.status();
    planner_ = *std::move(planner);
    stub_ = v1::PlannerService::NewStub(ChannelTo(planner_));
    ASSERT_TRUE(CreateSandboxAccount(*stub_).ok());
    StartPublisher();
  }

  void StartPublisher() {
    Env env = kCollector;
    env["CARECAST_PUBLISHER_ID"] = "publisher-1";
    auto publisher = Start(kPublisherBinary, env);
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    publisher_ = *std::move(publisher);
  }

  std::vector<v1::EngagementObserved> Readings(const std::string& post) {
    std::vector<v1::EngagementObserved> out;
    CountEvents<v1::EngagementObserved>(common::subjects::kEngagementObserved,
                                        [&](const v1::EngagementObserved& observed) {
                                          if (observed.post() == post) out.push_back(observed);
                                          return false;
                                        });
    return out;
  }

  // Follower readings of the sandbox account with `followers`.
  int FollowerReadings(int64_t followers) {
    return CountEvents<v1::FollowersObserved>(
        common::subjects::kFollowersObserved, [&](const v1::FollowersObserved& f) {
          return f.account() == kAccount && f.followers() == followers;
        });
  }

  // Waits for a reading of `post` with `impressions`; false after `timeout`.
  bool WaitForImpressions(const std::string& post, int64_t impressions, absl::Duration timeout) {
    return PollUntil(
        [&] {
          for (const v1::EngagementObserved& r : Readings(post))
            if (r.impressions() == impressions && !r.deleted()) return true;
          return false;
        },
        timeout);
  }

  ServiceProcess planner_;
  ServiceProcess publisher_;
  std::unique_ptr<v1::PlannerService::Stub> stub_;
};

TEST_F(EngagementFaultTest, ReadingsSurviveAKilledPublisherAndAWipedRedis) {
  auto content = CreateApprovedContent(*stub_, "Flu shots at St Mary, weekdays 8-6.");
  ASSERT_TRUE(content.ok()) << content.status();
  auto post = Schedule(*stub_, *content, absl::Now() + absl::Seconds(3), "engagement-1");
  ASSERT_TRUE(post.ok()) << post.status();
  const v1::Post published =
      WaitForPostState(*stub_, post->name(), v1::POST_STATE_PUBLISHED, absl::Seconds(20));
  ASSERT_EQ(published.state(), v1::POST_STATE_PUBLISHED);
  ASSERT_FALSE(published.external_id().empty());

  ASSERT_TRUE(publisher::AppendSandboxEngagement(
                  sandbox_dir(), published.external_id(),
                  {.likes = 5, .shares = 1, .replies = 0, .impressions = 100, .clicks = 2})
                  .ok());
  ASSERT_TRUE(publisher::AppendSandboxFollowers(sandbox_dir(), kAccount, 700).ok());
  ASSERT_TRUE(WaitForImpressions(post->name(), 100, absl::Seconds(20)))
      << "no reading with the network's figures";
  const v1::EngagementObserved first = Readings(post->name()).back();
  EXPECT_EQ(first.likes(), 5);
  EXPECT_EQ(first.clicks(), 2);
  EXPECT_EQ(first.account(), kAccount);
  EXPECT_EQ(first.external_id(), published.external_id());
  std::cout << "found: a reading with 100 impressions, 5 likes, 2 clicks\n";
  // The account was read once at start, before the "network" said anything.
  EXPECT_GE(FollowerReadings(0), 1) << "no follower reading at start";

  publisher_.process->Kill();
  std::cout << "did: SIGKILLed the publisher\n";
  ASSERT_TRUE(publisher::AppendSandboxEngagement(sandbox_dir(), published.external_id(),
                                                 {.impressions = 250})
                  .ok());
  ASSERT_NO_FATAL_FAILURE(StartPublisher());
  EXPECT_TRUE(WaitForImpressions(post->name(), 250, absl::Seconds(20)))
      << "readings stopped after the restart";
  std::cout << "found: readings went on after the restart (250 impressions)\n";

  ASSERT_TRUE(redis_server_->Command({"FLUSHALL"}).ok());
  std::cout << "did: FLUSHALL on Redis\n";
  ASSERT_TRUE(publisher::AppendSandboxEngagement(sandbox_dir(), published.external_id(),
                                                 {.impressions = 400})
                  .ok());
  EXPECT_TRUE(WaitForImpressions(post->name(), 400, absl::Seconds(20)))
      << "readings stopped after Redis was wiped";
  std::cout << "found: the schedule healed from KV (400 impressions)\n";
  // The wiped follower schedule was rebuilt too, due at once.
  EXPECT_TRUE(PollUntil([&] { return FollowerReadings(700) >= 1; }, absl::Seconds(20)))
      << "no follower reading after the wipe";
  std::cout << "found: the account's 700 followers read after the wipe\n";

  ASSERT_TRUE(publisher::AppendSandboxDeleted(sandbox_dir(), published.external_id()).ok());
  std::cout << "did: deleted the post on the network\n";
  ASSERT_TRUE(PollUntil(
      [&] {
        for (const v1::EngagementObserved& r : Readings(post->name()))
          if (r.deleted()) return true;
        return false;
      },
      absl::Seconds(20)));
  const size_t after_delete = Readings(post->name()).size();
  absl::SleepFor(absl::Seconds(12));  // past a reconciliation (10 s here)
  int deleted_readings = 0;
  for (const v1::EngagementObserved& r : Readings(post->name())) deleted_readings += r.deleted();
  EXPECT_EQ(deleted_readings, 1) << "a deleted post was announced again";
  EXPECT_EQ(Readings(post->name()).size(), after_delete) << "a deleted post was read again";
  std::cout << "found: " << after_delete << " readings in all, the last one 'deleted'\n";
}

}  // namespace
}  // namespace carecast::testing
