// The planner SIGKILLed in the middle of a write, restarted, and what people see
// afterwards: the scheduled post still goes out on time and exactly once, an
// approval and a publishing hold survive, each with its event and audit entry once.
#include <functional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include "carecast/v1/events.pb.h"
#include "carecast/v1/planner_service.grpc.pb.h"

#include "services/common/bus/subjects.h"
#include "tests/fault/fault_test.h"

namespace carecast::testing {
namespace {

namespace subjects = common::subjects;
using google::protobuf::util::TimeUtil;

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(t));
}

int CountActions(const std::vector<v1::AuditEntry>& entries, std::string_view action) {
  int n = 0;
  for (const auto& e : entries) n += e.action() == action;
  return n;
}

class PlannerFaultTest : public FaultTest {
 protected:
  // The publisher that must send what the planner scheduled.
  void StartPublisher() {
    auto publisher = Start(kPublisherBinary, {{"CARECAST_PUBLISHER_ID", "publisher-1"}});
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    publisher_ = *std::move(publisher);
  }
  void StartPlannerWithFault(const std::string& step) {
    auto planner = StartWithFault(kPlannerBinary, step);
    ASSERT_TRUE(planner.ok()) << planner.status();
    planner_ = *std::move(planner);
    stub_ = v1::PlannerService::NewStub(ChannelTo(planner_));
  }
  // Checks the planner died at `step`, runs `while_down`, and starts it again.
  void RestartPlanner(std::string_view step, const std::function<void()>& while_down = {}) {
    absl::Status killed = ExpectKilledAt(planner_, step);
    ASSERT_TRUE(killed.ok()) << killed;
    if (while_down) while_down();
    auto planner = Start(kPlannerBinary);
    ASSERT_TRUE(planner.ok()) << planner.status();
    planner_ = *std::move(planner);
    stub_ = v1::PlannerService::NewStub(ChannelTo(planner_));
  }

  int ScheduledEvents(const std::string& post) {
    return CountEvents<v1::PostChanged>(subjects::kPostScheduled, [&](const v1::PostChanged& e) {
      return e.post().name() == post;
    });
  }
  int PublishedEvents(const std::string& post) {
    return CountEvents<v1::PostPublished>(
        subjects::kPostPublished,
        [&](const v1::PostPublished& e) { return e.post().name() == post; });
  }

