// The automatic hold end to end, on real servers and processes: a strategist
// adds a crisis term to the tracked keywords at run time; three people post it
// within one spike interval; the metrics service raises a severe crisis alert
// when the interval closes; the planner, whose alert policy is on, holds
// publishing everywhere as its own service principal, audited; a person
// resumes. (The policy's rules have unit tests: tests/unit/planner.)
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include <gtest/gtest.h>

#include "carecast/v1/listener_service.grpc.pb.h"
#include "carecast/v1/planner_service.grpc.pb.h"

#include "tests/e2e/story/running_suite.h"
#include "tests/support/test_tokens.h"

namespace carecast::testing {
namespace {

using common::Role;
namespace v1 = carecast::v1;

class CrisisHoldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* binary : {"nats-server", "redis-server"})
      if (FindBinary(binary).empty())
        GTEST_FAIL() << binary << " is not installed (scripts/install-deps.sh)";
    auto suite = RunningSuite::Start({
        {"planner", {{"CARECAST_PLANNER_ALERT_HOLD", "global"}}},
        {"metrics",
         {{"CARECAST_CRISIS_TERMS", "evacuation"},
          {"CARECAST_SPIKE_INTERVAL", "1m"},
          {"CARECAST_SPIKE_TICK", "1s"}}},
    });
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = std::move(*suite);
    planner_ = v1::PlannerService::NewStub(suite_->service("planner").channel);
    listener_ = v1::ListenerService::NewStub(suite_->service("listener").channel);
  }

  v1::PublishingState State() {
    v1::GetPublishingStateRequest req;
    v1::GetPublishingStateResponse resp;
    EXPECT_TRUE(planner_->GetPublishingState(AuthedContext(sam_).get(), req, &resp).ok());
    return resp.state();
  }

  std::unique_ptr<RunningSuite> suite_;
  std::unique_ptr<v1::PlannerService::Stub> planner_;
  std::unique_ptr<v1::ListenerService::Stub> listener_;
  const std::string sam_ = TestTokens::Get().Mint("sam", {Role::kStrategist});
  const std::string hook_ = TestTokens::Get().Mint("social-webhook", {Role::kService});
};

TEST_F(CrisisHoldTest, ACrisisTermSpikeHoldsPublishingEverywhereUntilAPersonResumes) {
  // The crisis term is tracked from now on, without a restart.
  {
    v1::SetTrackedKeywordsRequest req;
    for (const char* k : {"st marys", "emergency room", "evacuation"}) req.add_keywords(k);
    req.set_request_id("e2e-keywords");
    v1::SetTrackedKeywordsResponse resp;
    auto st = listener_->SetTrackedKeywords(AuthedContext(sam_).get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  ASSERT_FALSE(State().held());
  for (int i = 1; i <= 3; ++i) {
    v1::CreateMentionRequest req;
    v1::Mention* m = req.mutable_mention();
    m->set_network(v1::NETWORK_X);
    m->set_external_id(absl::StrCat("crisis-", i));
    m->set_author_handle(absl::StrCat("@witness", i));
    m->set_text(absl::StrCat("Smoke over St Marys, is that an evacuation? (", i, ")"));
    v1::CreateMentionResponse resp;
    auto st = listener_->CreateMention(AuthedContext(hook_).get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    ASSERT_TRUE(absl::c_linear_search(resp.mention().classification().keywords(), "evacuation"))
        << "the keyword set at run time is not tracked";
  }
  // The interval closes within a minute; the alert and the hold follow at once.
  v1::PublishingState state;
  PollUntil(
      [&] {
        state = State();
        return state.held();
      },
      absl::Seconds(90));
  ASSERT_TRUE(state.held()) << "no automatic hold\n" << suite_->LogTails();
  EXPECT_EQ(state.changed_by(), "carecast-alert-policy");
  EXPECT_TRUE(absl::StartsWith(state.reason(), "automatic hold: alert ")) << state.reason();
  EXPECT_TRUE(absl::StrContains(state.reason(), "crisis:evacuation")) << state.reason();

  // Audited like a person's hold (the entry reaches the audit stream just
  // after the hold's write: the outbox flushes it).
  {
    v1::ListAuditEntriesResponse resp;
    PollUntil(
        [&] {
          v1::ListAuditEntriesRequest req;
          req.set_resource("publishing");
          resp.Clear();
          return planner_->ListAuditEntries(AuthedContext(sam_).get(), req, &resp).ok() &&
                 resp.entries_size() >= 1;
        },
        absl::Seconds(10));
    ASSERT_GE(resp.entries_size(), 1);
    const v1::AuditEntry& last = resp.entries(resp.entries_size() - 1);
    EXPECT_EQ(last.action(), "publishing.hold");
    EXPECT_EQ(last.actor(), "carecast-alert-policy");
    EXPECT_EQ(last.role(), "service");
  }

  // A person resumes; the same alert never holds again.
  {
    v1::ResumePublishingRequest req;
    req.set_request_id("e2e-resume");
    v1::ResumePublishingResponse resp;
    auto st = planner_->ResumePublishing(AuthedContext(sam_).get(), req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  absl::SleepFor(absl::Seconds(3));
  EXPECT_FALSE(State().held());
}

}  // namespace
}  // namespace carecast::testing
