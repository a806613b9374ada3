// The publisher SIGKILLed around the channel call and around recording its
// outcome, restarted, and what people see afterwards: the post published once
// (the sandbox counted one call), its outcome announced once, and a post whose
// outcome is unknown raised to the needs-human figure the alert watches.
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "carecast/v1/events.pb.h"
#include "carecast/v1/planner_service.grpc.pb.h"

#include "services/common/bus/subjects.h"
#include "services/publisher/channels/sandbox_channel.h"
#include "tests/fault/fault_test.h"

namespace carecast::testing {
namespace {

namespace subjects = common::subjects;

// The series the CareCastPostsNeedHuman alert reads (deploy/monitoring/rules).
constexpr char kNeedsHumanSeries[] = "carecast_posts_needing_human{network=\"sandbox\"}";

class PublisherFaultTest : public FaultTest {
 protected:
  void SetUp() override {
    FaultTest::SetUp();
    if (HasFatalFailure()) return;
    auto planner = Start(kPlannerBinary);
    ASSERT_TRUE(planner.ok()) << planner.status();
    planner_ = *std::move(planner);
    stub_ = v1::PlannerService::NewStub(ChannelTo(planner_));
    ASSERT_TRUE(CreateSandboxAccount(*stub_).ok());
  }

  static Env PublisherEnv() {
    // A short lease so an abandoned claim is reconciled within the test.
    return {{"CARECAST_PUBLISHER_ID", "publisher-1"},
            {"CARECAST_PUBLISHER_CLAIM_LEASE", absl::FormatDuration(kClaimLease)}};
  }
  // `extra` is added to PublisherEnv() for this start and every restart.
  void StartPublisherWithFault(const std::string& step, const Env& extra = {}) {
    env_ = PublisherEnv();
    for (const auto& [name, value] : extra) env_[name] = value;
    auto publisher = StartWithFault(kPublisherBinary, step, env_);
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    publisher_ = *std::move(publisher);
  }
  // Checks the publisher died at `step`, runs `while_down`, and starts it again.
  void RestartPublisher(std::string_view step, const std::function<void()>& while_down = {}) {
    absl::Status killed = ExpectKilledAt(publisher_, step);
    ASSERT_TRUE(killed.ok()) << killed;
    if (while_down) while_down();
    auto publisher = Start(kPublisherBinary, env_.empty() ? PublisherEnv() : env_);
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    publisher_ = *std::move(publisher);
  }
  // Approved content with `text`, scheduled two seconds ahead; the post's name.
  std::string ScheduleSoon(const std::string& text) {
    auto content = CreateApprovedContent(*stub_, text);
    EXPECT_TRUE(content.ok()) << content.status();
    if (!content.ok()) return "";
    auto post = Schedule(*stub_, *content, absl::Now() + absl::Seconds(2));
    EXPECT_TRUE(post.ok()) << post.status();
    return post.ok() ? post->name() : "";
  }
  v1::Post GetPost(const std::string& post) {
    return WaitForPostState(*stub_, post, v1::POST_STATE_UNSPECIFIED, absl::ZeroDuration());
  }
  int PublishedEvents(const std::string& post) {
    return CountEvents<v1::PostPublished>(
        subjects::kPostPublished,
        [&](const v1::PostPublished& e) { return e.post().name() == post; });
  }
  int FailedEvents(const std::string& post, v1::PostState state) {
    return CountEvents<v1::PostFailed>(subjects::kPostFailed, [&](const v1::PostFailed& e) {
      return e.post().name() == post && e.post().state() == state;
    });
  }
  // The external ids the sandbox recorded for `post` (deliveries.jsonl).
  std::vector<std::string> DeliveredIds(const std::string& post) {
    std::ifstream in(std::filesystem::path(sandbox_dir()) / "deliveries.jsonl");
    std::vector<std::string> ids;
    for (std::string line; std::getline(in, line);) {
      auto record = publisher::DeliveryFromJsonLine(line);
      if (record.ok() && record->post == post) ids.push_back(record->external_id);
    }
    return ids;
  }
  // Exactly one Publish call for `post`, with `result`, and no repeat.
  void ExpectOneCall(const std::string& post, const std::string& result) {
    auto calls = SandboxCallsFor(post);
    ASSERT_EQ(calls.size(), 1u) << "the sandbox counts every call; a second one is a double send";
    EXPECT_EQ(calls[0].result, result);
    EXPECT_FALSE(calls[0].repeat);
    EXPECT_EQ(calls[0].publisher_id, "publisher-1");
  }

