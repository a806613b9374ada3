// The listener on a real nats-server (JetStream) and redis-server: the core
// with the production adapters, and the carecast-listener binary serving the
// webhook, gRPC and /metrics, stopping cleanly on SIGTERM.
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "carecast/v1/listener_service.grpc.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "services/common/redis/redis_client.h"
#include "services/common/redis/redis_sorted_index.h"
#include "services/listener/listener.h"
#include "services/listener/listener_names.h"
#include "tests/support/child_process.h"
#include "tests/support/fake_mention_classifier.h"
#include "tests/support/http_probe.h"
#include "tests/support/local_servers.h"
#include "tests/support/local_servers_test.h"
#include "tests/support/test_tokens.h"

namespace carecast::listener {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kDeadline = absl::Seconds(20);

class ListenerIntegrationTest : public testing::LocalServersTest {
 protected:
  // The core on the production adapters.
  void OpenCore() {
    common::NatsOptions nats_options;
    nats_options.url = nats_server_->url();
    nats_options.name = "listener-integration-test";
    auto conn = common::NatsConnection::Connect(nats_options, logger_);
    ASSERT_TRUE(conn.ok()) << conn.status();
    bus_ = *std::move(conn);
    ASSERT_TRUE(common::EnsureStreams(*bus_, {}).ok());
    common::RedisOptions redis_options;
    redis_options.url = redis_server_->url();
    redis_options.timeout = absl::Milliseconds(500);
    auto client = common::RedisClient::Connect(redis_options, logger_);
    ASSERT_TRUE(client.ok()) << client.status();
    redis_ = *std::move(client);
    index_ = std::make_unique<common::RedisSortedIndex>(*redis_, "carecast:");
    auto core = Listener::Create(options_, {.buckets = *bus_,
                                            .bus = *bus_,
                                            .index = *index_,
                                            .classifier = classifier_,
                                            .metrics = metrics_,
                                            .clock = Clock(),
                                            .logger = logger_});
    ASSERT_TRUE(core.ok()) << core.status();
    core_ = *std::move(core);
  }

  // A second listener replica on the same servers, with its own metrics.
  std::unique_ptr<Listener> OpenReplica(ListenerMetrics& metrics) {
    auto core = Listener::Create(options_, {.buckets = *bus_,
                                            .bus = *bus_,
                                            .index = *index_,
                                            .classifier = classifier_,
                                            .metrics = metrics,
                                            .clock = Clock(),
                                            .logger = logger_});
    EXPECT_TRUE(core.ok()) << core.status();
    return core.ok() ? *std::move(core) : nullptr;
  }

  const common::Clock& Clock() const {
    if (use_fake_clock_) return fake_clock_;
    return clock_;
  }

  size_t EventCount(const std::string& filter) {
    auto events = bus_->Read(std::string(common::streams::kEvents), filter, 1, 1000);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? events->size() : 0;
  }

  static v1::Mention MakeMention(const std::string& external_id, const std::string& text) {
    v1::Mention m;
    m.set_network(v1::NETWORK_X);
    m.set_external_id(external_id);
    m.set_author_handle("@someone");
    m.set_text(text);
    return m;
  }

  common::CapturingLogger logger_;
  common::SystemClock clock_;
  // Tests of due times set use_fake_clock_ before OpenCore().
  bool use_fake_clock_ = false;
  common::FakeClock fake_clock_{absl::Now()};
  prometheus::Registry registry_;
  ListenerMetrics metrics_{registry_};
  ListenerOptions options_;
  testing::FakeMentionClassifier classifier_{{"St Marys"}};
  std::unique_ptr<common::NatsConnection> bus_;
  std::unique_ptr<common::RedisClient> redis_;
  std::unique_ptr<common::RedisSortedIndex> index_;
  std::unique_ptr<Listener> core_;
};

TEST_F(ListenerIntegrationTest, CoreKeepsItsPromisesOnJetStreamAndRedis) {
  ASSERT_NO_FATAL_FAILURE(OpenCore());
  auto first = core_->CreateMention(MakeMention("i-1", "St Marys staff were rude"), "grpc");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->created);
  auto again = core_->CreateMention(MakeMention("i-1", "St Marys staff were rude"), "grpc");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(EventCount("carecast.mention.classified"), 1u);
  EXPECT_EQ(EventCount("carecast.inbox.created"), 1u);

