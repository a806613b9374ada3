// The publisher on a real nats-server (JetStream) and redis-server: two cores
// ("processes": each its own NATS and Redis connection and sandbox handle)
// sharing one sandbox directory publish each post exactly once, survive a Redis
// FLUSHALL and obey the hold; and the carecast-publisher binary publishes a
// scheduled post, serves gRPC and /metrics, and stops cleanly on SIGTERM.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "carecast/v1/events.pb.h"
#include "carecast/v1/publisher_service.grpc.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/ids.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "services/common/redis/redis_client.h"
#include "services/common/redis/redis_sorted_index.h"
#include "services/publisher/channels/channel_registry.h"
#include "services/publisher/channels/sandbox_channel.h"
#include "services/publisher/post_records.h"
#include "services/publisher/publisher.h"
#include "services/publisher/publisher_metrics.h"
#include "tests/support/child_process.h"
#include "tests/support/http_probe.h"
#include "tests/support/local_servers.h"
#include "tests/support/local_servers_test.h"
#include "tests/support/metric_values.h"
#include "tests/support/test_tokens.h"

namespace carecast::publisher {
namespace {

using ::testing::HasSubstr;
constexpr absl::Duration kDeadline = absl::Seconds(30);

// One publisher "process" on the production adapters.
struct Node {
  common::CapturingLogger logger;
  prometheus::Registry registry;
  PublisherMetrics metrics{registry};
  std::unique_ptr<common::NatsConnection> nats;
  std::unique_ptr<common::KeyValueStore> posts, contents, control, outbox;
  std::unique_ptr<common::RedisClient> redis;
  std::unique_ptr<common::RedisSortedIndex> index;
  std::unique_ptr<SandboxChannel> sandbox;
  ChannelRegistry channels;
  std::unique_ptr<Publisher> core;
};

class PublisherIntegrationTest : public testing::LocalServersTest {
 protected:
  void SetUp() override {
    LocalServersTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    sandbox_dir_ = nats_server_->dir() + "/sandbox";

    // The planner's side: its own connection and buckets.
    common::NatsOptions options;
    options.url = nats_server_->url();
    options.name = "planner-stand-in";
    auto conn = common::NatsConnection::Connect(options, logger_);
    ASSERT_TRUE(conn.ok()) << conn.status();
    planner_ = *std::move(conn);
    ASSERT_TRUE(common::EnsureStreams(*planner_, {}).ok());
    posts_ = *planner_->OpenBucket(common::BucketSpecFor(common::buckets::kPosts, {}));
    contents_ = *planner_->OpenBucket(common::BucketSpecFor(common::buckets::kContents, {}));
    control_ = *planner_->OpenBucket(common::BucketSpecFor(common::buckets::kControl, {}));
  }

  void StartNode(Node& node, const std::string& id,
                 absl::Duration due_sweep_period = absl::Seconds(10)) {
    common::NatsOptions options;
    options.url = nats_server_->url();
    options.name = id;
    auto conn = common::NatsConnection::Connect(options, node.logger);
    ASSERT_TRUE(conn.ok()) << conn.status();
    node.nats = *std::move(conn);
    node.posts = *node.nats->OpenBucket(common::BucketSpecFor(common::buckets::kPosts, {}));
    node.contents = *node.nats->OpenBucket(common::BucketSpecFor(common::buckets::kContents, {}));
    node.control = *node.nats->OpenBucket(common::BucketSpecFor(common::buckets::kControl, {}));
    node.outbox = *node.nats->OpenBucket(common::BucketSpecFor(common::kOutboxBucket, {}));
    common::RedisOptions redis_options;
    redis_options.url = redis_server_->url();
    redis_options.timeout = absl::Milliseconds(500);
    auto client = common::RedisClient::Connect(redis_options, node.logger);
    ASSERT_TRUE(client.ok()) << client.status();
    node.redis = *std::move(client);
    node.index = std::make_unique<common::RedisSortedIndex>(*node.redis, "carecast:");
    auto sandbox = SandboxChannel::Open(sandbox_dir_, id, clock_);
    ASSERT_TRUE(sandbox.ok()) << sandbox.status();
    node.sandbox = *std::move(sandbox);
    ASSERT_TRUE(node.channels.Register(carecast::v1::NETWORK_SANDBOX, *node.sandbox).ok());
    PublisherOptions po;
    po.publisher_id = id;
    po.poll_interval = absl::Milliseconds(20);
    po.due_sweep_period = due_sweep_period;
    auto core = Publisher::Create(po, {.bus = *node.nats,
                                       .posts = *node.posts,
                                       .contents = *node.contents,
                                       .control = *node.control,
                                       .index = *node.index,
                                       .channels = node.channels,
                                       .clock = clock_,
                                       .logger = node.logger,
                                       .metrics = node.metrics,
                                       .outbox = *node.outbox});
    ASSERT_TRUE(core.ok()) << core.status();
    node.core = *std::move(core);
    ASSERT_TRUE(node.core->Start().ok());
  }

