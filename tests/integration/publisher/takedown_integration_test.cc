// Automatic takedown on a real nats-server (JetStream) and redis-server: the
// planner's side writes takedown tasks into the organisation bucket and raises
// carecast.takedown.raised; the publisher, on the real Mastodon adapter against
// the local Mastodon fake (which counts deletes), removes the posts (a thread's
// parts included), counts a post the network no longer has as done, waits out a
// 429 and retries, and leaves a task whose token expired OPEN with the reason.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "carecast/v1/events.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "services/common/http/curl_http_client.h"
#include "services/common/redis/redis_client.h"
#include "services/common/redis/redis_sorted_index.h"
#include "services/common/store/entity_store.h"
#include "services/publisher/channels/channel_registry.h"
#include "services/publisher/channels/in_memory_rate_limiter.h"
#include "services/publisher/channels/mastodon_channel.h"
#include "services/publisher/post_records.h"
#include "services/publisher/publisher.h"
#include "services/publisher/publisher_metrics.h"
#include "tests/support/fake_networks/mastodon_fake.h"
#include "tests/support/local_servers.h"
#include "tests/support/local_servers_test.h"
#include "tests/support/static_credential_source.h"

namespace carecast::publisher {
namespace {

namespace v1 = carecast::v1;
using carecast::testing::FakeFault;
using carecast::testing::MastodonFake;
using carecast::testing::StaticCredentialSource;
using ::testing::HasSubstr;

constexpr char kAccount[] = "spokes/north/accounts/mastodon-main";
constexpr absl::Duration kDeadline = absl::Seconds(30);

class TakedownIntegrationTest : public carecast::testing::LocalServersTest {
 protected:
  void SetUp() override {
    LocalServersTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(fake_.Start().ok());
    Credential credential;
    credential.access_token = "token-1";
    credential.fields["user_id"] = fake_.settings().account_id;
    credentials_.Set(kAccount, credential);
    MastodonChannelOptions mastodon;
    mastodon.base_url = fake_.base_url();
    mastodon.call_timeout = absl::Seconds(5);
    channel_ = std::make_unique<MastodonChannel>(mastodon, http_, credentials_, limiter_, clock_);
    ASSERT_TRUE(channels_.Register(v1::NETWORK_MASTODON, *channel_).ok());

    // The planner's side: its own connection and buckets.
    planner_ = Connect("planner-stand-in");
    ASSERT_NE(planner_, nullptr);
    ASSERT_TRUE(common::EnsureStreams(*planner_, {}).ok());
    posts_ = *planner_->OpenBucket(common::BucketSpecFor(common::buckets::kPosts, {}));
    organisation_ =
        *planner_->OpenBucket(common::BucketSpecFor(common::buckets::kOrganisation, {}));
  }

  void TearDown() override {
    if (core_) core_->Stop();
  }

  std::unique_ptr<common::NatsConnection> Connect(const std::string& name) {
    common::NatsOptions options;
    options.url = nats_server_->url();
    options.name = name;
    auto conn = common::NatsConnection::Connect(options, logger_);
    EXPECT_TRUE(conn.ok()) << conn.status();
    return conn.ok() ? *std::move(conn) : nullptr;
  }

  void StartPublisher() {
    nats_ = Connect("pub-1");
    ASSERT_NE(nats_, nullptr);
    pub_posts_ = *nats_->OpenBucket(common::BucketSpecFor(common::buckets::kPosts, {}));
    pub_contents_ = *nats_->OpenBucket(common::BucketSpecFor(common::buckets::kContents, {}));
    pub_control_ = *nats_->OpenBucket(common::BucketSpecFor(common::buckets::kControl, {}));
    pub_outbox_ = *nats_->OpenBucket(common::BucketSpecFor(common::kOutboxBucket, {}));
    pub_organisation_ =
        *nats_->OpenBucket(common::BucketSpecFor(common::buckets::kOrganisation, {}));
    common::RedisOptions redis_options;
    redis_options.url = redis_server_->url();
    auto redis = common::RedisClient::Connect(redis_options, logger_);
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    index_ = std::make_unique<common::RedisSortedIndex>(*redis_, "carecast:");
    PublisherOptions options;
    options.publisher_id = "pub-1";
    options.takedown.retry_backoff = absl::Milliseconds(200);
    auto core = Publisher::Create(options, {.bus = *nats_,
                                            .posts = *pub_posts_,
                                            .contents = *pub_contents_,
                                            .control = *pub_control_,
                                            .index = *index_,
                                            .channels = channels_,
                                            .clock = clock_,
                                            .logger = logger_,
                                            .metrics = metrics_,
                                            .outbox = *pub_outbox_,
                                            .organisation = pub_organisation_.get()});
    ASSERT_TRUE(core.ok()) << core.status();
    core_ = *std::move(core);
    ASSERT_TRUE(core_->Start().ok());
  }