  auto page = core_->ListInboxItems(v1::INBOX_ITEM_STATE_OPEN, 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->items.size(), 1u);

  // Redis loses everything: the index comes back from KV.
  ASSERT_TRUE(redis_server_->FlushAll().ok());
  page = core_->ListInboxItems(v1::INBOX_ITEM_STATE_OPEN, 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].name(), first->inbox_item);

  // CloseInboxItem is the older name of ResolveInboxItem.
  auto closed = core_->CloseInboxItem(first->inbox_item, "answered", "alice");
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(EventCount("carecast.inbox.closed"), 1u);
  page = core_->ListInboxItems(v1::INBOX_ITEM_STATE_CLOSED, 0, "");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
}

TEST_F(ListenerIntegrationTest, TheInboxWorkflowRunsOnJetStreamAndRedisWithinSpokes) {
  options_.topic_routes = {{"billing", "spokes/central"}};
  ASSERT_NO_FATAL_FAILURE(OpenCore());
  v1::Mention to_north = MakeMention("wf-1", "St Marys staff were rude");
  to_north.set_account("spokes/north/accounts/main");
  auto north = core_->CreateMention(to_north, "grpc");
  ASSERT_TRUE(north.ok()) << north.status();
  auto billing = core_->CreateMention(MakeMention("wf-2", "rude bill"), "grpc");
  ASSERT_TRUE(billing.ok()) << billing.status();
  const std::string name = north->inbox_item;
  const common::SpokeScope hub = common::SpokeScope::Hub();
  const common::SpokeScope north_only = common::SpokeScope::Only({"spokes/north"});
  const common::SpokeScope central_only = common::SpokeScope::Only({"spokes/central"});

  // Each spoke sees its own item only.
  auto page = core_->ListInboxItems(v1::INBOX_ITEM_STATE_NEW, 0, "", north_only);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].name(), name);
  EXPECT_EQ(page->items[0].spoke(), "spokes/north");
  page = core_->ListInboxItems(v1::INBOX_ITEM_STATE_NEW, 0, "", central_only);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].name(), billing->inbox_item);

  // Another spoke's responder is refused and nothing changes.
  EXPECT_EQ(core_->AssignInboxItem(name, "bob", "carol", central_only).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(core_->AddInboxNote(name, "x", "", "carol", central_only).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(EventCount("carecast.inbox.assigned"), 0u);

  auto assigned = core_->AssignInboxItem(name, "bob", "alice", north_only);
  ASSERT_TRUE(assigned.ok()) << assigned.status();
  auto noted =
      core_->AddInboxNote(name, "Asked them to call patient relations", "n-1", "bob", north_only);
  ASSERT_TRUE(noted.ok()) << noted.status();
  ASSERT_TRUE(
      core_->AddInboxNote(name, "Asked them to call patient relations", "n-1", "bob", north_only)
          .ok());
  auto waiting = core_->SetInboxItemWaiting(name, "bob", north_only);
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  EXPECT_TRUE(waiting->has_first_response_time());
  EXPECT_EQ(core_->SetInboxItemWaiting(billing->inbox_item, "bob", hub).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // Redis loses everything: the listing by state comes back from KV.
  ASSERT_TRUE(redis_server_->FlushAll().ok());
  page = core_->ListInboxItems(v1::INBOX_ITEM_STATE_WAITING, 0, "", hub);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].notes_size(), 1);

  auto resolved = core_->ResolveInboxItem(name, "taken offline", "bob", north_only);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->state(), v1::INBOX_ITEM_STATE_RESOLVED);
  EXPECT_EQ(EventCount("carecast.inbox.assigned"), 1u);
  EXPECT_EQ(EventCount("carecast.inbox.note_added"), 1u);
  EXPECT_EQ(EventCount("carecast.inbox.waiting"), 1u);
  EXPECT_EQ(EventCount("carecast.inbox.closed"), 1u);
  page = core_->ListInboxItems(v1::INBOX_ITEM_STATE_RESOLVED, 0, "", north_only);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->items.size(), 1u);
}