  void Schedule(const std::string& id, absl::Time when) {
    carecast::v1::Content c;
    c.set_name("contents/c-" + id);
    c.set_state(carecast::v1::CONTENT_STATE_APPROVED);
    c.set_version(1);
    c.set_content_hash("h-" + id);
    c.mutable_approval()->set_version(1);
    c.mutable_approval()->set_content_hash("h-" + id);
    ASSERT_TRUE(contents_->Put("c-" + id, c.SerializeAsString()).ok());
    carecast::v1::Post p;
    p.set_name("posts/" + id);
    p.set_content("contents/c-" + id);
    p.set_account("spokes/s1/accounts/a1");
    p.set_network(carecast::v1::NETWORK_SANDBOX);
    SetTime(when, p.mutable_publish_time());
    p.set_content_version(1);
    p.set_content_hash("h-" + id);
    p.set_text("Flu shot clinics open Saturday.");
    p.set_state(carecast::v1::POST_STATE_SCHEDULED);
    SetTime(clock_.Now(), p.mutable_update_time());
    ASSERT_TRUE(posts_->Create(id, p.SerializeAsString()).ok());
    carecast::v1::PostChanged payload;
    *payload.mutable_post() = p;
    ASSERT_TRUE(planner_
                    ->Publish(common::MakeEvent(common::subjects::kPostScheduled, payload,
                                                "/carecast/planner", clock_.Now()))
                    .ok());
  }

  void SetHold(bool held) {
    carecast::v1::PublishingState state;
    state.set_held(held);
    ASSERT_TRUE(control_->Put("publishing", state.SerializeAsString()).ok());
    carecast::v1::PublishingChanged payload;
    *payload.mutable_state() = state;
    ASSERT_TRUE(planner_
                    ->Publish(common::MakeEvent(held ? common::subjects::kPublishingHeld
                                                     : common::subjects::kPublishingResumed,
                                                payload, "/carecast/planner", clock_.Now()))
                    .ok());
  }

  carecast::v1::PostState StateOf(const std::string& id) {
    auto r = ReadPost(*posts_, id);
    return r.ok() ? r->post.state() : carecast::v1::POST_STATE_UNSPECIFIED;
  }

  // Idempotency key -> lines in the shared sandbox record.
  std::map<std::string, int> SandboxLines() {
    std::map<std::string, int> out;
    std::ifstream in(sandbox_dir_ + "/deliveries.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto r = DeliveryFromJsonLine(line);
      if (r.ok()) ++out[r->idempotency_key];
    }
    return out;
  }

  size_t EventCount(const std::string& filter) {
    auto events = planner_->Read(std::string(common::streams::kEvents), filter, 1, 10'000);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? events->size() : 0;
  }

  common::CapturingLogger logger_;
  common::SystemClock clock_;
  std::string sandbox_dir_;
  std::unique_ptr<common::NatsConnection> planner_;
  std::unique_ptr<common::KeyValueStore> posts_, contents_, control_;
};

TEST_F(PublisherIntegrationTest, TwoPublishersShareTheWorkAndPublishEachPostOnce) {
  Node a, b;
  ASSERT_NO_FATAL_FAILURE(StartNode(a, "pub-a"));
  ASSERT_NO_FATAL_FAILURE(StartNode(b, "pub-b"));
  constexpr int kPosts = 60;
  absl::Time due = clock_.Now() + absl::Milliseconds(500);
  for (int i = 0; i < kPosts; ++i) ASSERT_NO_FATAL_FAILURE(Schedule(absl::StrCat("p", i), due));

  ASSERT_TRUE(testing::PollUntil(
      [&] {
        for (int i = 0; i < kPosts; ++i)
          if (StateOf(absl::StrCat("p", i)) != carecast::v1::POST_STATE_PUBLISHED) return false;
        return true;
      },
      kDeadline));
  auto lines = SandboxLines();
  EXPECT_EQ(lines.size(), static_cast<size_t>(kPosts));
  for (const auto& [key, count] : lines) EXPECT_EQ(count, 1) << key;
  EXPECT_TRUE(testing::PollUntil(
      [&] { return EventCount("carecast.post.published") == static_cast<size_t>(kPosts); },
      kDeadline));
  for (int i = 0; i < kPosts; ++i) {
    auto r = ReadPost(*posts_, absl::StrCat("p", i));
    ASSERT_TRUE(r.ok());
    EXPECT_GE(ToTime(r->post.published_time()), due);
  }

  // Redis loses everything; posts scheduled afterwards still go out once.
  ASSERT_TRUE(redis_server_->FlushAll().ok());
  for (int i = 0; i < 10; ++i)
    ASSERT_NO_FATAL_FAILURE(Schedule(absl::StrCat("q", i), clock_.Now() + absl::Milliseconds(300)));
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        for (int i = 0; i < 10; ++i)
          if (StateOf(absl::StrCat("q", i)) != carecast::v1::POST_STATE_PUBLISHED) return false;
        return true;
      },
      kDeadline));
  lines = SandboxLines();
  EXPECT_EQ(lines.size(), static_cast<size_t>(kPosts + 10));
  for (const auto& [key, count] : lines) EXPECT_EQ(count, 1) << key;
  a.core->Stop();
  b.core->Stop();
}

