// The planner on a real nats-server (JetStream) and redis-server: the workflow
// with KV compare-and-set, the audit chain on the real audit stream (expected
// last subject sequence) across two replicas, request replay, the calendar after
// FLUSHALL; and the carecast-planner binary serving gRPC with real JWTs,
// refusing bad configuration with exit code 2, and stopping on SIGTERM.
#include <cstdlib>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "carecast/v1/events.pb.h"
#include "carecast/v1/planner_service.grpc.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "services/common/redis/redis_client.h"
#include "services/common/redis/redis_sorted_index.h"
#include "services/planner/alert_hold_policy.h"
#include "services/planner/audit_trail.h"
#include "services/planner/engine_guard.h"
#include "services/planner/planner.h"
#include "services/planner/planner_metrics.h"
#include "tests/support/child_process.h"
#include "tests/support/http_probe.h"
#include "tests/support/local_servers.h"
#include "tests/support/local_servers_test.h"
#include "tests/support/shared_text_engine.h"
#include "tests/support/test_tokens.h"

namespace carecast::planner {
namespace {

using ::testing::HasSubstr;
constexpr absl::Duration kDeadline = absl::Seconds(30);

// A hub user (spokes "*"): these tests are not about spokes.
common::Caller MakeCaller(std::string subject, common::Role role) {
  common::Caller caller;
  caller.principal.subject = std::move(subject);
  caller.principal.roles = {role};
  caller.principal.spokes = {"*"};
  caller.role = role;
  return caller;
}

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

// One planner replica on the production adapters.
struct Replica {
  common::CapturingLogger logger;
  prometheus::Registry registry;
  PlannerMetrics metrics{registry};
  EngineGuard guard{testing::SharedTextEngine()};
  std::unique_ptr<common::NatsConnection> nats;
  std::unique_ptr<common::RedisClient> redis;
  std::unique_ptr<common::RedisSortedIndex> index;
  std::unique_ptr<Planner> core;
};

class PlannerIntegrationTest : public testing::LocalServersTest {
 protected:
  void SetUp() override {
    LocalServersTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(Open(a_));
    ASSERT_NO_FATAL_FAILURE(Open(b_));
  }

  void Open(Replica& r) {
    common::NatsOptions options;
    options.url = nats_server_->url();
    options.name = "planner-test";
    auto conn = common::NatsConnection::Connect(options, r.logger);
    ASSERT_TRUE(conn.ok()) << conn.status();
    r.nats = *std::move(conn);
    ASSERT_TRUE(common::EnsureStreams(*r.nats, {}).ok());
    common::RedisOptions redis_options;
    redis_options.url = redis_server_->url();
    auto redis = common::RedisClient::Connect(redis_options, r.logger);
    ASSERT_TRUE(redis.ok()) << redis.status();
    r.redis = *std::move(redis);
    r.index = std::make_unique<common::RedisSortedIndex>(*r.redis, "carecast:");
    auto core = Planner::Create(PlannerOptions(), {.buckets = *r.nats,
                                                   .bus = *r.nats,
                                                   .index = *r.index,
                                                   .clock = clock_,
                                                   .guard = r.guard,
                                                   .metrics = r.metrics,
                                                   .logger = r.logger});
    ASSERT_TRUE(core.ok()) << core.status();
    r.core = *std::move(core);
  }

  v1::Content ApprovedContent(Planner& p, const std::string& text) {
    v1::CreateContentRequest create;
    create.mutable_content()->set_text(text);
    auto created = p.CreateContent(writer_, create);
    EXPECT_TRUE(created.ok()) << created.status();
    v1::SubmitContentRequest submit;
    submit.set_name(created->content().name());
    EXPECT_TRUE(p.SubmitContent(writer_, submit).ok());
    v1::ApproveContentRequest approve;
    approve.set_name(created->content().name());
    approve.set_version(1);
    auto approved = p.ApproveContent(reviewer_, approve);
    EXPECT_TRUE(approved.ok()) << approved.status();
    return approved.ok() ? approved->content() : v1::Content();
  }