  // Publishes post `id` at the fake through the adapter (`parts` - 1 replies
  // threaded under it) and records it PUBLISHED as the publisher would.
  std::vector<std::string> PublishPost(const std::string& id, int parts = 1) {
    std::vector<std::string> ids;
    for (int i = 0; i < parts; ++i) {
      PublishRequest request;
      request.post = "posts/" + id;
      request.content_version = 1;
      request.idempotency_key = absl::StrCat(id, ".v1", i == 0 ? "" : absl::StrCat(".", i));
      request.account = kAccount;
      request.network = v1::NETWORK_MASTODON;
      request.text = absl::StrCat("Ana's recovery story, part ", i + 1);
      if (i > 0) request.in_reply_to = ids.back();
      absl::StatusOr<Receipt> receipt = channel_->Publish(request);
      EXPECT_TRUE(receipt.ok()) << receipt.status();
      ids.push_back(receipt.ok() ? receipt->external_id : "");
    }
    v1::Post post;
    post.set_name("posts/" + id);
    post.set_content("contents/c-" + id);
    post.set_account(kAccount);
    post.set_network(v1::NETWORK_MASTODON);
    post.set_content_version(1);
    post.set_state(v1::POST_STATE_PUBLISHED);
    post.set_external_id(ids[0]);
    for (int i = 1; i < parts; ++i)
      (*post.mutable_channel_progress())[absl::StrCat("thread.", i)] = ids[i];
    EXPECT_TRUE(posts_->Create(id, post.SerializeAsString()).ok());
    return ids;
  }

  // What the planner's RaiseTakedown writes and announces.
  void Raise(const std::string& id, const std::string& external_id) {
    v1::TakedownTask task;
    task.set_name("takedownTasks/" + id);
    task.set_post("posts/" + id);
    task.set_account(kAccount);
    task.set_network(v1::NETWORK_MASTODON);
    task.set_external_id(external_id);
    task.set_post_state(v1::POST_STATE_PUBLISHED);
    task.set_patient_authorization("patientAuthorizations/pa1");
    task.set_spoke("spokes/north");
    task.set_state(v1::TAKEDOWN_TASK_STATE_OPEN);
    ASSERT_TRUE(organisation_->Create("takedowns." + id, task.SerializeAsString()).ok());
    v1::TakedownTaskChanged payload;
    *payload.mutable_takedown_task() = task;
    payload.set_actor("user:alice");
    ASSERT_TRUE(planner_
                    ->Publish(common::MakeEvent(common::subjects::kTakedownRaised, payload,
                                                "/carecast/planner", clock_.Now(),
                                                absl::StrCat("takedownTasks.", id, ".b0.raised")))
                    .ok());
  }

  v1::TakedownTask Task(const std::string& id) {
    v1::TakedownTask task;
    absl::StatusOr<common::KvEntry> entry = organisation_->Get("takedowns." + id);
    if (entry.ok()) task.ParseFromString(common::DecodeRecord(*std::move(entry)).value);
    return task;
  }

  template <class Pred>
  static bool WaitFor(Pred pred, absl::Duration timeout = kDeadline) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (pred()) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return pred();
  }

  bool IsDone(const std::string& id) { return Task(id).state() == v1::TAKEDOWN_TASK_STATE_DONE; }