  static constexpr absl::Duration kClaimLease = absl::Seconds(2);
  ServiceProcess planner_;
  ServiceProcess publisher_;
  Env env_;  // the publisher's environment, kept for restarts
  std::unique_ptr<v1::PlannerService::Stub> stub_;
};

TEST_F(PublisherFaultTest, KilledAfterClaimIsReconciledAndPublishedOnce) {
  ASSERT_NO_FATAL_FAILURE(StartPublisherWithFault("publisher:after_claim"));
  const std::string post = ScheduleSoon("Walk-in flu shots at St Mary, weekdays 8-6.");
  ASSERT_FALSE(post.empty());
  ASSERT_NO_FATAL_FAILURE(RestartPublisher("publisher:after_claim", [&] {
    EXPECT_TRUE(SandboxCallsFor(post).empty()) << "killed before the channel call";
    EXPECT_EQ(GetPost(post).state(), v1::POST_STATE_PUBLISHING);
  }));

  const v1::Post published =
      WaitForPostState(*stub_, post, v1::POST_STATE_PUBLISHED, kClaimLease + absl::Seconds(15));
  ASSERT_EQ(published.state(), v1::POST_STATE_PUBLISHED) << published.DebugString();
  ExpectOneCall(post, "delivered");
  EXPECT_EQ(DeliveredIds(post), std::vector<std::string>{published.external_id()});
  EXPECT_EQ(WaitForCount([&] { return PublishedEvents(post); }, 1, absl::Seconds(5)), 1);
}

TEST_F(PublisherFaultTest, KilledAfterChannelCallIsFoundByMarkerAndNotSentAgain) {
  ASSERT_NO_FATAL_FAILURE(StartPublisherWithFault("publisher:after_channel_call"));
  const std::string post = ScheduleSoon("Walk-in flu shots at St Mary, weekdays 8-6.");
  ASSERT_FALSE(post.empty());
  ASSERT_NO_FATAL_FAILURE(RestartPublisher("publisher:after_channel_call", [&] {
    // The network has it; the record does not say so yet.
    EXPECT_EQ(DeliveredIds(post).size(), 1u);
    EXPECT_EQ(GetPost(post).state(), v1::POST_STATE_PUBLISHING);
  }));
  ASSERT_EQ(DeliveredIds(post).size(), 1u);

  const v1::Post published =
      WaitForPostState(*stub_, post, v1::POST_STATE_PUBLISHED, kClaimLease + absl::Seconds(15));
  ASSERT_EQ(published.state(), v1::POST_STATE_PUBLISHED) << published.DebugString();
  EXPECT_EQ(published.external_id(), DeliveredIds(post)[0]) << "recorded from the marker lookup";
  ExpectOneCall(post, "delivered");
  EXPECT_EQ(WaitForCount([&] { return PublishedEvents(post); }, 1, absl::Seconds(5)), 1);
}

TEST_F(PublisherFaultTest, KilledAfterRecordingPublishedAnnouncesItOnce) {
  ASSERT_NO_FATAL_FAILURE(StartPublisherWithFault("carecast_posts:after_write"));
  const std::string post = ScheduleSoon("Walk-in flu shots at St Mary, weekdays 8-6.");
  ASSERT_FALSE(post.empty());
  ASSERT_NO_FATAL_FAILURE(RestartPublisher("carecast_posts:after_write", [&] {
    // Recorded as published, not yet announced.
    EXPECT_EQ(GetPost(post).state(), v1::POST_STATE_PUBLISHED);
    EXPECT_EQ(PublishedEvents(post), 0);
  }));

  const v1::Post published =
      WaitForPostState(*stub_, post, v1::POST_STATE_PUBLISHED, absl::Seconds(5));
  ASSERT_EQ(published.state(), v1::POST_STATE_PUBLISHED) << published.DebugString();
  EXPECT_EQ(WaitForCount([&] { return PublishedEvents(post); }, 1, absl::Seconds(10)), 1);
  ExpectOneCall(post, "delivered");
  std::vector<v1::AuditEntry> audit;
  PollUntil(
      [&] {
        audit = AuditOf(*stub_, post);
        return audit.size() >= 2;
      },
      absl::Seconds(5));
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].action(), "post.schedule");
  EXPECT_EQ(audit[1].action(), "post.publish");
  EXPECT_TRUE(CheckAuditChain(audit).ok()) << CheckAuditChain(audit);
  EXPECT_EQ(PublishedEvents(post), 1);
}