  std::vector<v1::AuditEntry> Audit(Planner& p, const std::string& resource) {
    v1::ListAuditEntriesRequest req;
    req.set_resource(resource);
    req.set_page_size(500);
    auto resp = p.ListAuditEntries(writer_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? std::vector<v1::AuditEntry>(resp->entries().begin(), resp->entries().end())
                     : std::vector<v1::AuditEntry>();
  }

  static void ExpectChained(const std::vector<v1::AuditEntry>& entries) {
    for (size_t i = 0; i < entries.size(); ++i) {
      EXPECT_EQ(entries[i].entry_hash(), AuditEntryHash(entries[i])) << i;
      EXPECT_EQ(entries[i].previous_hash(), i == 0 ? "" : entries[i - 1].entry_hash()) << i;
    }
  }

  common::SystemClock clock_;
  Replica a_, b_;
  common::Caller strategist_ = MakeCaller("alice", common::Role::kStrategist);
  common::Caller writer_ = MakeCaller("wendy", common::Role::kContentDeveloper);
  common::Caller reviewer_ = MakeCaller("rita", common::Role::kComplianceReviewer);
  common::Caller publisher_ = MakeCaller("paul", common::Role::kPublisher);
};

TEST_F(PlannerIntegrationTest, WorkflowOnJetStreamAndRedisWithOneAuditChainAcrossReplicas) {
  v1::CreateSpokeRequest spoke;
  spoke.set_spoke_id("st-marys");
  spoke.mutable_spoke()->set_display_name("St Mary's");
  ASSERT_TRUE(a_.core->CreateSpoke(strategist_, spoke).ok());
  v1::CreateAccountRequest account;
  account.set_parent("spokes/st-marys");
  account.set_account_id("sandbox");
  account.mutable_account()->set_network(v1::NETWORK_SANDBOX);
  account.mutable_account()->set_handle("@sandbox");
  account.mutable_account()->set_time_zone("America/Chicago");
  ASSERT_TRUE(b_.core->CreateAccount(strategist_, account).ok());

  // Changes alternate between replicas; the chain must still be one line.
  v1::CreateContentRequest create;
  create.mutable_content()->set_text("Free flu shots this Saturday.");
  create.set_request_id("create-1");
  auto created = a_.core->CreateContent(writer_, create);
  ASSERT_TRUE(created.ok()) << created.status();
  auto replayed = b_.core->CreateContent(writer_, create);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->content().name(), created->content().name());
  v1::SubmitContentRequest submit;
  submit.set_name(created->content().name());
  ASSERT_TRUE(b_.core->SubmitContent(writer_, submit).ok());
  v1::ApproveContentRequest approve;
  approve.set_name(created->content().name());
  approve.set_version(1);
  auto approved = a_.core->ApproveContent(reviewer_, approve);
  ASSERT_TRUE(approved.ok()) << approved.status();

  v1::SchedulePostRequest schedule;
  schedule.set_content(created->content().name());
  schedule.set_account("spokes/st-marys/accounts/sandbox");
  *schedule.mutable_publish_time() = Ts(clock_.Now() + absl::Hours(1));
  auto post = b_.core->SchedulePost(publisher_, schedule);
  ASSERT_TRUE(post.ok()) << post.status();
  EXPECT_EQ(post->post().text(), "Free flu shots this Saturday.");

  std::vector<v1::AuditEntry> entries = Audit(*b_.core, created->content().name());
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].action(), "content.create");
  EXPECT_EQ(entries[2].action(), "content.approve");
  ExpectChained(entries);

  // A stale edit loses against the real KV revision check.
  v1::UpdateContentRequest update;
  *update.mutable_content() = approved->content();
  update.mutable_content()->set_text("edited");
  update.set_expected_version(1);
  ASSERT_TRUE(a_.core->UpdateContent(writer_, update).ok());
  EXPECT_EQ(b_.core->UpdateContent(writer_, update).status().code(), absl::StatusCode::kAborted);
  v1::GetPostRequest get;
  get.set_name(post->post().name());
  EXPECT_EQ(b_.core->GetPost(publisher_, get)->post().state(), v1::POST_STATE_CANCELLED);
  ExpectChained(Audit(*a_.core, post->post().name()));
}

TEST_F(PlannerIntegrationTest, ConcurrentHoldsFromTwoReplicasKeepTheChainLinear) {
  auto flip = [&](Planner& p) {
    for (int i = 0; i < 10; ++i) {
      v1::HoldPublishingRequest hold;
      hold.set_reason("drill");
      auto held = p.HoldPublishing(strategist_, hold);
      EXPECT_TRUE(held.ok() || held.status().code() == absl::StatusCode::kAborted) << held.status();
      auto resumed = p.ResumePublishing(strategist_, {});
      EXPECT_TRUE(resumed.ok() || resumed.status().code() == absl::StatusCode::kAborted)
          << resumed.status();
    }
  };
  std::thread t1(flip, std::ref(*a_.core));
  std::thread t2(flip, std::ref(*b_.core));
  t1.join();
  t2.join();
  std::vector<v1::AuditEntry> entries = Audit(*a_.core, "publishing");
  ASSERT_GE(entries.size(), 2u);
  ExpectChained(entries);
  // One audit entry per change: as many holds and resumes as there were events.
  // (Replicas may append in a different order than their KV writes landed, so
  // the chain's order is not asserted to alternate.)
  size_t holds = 0;
  for (const auto& e : entries) holds += e.action() == "publishing.hold";
  auto held_events = a_.nats->Read(std::string(common::streams::kEvents),
                                   std::string(common::subjects::kPublishingHeld), 1, 10000);
  auto resumed_events = a_.nats->Read(std::string(common::streams::kEvents),
                                      std::string(common::subjects::kPublishingResumed), 1, 10000);
  ASSERT_TRUE(held_events.ok() && resumed_events.ok());
  EXPECT_EQ(holds, held_events->size());
  EXPECT_EQ(entries.size() - holds, resumed_events->size());
}