  size_t EventCount(const std::string& filter, std::string_view stream = common::streams::kEvents) {
    auto events = planner_->Read(std::string(stream), filter, 1, 10'000);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? events->size() : 0;
  }

  MastodonFake fake_;
  common::SystemClock clock_;
  common::CurlHttpClient http_;
  StaticCredentialSource credentials_;
  InMemoryRateLimiter limiter_{clock_};
  std::unique_ptr<MastodonChannel> channel_;
  ChannelRegistry channels_;
  common::CapturingLogger logger_;
  prometheus::Registry registry_;
  PublisherMetrics metrics_{registry_};
  std::unique_ptr<common::NatsConnection> planner_, nats_;
  std::unique_ptr<common::KeyValueStore> posts_, organisation_;
  std::unique_ptr<common::KeyValueStore> pub_posts_, pub_contents_, pub_control_, pub_outbox_,
      pub_organisation_;
  std::unique_ptr<common::RedisClient> redis_;
  std::unique_ptr<common::RedisSortedIndex> index_;
  std::unique_ptr<Publisher> core_;
};

TEST_F(TakedownIntegrationTest, RevokedPostsComeDownAtTheNetworkAndTheirTasksAreDone) {
  std::vector<std::string> single = PublishPost("p1");
  std::vector<std::string> thread = PublishPost("p2", /*parts=*/3);
  std::vector<std::string> gone = PublishPost("p3");
  // p3 was removed by hand before the task was worked: NOT_FOUND counts as done.
  ASSERT_TRUE(channel_->Delete(kAccount, gone[0]).ok());
  ASSERT_EQ(fake_.live_posts(), 4);
  ASSERT_EQ(fake_.deletes_accepted(), 1);
  ASSERT_NO_FATAL_FAILURE(StartPublisher());

  Raise("p1", single[0]);
  Raise("p2", thread[0]);
  Raise("p3", gone[0]);

  ASSERT_TRUE(WaitFor([&] { return IsDone("p1") && IsDone("p2") && IsDone("p3"); }));
  EXPECT_EQ(fake_.live_posts(), 0);
  EXPECT_EQ(fake_.deletes_accepted(), 5);  // 1 by hand + 1 + 3 thread parts
  for (const std::string& id : thread) EXPECT_TRUE(fake_.FindPost(id)->deleted) << id;
  v1::TakedownTask task = Task("p2");
  EXPECT_EQ(task.completed_by(), "service:publisher");
  for (const std::string& id : thread) EXPECT_THAT(task.note(), HasSubstr(id));
  EXPECT_THAT(Task("p3").note(), HasSubstr("already gone"));
  ASSERT_TRUE(WaitFor([&] { return EventCount("carecast.takedown.completed") == 3; }));
  EXPECT_EQ(EventCount("carecast.audit.takedownTasks.>", common::streams::kAudit), 3u);
}

TEST_F(TakedownIntegrationTest, A429IsWaitedOutAndTheDeleteRetried) {
  std::vector<std::string> ids = PublishPost("p1");
  fake_.QueueDeleteFault(FakeFault::kRateLimited);
  ASSERT_NO_FATAL_FAILURE(StartPublisher());

  Raise("p1", ids[0]);

  ASSERT_TRUE(WaitFor([&] { return IsDone("p1"); }));
  v1::TakedownTask task = Task("p1");
  EXPECT_EQ(task.attempts(), 2);
  EXPECT_THAT(task.last_error(), HasSubstr("rate_limited"));
  EXPECT_EQ(fake_.live_posts(), 0);
  EXPECT_EQ(fake_.deletes_accepted(), 1);
}

TEST_F(TakedownIntegrationTest, AnExpiredTokenLeavesTheTaskOpenWithTheReason) {
  std::vector<std::string> ids = PublishPost("p1");
  fake_.RevokeToken("token-1");  // and the credential source cannot refresh it
  ASSERT_NO_FATAL_FAILURE(StartPublisher());

  Raise("p1", ids[0]);

  ASSERT_TRUE(WaitFor([&] { return Task("p1").awaits_person(); }));
  v1::TakedownTask task = Task("p1");
  EXPECT_EQ(task.state(), v1::TAKEDOWN_TASK_STATE_OPEN);
  EXPECT_THAT(task.last_error(), HasSubstr("auth_expired"));
  EXPECT_EQ(fake_.live_posts(), 1);
  EXPECT_EQ(fake_.deletes_accepted(), 0);
  EXPECT_EQ(EventCount("carecast.takedown.completed"), 0u);
}

}  // namespace
}  // namespace carecast::publisher