TEST_F(ListenerIntegrationTest, SlaDueTimesAndEachBreachCountedOnceAcrossReplicas) {
  use_fake_clock_ = true;
  options_.sla = SlaTargets{};  // urgent 15m around the clock, high 4 business hours
  auto chicago = ParseBusinessHours("America/Chicago Mon-Fri 08:00-17:00");
  ASSERT_TRUE(chicago.ok()) << chicago.status();
  options_.business_hours.spokes.emplace("spokes/north", *chicago);
  // Friday 2026-03-06 16:00 in Chicago.
  fake_clock_.Set(absl::FromCivil(absl::CivilMinute(2026, 3, 6, 16, 0), chicago->zone));
  const absl::Time start = fake_clock_.Now();
  ASSERT_NO_FATAL_FAILURE(OpenCore());
  prometheus::Registry other_registry;
  ListenerMetrics other_metrics(other_registry);
  std::unique_ptr<Listener> replica = OpenReplica(other_metrics);
  ASSERT_NE(replica, nullptr);

  v1::Mention urgent = MakeMention("sla-1", "someone pulled a gun in the lobby");
  urgent.set_account("spokes/north/accounts/main");
  auto u = core_->CreateMention(urgent, "grpc");
  ASSERT_TRUE(u.ok()) << u.status();
  v1::Mention high = MakeMention("sla-2", "rude staff");
  high.set_account("spokes/north/accounts/main");
  auto h = core_->CreateMention(high, "grpc");
  ASSERT_TRUE(h.ok()) << h.status();

  auto page = core_->ListInboxItems(v1::INBOX_ITEM_STATE_OPEN, 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].name(), u->inbox_item);
  EXPECT_EQ(FromTimestamp(page->items[0].due_time()), start + absl::Minutes(15));
  EXPECT_FALSE(page->items[0].responder_guidance().empty());
  // One business hour on Friday, three on Monday.
  EXPECT_EQ(FromTimestamp(page->items[1].due_time()),
            absl::FromCivil(absl::CivilMinute(2026, 3, 9, 11, 0), chicago->zone));

  fake_clock_.Advance(absl::Minutes(20));
  auto first = core_->CheckInboxSla();
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = replica->CheckInboxSla();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->breaches_recorded + second->breaches_recorded, 1);
  EXPECT_EQ(metrics_.SlaBreachCount("urgent") + other_metrics.SlaBreachCount("urgent"), 1);
  EXPECT_EQ(metrics_.SlaOverdue("urgent"), 1);
  EXPECT_EQ(other_metrics.SlaOverdue("urgent"), 1);
  EXPECT_EQ(metrics_.SlaOverdue("high"), 0);
  EXPECT_EQ(EventCount("carecast.inbox.sla_breached"), 1u);

  // Answered: no longer overdue; the breach stays counted once.
  ASSERT_TRUE(
      core_->AssignInboxItem(u->inbox_item, "bob", "alice", common::SpokeScope::Hub()).ok());
  ASSERT_TRUE(core_
                  ->ResolveInboxItem(u->inbox_item, "escalated to security", "bob",
                                     common::SpokeScope::Hub())
                  .ok());
  ASSERT_TRUE(replica->CheckInboxSla().ok());
  EXPECT_EQ(other_metrics.SlaOverdue("urgent"), 0);
  EXPECT_EQ(EventCount("carecast.inbox.sla_breached"), 1u);
}