// The automatic hold on a real JetStream: a severe alert published on the bus
// holds publishing once, whichever replica's policy takes it from the shared
// durable consumer, audited with the policy's principal; the same event handled
// again (a redelivery, or the other replica) and a second alert change nothing.
TEST_F(PlannerIntegrationTest, ASevereAlertOnTheBusHoldsPublishingOnceAuditedAsThePolicy) {
  const AlertHoldOptions options{.mode = AlertHoldMode::kGlobal};
  AlertHoldPolicy policy_a(options, {.planner = *a_.core, .bus = *a_.nats, .logger = a_.logger});
  AlertHoldPolicy policy_b(options, {.planner = *b_.core, .bus = *b_.nats, .logger = b_.logger});
  ASSERT_TRUE(policy_a.Start().ok());
  ASSERT_TRUE(policy_b.Start().ok());
  auto handled = [&] {
    size_t n = 0;
    for (Replica* r : {&a_, &b_}) {
      for (const auto& line : r->logger.lines()) {
        n += absl::StrContains(line.message, "alert qualifies for the automatic hold");
      }
    }
    return n;
  };
  auto alert_event = [](const std::string& id) {
    v1::AlertChanged payload;
    payload.mutable_alert()->set_name("alerts/crisis-outbreak-1");
    payload.mutable_alert()->set_series("crisis:outbreak");
    payload.mutable_alert()->set_severity(v1::ALERT_SEVERITY_SEVERE);
    payload.mutable_alert()->set_state(v1::ALERT_STATE_ACTIVE);
    payload.mutable_alert()->set_count(9);
    return common::MakeEvent(common::subjects::kAlertRaised, payload, "/carecast/metrics",
                             absl::Now(), id);
  };
  // A warning first: below the severe threshold, it must not hold.
  common::Event warning = alert_event("alert-warning-1");
  {
    v1::AlertChanged payload;
    ASSERT_TRUE(common::DecodeEvent(warning, &payload).ok());
    payload.mutable_alert()->set_severity(v1::ALERT_SEVERITY_WARNING);
    warning = common::MakeEvent(common::subjects::kAlertRaised, payload, "/carecast/metrics",
                                absl::Now(), "alert-warning-1");
  }
  ASSERT_TRUE(a_.nats->Publish(warning).ok());
  const common::Event first = alert_event("alert-severe-1");
  ASSERT_TRUE(a_.nats->Publish(first).ok());
  ASSERT_TRUE(testing::PollUntil([&] { return handled() >= 1; }, kDeadline))
      << "no planner replica held publishing on the alert";

  auto state = b_.core->GetPublishingState(strategist_, {});
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE(state->state().held());
  EXPECT_EQ(state->state().changed_by(), "carecast-alert-policy");
  EXPECT_EQ(state->state().reason(),
            "automatic hold: alert alerts/crisis-outbreak-1 (crisis:outbreak, 9 mentions)");
  std::vector<v1::AuditEntry> entries = Audit(*a_.core, "publishing");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].action(), "publishing.hold");
  EXPECT_EQ(entries[0].actor(), "carecast-alert-policy");
  EXPECT_EQ(entries[0].role(), "service");
  EXPECT_EQ(entries[0].request_id(), AlertHoldRequestId("alert-severe-1"));

  // The same event again on each replica (a redelivery), then a second alert
  // through the bus: all acknowledged, nothing more on record.
  common::Event redelivered = first;
  redelivered.delivery_count = 2;
  EXPECT_EQ(policy_a.OnEvent(redelivered), common::Disposition::kAck);
  EXPECT_EQ(policy_b.OnEvent(redelivered), common::Disposition::kAck);
  ASSERT_TRUE(a_.nats->Publish(alert_event("alert-severe-2")).ok());
  ASSERT_TRUE(testing::PollUntil([&] { return handled() >= 4; }, kDeadline));
  EXPECT_EQ(Audit(*a_.core, "publishing").size(), 1u);
  auto held_events = a_.nats->Read(std::string(common::streams::kEvents),
                                   std::string(common::subjects::kPublishingHeld), 1, 100);
  ASSERT_TRUE(held_events.ok()) << held_events.status();
  EXPECT_EQ(held_events->size(), 1u);
}

