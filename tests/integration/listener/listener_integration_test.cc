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
                                            .clock = clock_,
                                            .logger = logger_});
    ASSERT_TRUE(core.ok()) << core.status();
    core_ = *std::move(core);
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

  auto closed = core_->CloseInboxItem(first->inbox_item, "answered", "alice");
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(EventCount("carecast.inbox.closed"), 1u);
  page = core_->ListInboxItems(v1::INBOX_ITEM_STATE_CLOSED, 0, "");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
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