  // SchedulePost dies at `fault` (`step` without "#n"); after a restart the post
  // goes out on time, once, with one scheduled event and one schedule entry.
  void ScheduleKilledAt(const std::string& fault, std::string_view step,
                        int scheduled_events_before_restart) {
    ASSERT_NO_FATAL_FAILURE(StartPublisher());
    ASSERT_NO_FATAL_FAILURE(StartPlannerWithFault(fault));
    ASSERT_TRUE(CreateSandboxAccount(*stub_).ok());
    auto content = CreateApprovedContent(*stub_, "Walk-in flu shots at St Mary, weekdays 8-6.");
    ASSERT_TRUE(content.ok()) << content.status();

    const absl::Time publish_time = absl::Now() + absl::Seconds(6);
    const std::string request_id = "schedule-flu-post-1";
    auto lost = Schedule(*stub_, *content, publish_time, request_id);
    EXPECT_FALSE(lost.ok()) << "the planner was to die inside SchedulePost";
    ASSERT_NO_FATAL_FAILURE(RestartPlanner(step, [&] {
      // What reached the bus before the kill: nothing, or the event alone.
      EXPECT_EQ(static_cast<int>(EventsOn(subjects::kPostScheduled).size()),
                scheduled_events_before_restart);
    }));

    // The caller retries the same request: it gets the same post, not a second one.
    auto retried = Schedule(*stub_, *content, publish_time, request_id);
    ASSERT_TRUE(retried.ok()) << retried.status();
    const std::string post = retried->name();
    EXPECT_EQ(retried->state(), v1::POST_STATE_SCHEDULED);

    const v1::Post published = WaitForPostState(*stub_, post, v1::POST_STATE_PUBLISHED,
                                                publish_time - absl::Now() + absl::Seconds(20));
    ASSERT_EQ(published.state(), v1::POST_STATE_PUBLISHED) << published.DebugString();
    const absl::Duration late =
        FromProto(published.published_time()) - FromProto(published.publish_time());
    EXPECT_GE(late, absl::ZeroDuration()) << "published before its time";
    EXPECT_LT(late, absl::Seconds(3) + kRelayPeriod) << "published late";
    RecordProperty("published_after_publish_time_ms", absl::ToInt64Milliseconds(late));

    // The sandbox was called once for it, and the bus carries each fact once.
    auto calls = SandboxCallsFor(post);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].result, "delivered");
    EXPECT_FALSE(calls[0].repeat);
    EXPECT_EQ(WaitForCount([&] { return PublishedEvents(post); }, 1, absl::Seconds(5)), 1);
    EXPECT_EQ(ScheduledEvents(post), 1);

    // The audit trail holds the schedule once, then the publish, linked.
    std::vector<v1::AuditEntry> audit;
    PollUntil(
        [&] {
          audit = AuditOf(*stub_, post);
          return CountActions(audit, "post.publish") >= 1;
        },
        absl::Seconds(5));
    EXPECT_EQ(CountActions(audit, "post.schedule"), 1);
    EXPECT_EQ(CountActions(audit, "post.publish"), 1);
    ASSERT_FALSE(audit.empty());
    EXPECT_EQ(audit[0].action(), "post.schedule");
    EXPECT_EQ(audit[0].actor(), "paul");
    EXPECT_TRUE(CheckAuditChain(audit).ok()) << CheckAuditChain(audit);
  }

  ServiceProcess planner_;
  ServiceProcess publisher_;
  std::unique_ptr<v1::PlannerService::Stub> stub_;
};

TEST_F(PlannerFaultTest, SchedulePostKilledAfterWriteIsPublishedOnTimeExactlyOnce) {
  ScheduleKilledAt("carecast_posts:after_write", "carecast_posts:after_write", 0);
}

TEST_F(PlannerFaultTest, SchedulePostKilledBetweenEventAndAuditIsPublishedOnTimeExactlyOnce) {
  ScheduleKilledAt("carecast_posts:after_flush_item#1", "carecast_posts:after_flush_item", 1);
}

TEST_F(PlannerFaultTest, ApproveContentKilledAfterWriteStaysApprovedWithItsEventAndAudit) {
  // The contents bucket's writes with events: create (1), submit (2), approve (3).
  ASSERT_NO_FATAL_FAILURE(StartPlannerWithFault("carecast_contents:after_write#3"));
  ASSERT_TRUE(CreateSandboxAccount(*stub_).ok());
  auto content = CreateSubmittedContent(*stub_, "Walk-in flu shots at St Mary, weekdays 8-6.");
  ASSERT_TRUE(content.ok()) << content.status();
  EXPECT_FALSE(Approve(*stub_, *content).ok()) << "the planner was to die inside ApproveContent";
  ASSERT_NO_FATAL_FAILURE(RestartPlanner("carecast_contents:after_write", [&] {
    EXPECT_TRUE(EventsOn(subjects::kContentApproved).empty());
  }));

  auto approved_events = [&] {
    return CountEvents<v1::ContentChanged>(
        subjects::kContentApproved,
        [&](const v1::ContentChanged& e) { return e.content().name() == *content; });
  };
  v1::GetContentRequest get;
  get.set_name(*content);
  v1::GetContentResponse got;
  ASSERT_TRUE(stub_->GetContent(Context(rita_).get(), get, &got).ok());
  EXPECT_EQ(got.content().state(), v1::CONTENT_STATE_APPROVED);
  EXPECT_EQ(got.content().approval().version(), 1);

  EXPECT_EQ(WaitForCount(approved_events, 1, absl::Seconds(10)), 1);
  std::vector<v1::AuditEntry> audit;
  PollUntil(
      [&] {
        audit = AuditOf(*stub_, *content);
        return CountActions(audit, "content.approve") >= 1;
      },
      absl::Seconds(10));
  EXPECT_EQ(CountActions(audit, "content.approve"), 1);
  ASSERT_GE(audit.size(), 3u);
  EXPECT_EQ(audit.back().action(), "content.approve");
  EXPECT_EQ(audit.back().actor(), "rita");
  EXPECT_TRUE(CheckAuditChain(audit).ok()) << CheckAuditChain(audit);

  // The approval counts: the content can be scheduled.
  auto post = Schedule(*stub_, *content, absl::Now() + absl::Minutes(10));
  EXPECT_TRUE(post.ok()) << post.status();
  EXPECT_EQ(approved_events(), 1);
}