TEST_F(PublisherIntegrationTest, ADueIndexDeletedBehindItsMarkerIsRefilledWithinTheSweepPeriod) {
  Node a;
  ASSERT_NO_FATAL_FAILURE(StartNode(a, "pub-a", /*due_sweep_period=*/absl::Seconds(1)));
  ASSERT_NO_FATAL_FAILURE(Schedule("d1", clock_.Now() + absl::Seconds(3)));
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        auto size = a.index->Count(kDueIndexName, -1e300, 1e300);
        return size.ok() && *size == 1;
      },
      kDeadline));
  // The sorted set goes (eviction, DEL, a promoted replica), its marker stays.
  auto del = a.redis->Command({"DEL", "carecast:idx:" + std::string(kDueIndexName)});
  ASSERT_TRUE(del.ok()) << del.status();
  ASSERT_EQ(*a.index->Count(kDueIndexName, -1e300, 1e300), 0);
  ASSERT_TRUE(*a.index->HasMarker(kDueIndexMarker));
  ASSERT_TRUE(testing::PollUntil(
      [&] { return StateOf("d1") == carecast::v1::POST_STATE_PUBLISHED; }, kDeadline));
  auto lines = SandboxLines();
  EXPECT_EQ(lines.size(), 1u);
  EXPECT_GE(testing::SeriesValue(a.registry, "carecast_index_repairs_total",
                                 {{"index", "publisher_due"}, {"kind", "added"}})
                .value_or(0),
            1.0);
  a.core->Stop();
}

TEST_F(PublisherIntegrationTest, HoldStopsDispatchAndResumeReleases) {
  Node a;
  ASSERT_NO_FATAL_FAILURE(StartNode(a, "pub-a"));
  SetHold(true);
  ASSERT_TRUE(testing::PollUntil([&] { return a.core->Status().ok() && a.core->Status()->held; },
                                 absl::Seconds(1)));
  ASSERT_NO_FATAL_FAILURE(Schedule("h1", clock_.Now()));
  // Nothing may go out while held (this waits on purpose: it checks an absence).
  absl::SleepFor(absl::Milliseconds(700));
  EXPECT_EQ(StateOf("h1"), carecast::v1::POST_STATE_SCHEDULED);
  EXPECT_TRUE(SandboxLines().empty());
  SetHold(false);
  ASSERT_TRUE(testing::PollUntil(
      [&] { return StateOf("h1") == carecast::v1::POST_STATE_PUBLISHED; }, kDeadline));
  a.core->Stop();
}