TEST_F(PlannerIntegrationTest, TheCalendarIsRebuiltAfterFlushAll) {
  v1::CreateSpokeRequest spoke;
  spoke.set_spoke_id("s");
  spoke.mutable_spoke()->set_display_name("S");
  ASSERT_TRUE(a_.core->CreateSpoke(strategist_, spoke).ok());
  v1::CreateAccountRequest account;
  account.set_parent("spokes/s");
  account.set_account_id("box");
  account.mutable_account()->set_network(v1::NETWORK_SANDBOX);
  account.mutable_account()->set_handle("@box");
  account.mutable_account()->set_time_zone("UTC");
  ASSERT_TRUE(a_.core->CreateAccount(strategist_, account).ok());
  v1::Content content = ApprovedContent(*a_.core, "Hello");
  for (int minutes : {30, 10, 20}) {
    v1::SchedulePostRequest schedule;
    schedule.set_content(content.name());
    schedule.set_account("spokes/s/accounts/box");
    schedule.set_post_id("m" + std::to_string(minutes));
    *schedule.mutable_publish_time() = Ts(clock_.Now() + absl::Minutes(minutes));
    ASSERT_TRUE(a_.core->SchedulePost(publisher_, schedule).ok());
  }
  ASSERT_TRUE(redis_server_->FlushAll().ok());
  v1::ListCalendarRequest list;
  *list.mutable_start_time() = Ts(clock_.Now());
  *list.mutable_end_time() = Ts(clock_.Now() + absl::Hours(1));
  auto listed = b_.core->ListCalendar(writer_, list);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->posts_size(), 3);
  EXPECT_EQ(listed->posts(0).name(), "posts/m10");
  EXPECT_EQ(listed->posts(2).name(), "posts/m30");
}

TEST_F(PlannerIntegrationTest, BinaryServesGrpcWithRealTokensAndStopsOnSigterm) {
  const char* binary_dir = std::getenv("CARECAST_BINARY_DIR");
  ASSERT_NE(binary_dir, nullptr);
  const std::string binary = absl::StrCat(binary_dir, "/services/planner/carecast-planner");
  const testing::TestTokens& tokens = testing::TestTokens::Get();

  // Bad configuration: exit code 2 with every problem named.
  {
    auto bad =
        testing::ChildProcess::Start(binary, {},
                                     {{"CARECAST_NATS_URL", ""},
                                      {"CARECAST_PLANNER_MIN_LEAD_TIME", "later"},
                                      {"CARECAST_REDIS_URL", redis_server_->url()},
                                      {"CARECAST_JWT_PUBLIC_KEY_FILE", tokens.public_key_file()}},
                                     nats_server_->dir() + "/planner-bad.log");
    ASSERT_TRUE(bad.ok()) << bad.status();
    ASSERT_TRUE(testing::PollUntil([&] { return !bad->Running(); }, kDeadline));
    auto code = bad->Terminate(absl::Seconds(1));
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, 2);
  }

  auto started = StartServiceBinary("services/planner/carecast-planner", {}, kDeadline);
  ASSERT_TRUE(started.ok()) << started.status();
  const int grpc_port = started->grpc_port;
  const int http_port = started->http_port;
  std::unique_ptr<testing::ChildProcess>& process = started->process;

  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::PlannerService::NewStub(channel);
  auto context = [](const std::string& authorization) {
    auto c = std::make_unique<grpc::ClientContext>();
    if (!authorization.empty()) c->AddMetadata("authorization", authorization);
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return c;
  };
  v1::HoldPublishingRequest hold;
  hold.set_reason("binary test");
  v1::HoldPublishingResponse held;
  EXPECT_EQ(stub->HoldPublishing(context("").get(), hold, &held).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub->HoldPublishing(
                    context(tokens.BearerHeader("wendy", {common::Role::kContributor})).get(), hold,
                    &held)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status status = stub->HoldPublishing(
      context(tokens.BearerHeader("alice", {common::Role::kStrategist})).get(), hold, &held);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(held.state().held());
  // The in-process replica sees the hold in the shared control bucket.
  EXPECT_TRUE(a_.core->GetPublishingState(writer_, {})->state().held());

  auto metrics = testing::HttpCall(http_port, "GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->body,
              HasSubstr("carecast_planner_publishing_switches_total{state=\"held\"} 1"));
  EXPECT_THAT(metrics->body, HasSubstr("grpc_server_handled_total"));

  auto exit_code = process->Terminate(absl::Seconds(15));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0);
}

}  // namespace
}  // namespace carecast::planner