TEST_F(PlannerFaultTest, HoldPublishingKilledAfterWriteHoldsDuePostsAndIsAnnounced) {
  ASSERT_NO_FATAL_FAILURE(StartPublisher());
  ASSERT_NO_FATAL_FAILURE(StartPlannerWithFault("carecast_control:after_write"));
  ASSERT_TRUE(CreateSandboxAccount(*stub_).ok());
  auto content = CreateApprovedContent(*stub_, "Walk-in flu shots at St Mary, weekdays 8-6.");
  ASSERT_TRUE(content.ok()) << content.status();
  {
    v1::HoldPublishingRequest hold;
    hold.set_reason("drill");
    v1::HoldPublishingResponse resp;
    EXPECT_FALSE(stub_->HoldPublishing(Context(sam_).get(), hold, &resp).ok())
        << "the planner was to die inside HoldPublishing";
  }
  ASSERT_NO_FATAL_FAILURE(RestartPlanner("carecast_control:after_write", [&] {
    EXPECT_TRUE(EventsOn(subjects::kPublishingHeld).empty());
  }));

  v1::GetPublishingStateResponse state;
  ASSERT_TRUE(
      stub_->GetPublishingState(Context(paul_).get(), v1::GetPublishingStateRequest(), &state)
          .ok());
  EXPECT_TRUE(state.state().held());
  EXPECT_EQ(state.state().reason(), "drill");
  EXPECT_EQ(
      WaitForCount([&] { return static_cast<int>(EventsOn(subjects::kPublishingHeld).size()); }, 1,
                   absl::Seconds(10)),
      1);

  // A post falling due during the hold waits.
  const absl::Time publish_time = absl::Now() + absl::Seconds(2);
  auto post = Schedule(*stub_, *content, publish_time);
  ASSERT_TRUE(post.ok()) << post.status();
  const bool moved = PollUntil(
      [&] {
        return !SandboxCallsFor(post->name()).empty() ||
               WaitForPostState(*stub_, post->name(), v1::POST_STATE_SCHEDULED,
                                absl::ZeroDuration())
                       .state() != v1::POST_STATE_SCHEDULED;
      },
      publish_time - absl::Now() + absl::Seconds(3));
  EXPECT_FALSE(moved) << "a post went out while publishing was held";
  EXPECT_TRUE(SandboxCallsFor(post->name()).empty());

  // Resumed, it goes out once.
  v1::ResumePublishingResponse resumed;
  ASSERT_TRUE(
      stub_->ResumePublishing(Context(sam_).get(), v1::ResumePublishingRequest(), &resumed).ok());
  EXPECT_EQ(
      WaitForPostState(*stub_, post->name(), v1::POST_STATE_PUBLISHED, absl::Seconds(15)).state(),
      v1::POST_STATE_PUBLISHED);
  EXPECT_EQ(SandboxCallsFor(post->name()).size(), 1u);
  EXPECT_EQ(EventsOn(subjects::kPublishingHeld).size(), 1u);
}

}  // namespace
}  // namespace carecast::testing