// NEEDS_HUMAN resolved on real JetStream KV and streams: one node takes the
// person's answers, the other (which learns of the reschedule only from the
// event) may be the one that sends it; either way it goes out once, the audit
// stream names the person, and ListPublished reads the real bucket.
TEST_F(PublisherIntegrationTest, APersonResolvesNeedsHumanPostsAndEachGoesOutOnce) {
  Node a, b;
  ASSERT_NO_FATAL_FAILURE(StartNode(a, "pub-a"));
  ASSERT_NO_FATAL_FAILURE(StartNode(b, "pub-b"));
  for (const std::string id : {"nh-missing", "nh-seen"}) {
    ASSERT_NO_FATAL_FAILURE(Schedule(id, clock_.Now() + absl::Hours(1)));
    auto r = ReadPost(*posts_, id);
    ASSERT_TRUE(r.ok()) << r.status();
    r->post.set_state(carecast::v1::POST_STATE_NEEDS_HUMAN);
    r->post.set_claimed_by("pub-dead");
    r->post.set_attempt(1);
    r->post.set_failure_reason("outcome unknown after the channel call");
    ASSERT_TRUE(posts_->Update(id, r->post.SerializeAsString(), r->revision).ok());
  }
  const Resolver paula{"paula", "publisher", common::SpokeScope::Hub()};

  carecast::v1::ConfirmPostPublishedRequest seen;
  seen.set_post("posts/nh-seen");
  seen.set_external_id("ext-77");
  seen.set_url("https://example.org/posts/77");
  auto published = a.core->ConfirmPostPublished(paula, seen);
  ASSERT_TRUE(published.ok()) << published.status();
  carecast::v1::ConfirmPostNotPublishedRequest missing;
  missing.set_post("posts/nh-missing");
  auto rescheduled = a.core->ConfirmPostNotPublished(paula, missing);
  ASSERT_TRUE(rescheduled.ok()) << rescheduled.status();

  ASSERT_TRUE(testing::PollUntil(
      [&] { return StateOf("nh-missing") == carecast::v1::POST_STATE_PUBLISHED; }, kDeadline));
  EXPECT_EQ(SandboxLines()["nh-missing.v1"], 1);
  EXPECT_EQ(SandboxLines().count("nh-seen.v1"), 0u) << "a confirmed post is never sent";
  EXPECT_EQ(StateOf("nh-seen"), carecast::v1::POST_STATE_PUBLISHED);

  auto audit =
      planner_->Read(std::string(common::streams::kAudit), "carecast.audit.posts.>", 1, 100);
  ASSERT_TRUE(audit.ok()) << audit.status();
  std::vector<std::string> by_paula;
  for (const common::Event& e : *audit) {
    carecast::v1::AuditRecorded recorded;
    ASSERT_TRUE(common::DecodeEvent(e, &recorded).ok());
    if (recorded.entry().actor() == "paula")
      by_paula.push_back(recorded.entry().resource() + " " + recorded.entry().action());
  }
  EXPECT_THAT(by_paula, ::testing::UnorderedElementsAre("posts/nh-seen post.publish",
                                                        "posts/nh-missing post.schedule"));

  // Both now published, newest first: the resend came after the confirmation.
  auto page = b.core->ListPublished(1, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->posts.size(), 1u);
  EXPECT_EQ(page->posts[0].name(), "posts/nh-missing");
  auto next = b.core->ListPublished(1, page->next_page_token);
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_EQ(next->posts.size(), 1u);
  EXPECT_EQ(next->posts[0].name(), "posts/nh-seen");
  EXPECT_EQ(next->posts[0].url(), "https://example.org/posts/77");
  EXPECT_TRUE(next->next_page_token.empty());
  a.core->Stop();
  b.core->Stop();
}

TEST_F(PublisherIntegrationTest, BinaryPublishesServesStatusAndMetricsAndStopsOnSigterm) {
  const testing::TestTokens& tokens = testing::TestTokens::Get();
  auto started = StartServiceBinary(
      "services/publisher/carecast-publisher",
      {{"CARECAST_PUBLISHER_ID", "bin-1"}, {"CARECAST_SANDBOX_DIR", sandbox_dir_}}, kDeadline);
  ASSERT_TRUE(started.ok()) << started.status();
  const int grpc_port = started->grpc_port;
  const int http_port = started->http_port;
  std::unique_ptr<testing::ChildProcess>& process = started->process;

  ASSERT_NO_FATAL_FAILURE(Schedule("b1", clock_.Now() + absl::Milliseconds(200)));
  ASSERT_TRUE(testing::PollUntil(
      [&] { return StateOf("b1") == carecast::v1::POST_STATE_PUBLISHED; }, kDeadline))
      << "see " << process->log_file();
  EXPECT_EQ(SandboxLines()["b1.v1"], 1);

  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port),
                                     grpc::InsecureChannelCredentials());
  auto stub = carecast::v1::PublisherService::NewStub(channel);
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", tokens.BearerHeader("pat", {common::Role::kPublisher}));
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    carecast::v1::ListDeliveriesResponse listed;
    grpc::Status status = stub->ListDeliveries(&context, {}, &listed);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(listed.deliveries_size(), 1);
    EXPECT_EQ(listed.deliveries(0).post(), "posts/b1");
    EXPECT_EQ(listed.deliveries(0).publisher_id(), "bin-1");
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", tokens.BearerHeader("sam", {common::Role::kStrategist}));
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    carecast::v1::GetPublisherStatusResponse status_response;
    grpc::Status status = stub->GetPublisherStatus(&context, {}, &status_response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(status_response.publisher_id(), "bin-1");
    EXPECT_EQ(status_response.pending_posts(), 0);
  }

  auto metrics = testing::HttpCall(http_port, "GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->body,
              HasSubstr("carecast_publisher_posts_published_total{network=\"sandbox\"} 1"));
  for (const char* name :
       {"carecast_publisher_publish_lateness_seconds_bucket",
        "carecast_publisher_claims_lost_total", "carecast_publisher_held",
        "carecast_publisher_due_posts", "carecast_publisher_index_rebuilds_total",
        "grpc_server_handled_total"}) {
    EXPECT_THAT(metrics->body, HasSubstr(name));
  }

  auto exit_code = process->Terminate(absl::Seconds(15));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0);
}

}  // namespace
}  // namespace carecast::publisher
