// The planner SIGKILLed in the middle of a write, restarted, and what people see
// afterwards: the scheduled post still goes out on time and exactly once, an
// approval and a publishing hold survive, each with its event and audit entry once.
#include <cctype>
#include <functional>
#include <ostream>
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
    ExpectPublishedOnTimeOnce(post, publish_time);
  }

  // `post` goes out on time, the sandbox is called once for it, the bus carries
  // each of its facts once and its audit trail holds the schedule once, linked.
  void ExpectPublishedOnTimeOnce(const std::string& post, absl::Time publish_time) {
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
    EXPECT_EQ(WaitForNoOutboxMarkers(), 0) << "nothing may be left owing";
  }

  ServiceProcess planner_;
  ServiceProcess publisher_;
  std::unique_ptr<v1::PlannerService::Stub> stub_;
};

// SchedulePost killed at each of the entity store's steps in the posts bucket.
struct ScheduleStep {
  std::string fault;            // CARECAST_FAULT_AT
  std::string name;             // the step it names
  int scheduled_events_before;  // carecast.post.scheduled on the bus at the kill
};
void PrintTo(const ScheduleStep& step, std::ostream* os) { *os << step.fault; }

class SchedulePostFaultTest : public PlannerFaultTest,
                              public ::testing::WithParamInterface<ScheduleStep> {};

TEST_P(SchedulePostFaultTest, PostIsPublishedOnTimeExactlyOnceAfterARestart) {
  ScheduleKilledAt(GetParam().fault, GetParam().name, GetParam().scheduled_events_before);
}

INSTANTIATE_TEST_SUITE_P(
    Steps, SchedulePostFaultTest,
    ::testing::Values(
        // The marker is written, the post is not: the retry creates it.
        ScheduleStep{"carecast_posts:after_marker", "carecast_posts:after_marker", 0},
        // The post and its outbox are committed, nothing is published.
        ScheduleStep{"carecast_posts:after_write", "carecast_posts:after_write", 0},
        // The event is out, its audit entry is not.
        ScheduleStep{"carecast_posts:after_flush_item#1", "carecast_posts:after_flush_item", 1},
        // Everything is out, the outbox is not cleared: the relay must not repeat it.
        ScheduleStep{"carecast_posts:after_flush", "carecast_posts:after_flush", 1}),
    [](const ::testing::TestParamInfo<ScheduleStep>& info) {
      std::string name;
      for (char c : info.param.fault) name.push_back(std::isalnum(c) ? c : '_');
      return name;
    });

TEST_F(PlannerFaultTest, CreateSpokeKilledAfterWriteIsThereOnceAndARetryReturnsIt) {
  ASSERT_NO_FATAL_FAILURE(StartPlannerWithFault("carecast_organisation:after_write"));
  v1::CreateSpokeRequest req;
  req.mutable_spoke()->set_display_name("St Mary Hospital");
  req.set_request_id("create-st-marys");
  v1::CreateSpokeResponse lost;
  EXPECT_FALSE(stub_->CreateSpoke(Context(sam_).get(), req, &lost).ok())
      << "the planner was to die inside CreateSpoke";
  ASSERT_NO_FATAL_FAILURE(RestartPlanner("carecast_organisation:after_write", [&] {
    EXPECT_TRUE(EventsOn(subjects::kSpokeCreated).empty());
  }));

  v1::CreateSpokeResponse retried;
  grpc::Status s = stub_->CreateSpoke(Context(sam_).get(), req, &retried);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const std::string spoke = retried.spoke().name();
  v1::ListSpokesResponse listed;
  ASSERT_TRUE(stub_->ListSpokes(Context(sam_).get(), v1::ListSpokesRequest(), &listed).ok());
  ASSERT_EQ(listed.spokes_size(), 1);
  EXPECT_EQ(listed.spokes(0).name(), spoke);
  EXPECT_EQ(listed.spokes(0).display_name(), "St Mary Hospital");
  EXPECT_EQ(WaitForCount([&] { return static_cast<int>(EventsOn(subjects::kSpokeCreated).size()); },
                         1, absl::Seconds(10)),
            1);
  std::vector<v1::AuditEntry> audit;
  PollUntil(
      [&] {
        audit = AuditOf(*stub_, spoke);
        return !audit.empty();
      },
      absl::Seconds(10));
  EXPECT_EQ(CountActions(audit, "spoke.create"), 1);
  EXPECT_TRUE(CheckAuditChain(audit).ok()) << CheckAuditChain(audit);
}

TEST_F(PlannerFaultTest, CreateObjectiveKilledAfterWriteIsThereOnceAndARetryReturnsIt) {
  ASSERT_NO_FATAL_FAILURE(StartPlannerWithFault("carecast_objectives:after_write"));
  v1::CreateObjectiveRequest req;
  req.set_request_id("create-flu-objective");
  v1::Objective* o = req.mutable_objective();
  o->set_display_name("Flu-shot awareness");
  o->set_kpi(v1::KPI_POSTS_PUBLISHED);
  o->set_target(2);
  *o->mutable_start_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::Now()));
  *o->mutable_end_time() =
      TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::Now() + absl::Hours(24)));
  o->set_network(v1::NETWORK_SANDBOX);
  v1::CreateObjectiveResponse lost;
  EXPECT_FALSE(stub_->CreateObjective(Context(sam_).get(), req, &lost).ok())
      << "the planner was to die inside CreateObjective";
  ASSERT_NO_FATAL_FAILURE(RestartPlanner("carecast_objectives:after_write", [&] {
    EXPECT_TRUE(EventsOn(subjects::kObjectiveCreated).empty());
  }));

  v1::CreateObjectiveResponse retried;
  grpc::Status s = stub_->CreateObjective(Context(sam_).get(), req, &retried);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const std::string objective = retried.objective().name();
  v1::ListObjectivesResponse listed;
  ASSERT_TRUE(
      stub_->ListObjectives(Context(sam_).get(), v1::ListObjectivesRequest(), &listed).ok());
  ASSERT_EQ(listed.objectives_size(), 1);
  EXPECT_EQ(listed.objectives(0).name(), objective);
  EXPECT_EQ(
      WaitForCount([&] { return static_cast<int>(EventsOn(subjects::kObjectiveCreated).size()); },
                   1, absl::Seconds(10)),
      1);
  std::vector<v1::AuditEntry> audit;
  PollUntil(
      [&] {
        audit = AuditOf(*stub_, objective);
        return !audit.empty();
      },
      absl::Seconds(10));
  EXPECT_EQ(CountActions(audit, "objective.create"), 1);
  EXPECT_TRUE(CheckAuditChain(audit).ok()) << CheckAuditChain(audit);
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
  EXPECT_EQ(WaitForNoOutboxMarkers(), 0) << "nothing may be left owing";
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
  EXPECT_EQ(WaitForNoOutboxMarkers(), 0) << "nothing may be left owing";
}

}  // namespace
}  // namespace carecast::testing