TEST_F(ListenerIntegrationTest, RedisOutageIsRetriedToCompletionAndListingsFallBackToKv) {
  ASSERT_NO_FATAL_FAILURE(OpenCore());
  ASSERT_TRUE(core_->CreateMention(MakeMention("o-1", "terrible"), "grpc").ok());
  ASSERT_TRUE(redis_server_->Stop().ok());

  auto page = core_->ListInboxItems(v1::INBOX_ITEM_STATE_OPEN, 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->items.size(), 1u);

  auto failed = core_->CreateMention(MakeMention("o-2", "awful"), "grpc");
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();

  ASSERT_TRUE(redis_server_->Restart().ok());
  absl::StatusOr<CreateMentionResult> retried;
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        retried = core_->CreateMention(MakeMention("o-2", "awful"), "grpc");
        return retried.ok();
      },
      kDeadline))
      << retried.status();
  EXPECT_EQ(EventCount("carecast.mention.classified"), 2u);
  EXPECT_EQ(EventCount("carecast.inbox.created"), 2u);
  page = core_->ListInboxItems(v1::INBOX_ITEM_STATE_OPEN, 0, "");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->items.size(), 2u);
}

TEST_F(ListenerIntegrationTest, BinaryServesTheWebhookGrpcAndMetricsAndStopsOnSigterm) {
  const testing::TestTokens& tokens = testing::TestTokens::Get();
  auto started = StartServiceBinary("services/listener/carecast-listener",
                                    {{"CARECAST_TRACKED_KEYWORDS", "St Marys"}}, kDeadline);
  ASSERT_TRUE(started.ok()) << started.status();
  const int grpc_port = started->grpc_port;
  const int http_port = started->http_port;
  std::unique_ptr<testing::ChildProcess>& process = started->process;

  const std::string body =
      R"({"network":"x","external_id":"b-1","author_handle":"@pat","text":"Why is the St Marys line so slow?"})";
  auto post = [&](const std::string& authorization, const std::string& payload) {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"}};
    if (!authorization.empty()) headers.emplace_back("Authorization", authorization);
    auto r = testing::HttpCall(http_port, "POST", "/v1/mentions", payload, headers);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : testing::HttpProbeResponse{};
  };
  const std::string service = tokens.BearerHeader("ingest-bot", {common::Role::kService});
  auto created = post(service, body);
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_THAT(created.body, HasSubstr("\"inbox_item\":\"inboxItems/"));
  EXPECT_EQ(post(service, body).status, 200);
  EXPECT_EQ(post("", body).status, 401);
  EXPECT_EQ(post(tokens.BearerHeader("writer", {common::Role::kContributor}), body).status, 403);
  EXPECT_EQ(post(service, "{not json").status, 400);
  EXPECT_EQ(post(service, std::string(size_t{300} * 1024, 'a')).status, 413);

  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::ListenerService::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", tokens.BearerHeader("rita", {common::Role::kResponder}));
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::ListInboxItemsResponse listed;
  grpc::Status status = stub->ListInboxItems(&context, v1::ListInboxItemsRequest(), &listed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(listed.inbox_items_size(), 1);
  EXPECT_THAT(listed.inbox_items(0).classification().keywords(), ::testing::Contains("St Marys"));

  auto metrics = testing::HttpCall(http_port, "GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->body,
              HasSubstr("carecast_listener_mentions_received_total{network=\"x\",source="
                        "\"webhook\"} 2"));
  EXPECT_THAT(metrics->body,
              HasSubstr("carecast_listener_webhook_requests_total{outcome=\"created\"} 1"));
  EXPECT_THAT(metrics->body, HasSubstr("carecast_listener_classify_seconds_bucket"));
  EXPECT_THAT(metrics->body, HasSubstr("grpc_server_handled_total"));

  auto exit_code = process->Terminate(absl::Seconds(15));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0);
}

}  // namespace
}  // namespace carecast::listener