TEST_F(PublisherFaultTest, KilledBeforeRecordingPublishedIsFoundByMarkerAndNotSentAgain) {
  // The outcome's marker is written, the PUBLISHED record is not.
  ASSERT_NO_FATAL_FAILURE(StartPublisherWithFault("carecast_posts:after_marker"));
  const std::string post = ScheduleSoon("Walk-in flu shots at St Mary, weekdays 8-6.");
  ASSERT_FALSE(post.empty());
  ASSERT_NO_FATAL_FAILURE(RestartPublisher("carecast_posts:after_marker", [&] {
    EXPECT_EQ(DeliveredIds(post).size(), 1u);
    EXPECT_EQ(GetPost(post).state(), v1::POST_STATE_PUBLISHING);
  }));
  ASSERT_EQ(DeliveredIds(post).size(), 1u);

  const v1::Post published =
      WaitForPostState(*stub_, post, v1::POST_STATE_PUBLISHED, kClaimLease + absl::Seconds(15));
  ASSERT_EQ(published.state(), v1::POST_STATE_PUBLISHED) << published.DebugString();
  EXPECT_EQ(published.external_id(), DeliveredIds(post)[0]);
  ExpectOneCall(post, "delivered");
  EXPECT_EQ(WaitForCount([&] { return PublishedEvents(post); }, 1, absl::Seconds(5)), 1);
  EXPECT_EQ(WaitForNoOutboxMarkers(), 0);
}

TEST_F(PublisherFaultTest, KilledAfterAnnouncingPublishedDoesNotAnnounceTwice) {
  // Event and audit entry are out; the record still lists them as owed.
  ASSERT_NO_FATAL_FAILURE(StartPublisherWithFault("carecast_posts:after_flush"));
  const std::string post = ScheduleSoon("Walk-in flu shots at St Mary, weekdays 8-6.");
  ASSERT_FALSE(post.empty());
  ASSERT_NO_FATAL_FAILURE(RestartPublisher("carecast_posts:after_flush", [&] {
    EXPECT_EQ(PublishedEvents(post), 1);
    EXPECT_GE(OutboxMarkers(), 1) << "the killed writer left its marker";
  }));
  // The relay settles the record again: its re-publish must be deduplicated.
  EXPECT_EQ(WaitForNoOutboxMarkers(), 0);
  EXPECT_EQ(GetPost(post).state(), v1::POST_STATE_PUBLISHED);
  EXPECT_EQ(PublishedEvents(post), 1);
  ExpectOneCall(post, "delivered");
  std::vector<v1::AuditEntry> audit = AuditOf(*stub_, post);
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[1].action(), "post.publish");
  EXPECT_TRUE(CheckAuditChain(audit).ok()) << CheckAuditChain(audit);
}

TEST_F(PublisherFaultTest, KilledAfterRecordingNeedsHumanRaisesTheNeedsHumanFigure) {
  auto metrics = Start(kMetricsBinary);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  // The sandbox answers nothing and records nothing: FindPublished finds nothing.
  // The sandbox has an idempotency key, so "not found" is sent again until the
  // attempts run out; one attempt makes the first "not found" the last.
  ASSERT_NO_FATAL_FAILURE(StartPublisherWithFault("carecast_posts:after_write",
                                                  {{"CARECAST_PUBLISHER_MAX_ATTEMPTS", "1"}}));
  const std::string post = ScheduleSoon("Walk-in flu shots at St Mary [sandbox:unknown]");
  ASSERT_FALSE(post.empty());
  ASSERT_NO_FATAL_FAILURE(RestartPublisher("carecast_posts:after_write", [&] {
    // Recorded, not yet announced: the figure has not moved.
    EXPECT_EQ(GetPost(post).state(), v1::POST_STATE_NEEDS_HUMAN);
    EXPECT_EQ(FailedEvents(post, v1::POST_STATE_NEEDS_HUMAN), 0);
    std::optional<double> before = ScrapeSeries(metrics->http_port, kNeedsHumanSeries);
    EXPECT_TRUE(!before.has_value() || *before == 0) << *before;
  }));

  EXPECT_EQ(WaitForCount([&] { return FailedEvents(post, v1::POST_STATE_NEEDS_HUMAN); }, 1,
                         absl::Seconds(10)),
            1);
  std::optional<double> needing;
  PollUntil(
      [&] {
        needing = ScrapeSeries(metrics->http_port, kNeedsHumanSeries);
        return needing.has_value() && *needing >= 1;
      },
      absl::Seconds(10));
  ASSERT_TRUE(needing.has_value()) << kNeedsHumanSeries << " is not on the metrics page";
  EXPECT_EQ(*needing, 1);
  ExpectOneCall(post, "unknown");
  EXPECT_TRUE(DeliveredIds(post).empty());
  EXPECT_EQ(GetPost(post).state(), v1::POST_STATE_NEEDS_HUMAN) << "nobody may resend it";
  EXPECT_EQ(FailedEvents(post, v1::POST_STATE_NEEDS_HUMAN), 1);
}

}  // namespace
}  // namespace carecast::testing
