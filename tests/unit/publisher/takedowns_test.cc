// Automatic takedown over in-memory fakes: what Takedowns deletes, in which
// order, and what it records on the task for each answer of the network.
#include "services/publisher/takedowns.h"

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "carecast/v1/events.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "services/common/store/outbox.h"
#include "services/publisher/post_records.h"
#include "services/publisher/publisher.h"
#include "tests/support/fake_event_bus.h"
#include "tests/support/in_memory_key_value_store.h"
#include "tests/support/in_memory_sorted_index.h"
#include "tests/unit/publisher/fake_channel.h"
#include "tests/unit/publisher/publisher_harness.h"

namespace carecast::publisher {
namespace {

namespace v1 = carecast::v1;
using ::testing::ElementsAre;
using testing::FakeChannel;
using ::testing::HasSubstr;
using testing::MetricValue;

constexpr char kAccount[] = "spokes/s1/accounts/m1";

class TakedownsTest : public ::testing::Test {
 protected:
  TakedownsTest() {
    posts_kv_ = *kv_.OpenBucket({.name = std::string(common::buckets::kPosts)});
    org_kv_ = *kv_.OpenBucket({.name = std::string(common::buckets::kOrganisation)});
    outbox_kv_ = *kv_.OpenBucket({.name = std::string(common::kOutboxBucket)});
    (void)common::EnsureStreams(bus_, {});
    (void)channels_.Register(v1::NETWORK_MASTODON, channel_);
    outbox_ = std::make_unique<common::Outbox>(bus_, *outbox_kv_, clock_, logger_,
                                               common::NullOutboxObserver(), "pub-1");
    posts_ = std::make_unique<common::EntityStore>(*posts_kv_, std::string(common::buckets::kPosts),
                                                   *outbox_);
    organisation_ = std::make_unique<common::EntityStore>(
        *org_kv_, std::string(common::buckets::kOrganisation), *outbox_);
    options_.retry_backoff = absl::Seconds(2);
    options_.max_retry_backoff = absl::Minutes(5);
    takedowns_ = std::make_unique<Takedowns>(*organisation_, *posts_, channels_, clock_, logger_,
                                             metrics_, options_);
  }

  PublishRequest Request(const std::string& id, int part = 0) {
    PublishRequest r;
    r.post = "posts/" + id;
    r.content_version = 1;
    r.idempotency_key = part == 0 ? id + ".v1" : absl::StrCat(id, ".v1.part", part);
    r.account = kAccount;
    r.network = v1::NETWORK_MASTODON;
    r.text = "Meet Ana, who walked again";
    return r;
  }

  // A post as the publisher left it; `parts` later thread parts are published
  // too (channel_progress thread.<i>). Returns the external ids, part 0 first.
  std::vector<std::string> Publish(const std::string& id, int parts = 0) {
    std::vector<std::string> ids;
    for (int i = 0; i <= parts; ++i) ids.push_back(channel_.Publish(Request(id, i))->external_id);
    v1::Post p = PostOf(id, v1::POST_STATE_PUBLISHED);
    p.set_external_id(ids[0]);
    for (int i = 1; i <= parts; ++i)
      (*p.mutable_channel_progress())[absl::StrCat("thread.", i)] = ids[i];
    PutPost(p);
    return ids;
  }

  v1::Post PostOf(const std::string& id, v1::PostState state) {
    v1::Post p;
    p.set_name("posts/" + id);
    p.set_content("contents/c-" + id);
    p.set_account(kAccount);
    p.set_network(v1::NETWORK_MASTODON);
    p.set_content_version(1);
    p.set_text("Meet Ana, who walked again");
    p.set_state(state);
    return p;
  }

  void PutPost(const v1::Post& p) { ASSERT_TRUE(posts_->Create(PostIdFromName(p.name()), p).ok()); }

  // The task the planner raises for `post` (as RaiseTakedown writes it).
  void Raise(const v1::Post& post, const std::string& external_id) {
    v1::TakedownTask task;
    const std::string id = PostIdFromName(post.name());
    task.set_name("takedownTasks/" + id);
    task.set_post(post.name());
    task.set_account(post.account());
    task.set_network(post.network());
    task.set_external_id(external_id);
    task.set_post_state(post.state());
    task.set_patient_authorization("patientAuthorizations/pa1");
    task.set_spoke("spokes/s1");
    task.set_state(v1::TAKEDOWN_TASK_STATE_OPEN);
    ASSERT_TRUE(organisation_->Create("takedowns." + id, task).ok());
  }

  v1::TakedownTask Task(const std::string& id) {
    auto stored = organisation_->Get<v1::TakedownTask>("takedowns." + id);
    EXPECT_TRUE(stored.ok()) << stored.status();
    return stored.ok() ? stored->value : v1::TakedownTask();
  }

  TakedownOutcome RunOnce(const std::string& id) {
    absl::StatusOr<TakedownOutcome> outcome = takedowns_->Run(id);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    return outcome.ok() ? *outcome : TakedownOutcome::kNoTask;
  }

  double Result(const std::string& result) {
    return MetricValue(registry_, "carecast_publisher_takedowns_total",
                       {{"network", "mastodon"}, {"result", result}});
  }

  carecast::testing::InMemoryKeyValueStoreFactory kv_;
  std::unique_ptr<common::KeyValueStore> posts_kv_, org_kv_, outbox_kv_;
  carecast::testing::FakeEventBus bus_;
  common::FakeClock clock_;
  common::CapturingLogger logger_;
  prometheus::Registry registry_;
  PublisherMetrics metrics_{registry_};
  FakeChannel channel_;
  ChannelRegistry channels_;
  TakedownOptions options_;
  std::unique_ptr<common::Outbox> outbox_;
  std::unique_ptr<common::EntityStore> posts_, organisation_;
  std::unique_ptr<Takedowns> takedowns_;
};

TEST_F(TakedownsTest, DeletesAPublishedPostAndCompletesTheTaskWithItsEvent) {
  std::vector<std::string> ids = Publish("p1");
  Raise(PostOf("p1", v1::POST_STATE_PUBLISHED), ids[0]);

  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kDone);

  EXPECT_THAT(channel_.Deleted(), ElementsAre(ids[0]));
  EXPECT_EQ(channel_.delivery_count(), 0u);
  v1::TakedownTask task = Task("p1");
  EXPECT_EQ(task.state(), v1::TAKEDOWN_TASK_STATE_DONE);
  EXPECT_EQ(task.completed_by(), "service:publisher");
  EXPECT_THAT(task.note(), HasSubstr(ids[0]));
  EXPECT_TRUE(task.has_complete_time());
  EXPECT_EQ(task.attempts(), 1);
  std::vector<common::Event> completed =
      bus_.Published(std::string(common::subjects::kTakedownCompleted));
  ASSERT_EQ(completed.size(), 1u);
  EXPECT_EQ(completed[0].id, "takedownTasks.p1.b1.completed");
  v1::TakedownTaskChanged payload;
  ASSERT_TRUE(common::DecodeEvent(completed[0], &payload).ok());
  EXPECT_EQ(payload.takedown_task().state(), v1::TAKEDOWN_TASK_STATE_DONE);
  EXPECT_EQ(payload.actor(), "service:publisher");
  EXPECT_EQ(bus_.Published("carecast.audit.takedownTasks.p1").size(), 1u);
  EXPECT_EQ(Result("removed"), 1);
  // No post text in the logs.
  for (const common::CapturingLogger::Line& line : logger_.lines()) {
    for (const common::LogField& field : line.fields) {
      const auto* text = std::get_if<std::string>(&field.second);
      if (text != nullptr) {
        EXPECT_THAT(*text, ::testing::Not(HasSubstr("Ana")));
      }
    }
  }
}

TEST_F(TakedownsTest, DeletesAThreadLastPartFirst) {
  std::vector<std::string> ids = Publish("p1", /*parts=*/2);
  Raise(PostOf("p1", v1::POST_STATE_PUBLISHED), ids[0]);

  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kDone);

  EXPECT_THAT(channel_.Deleted(), ElementsAre(ids[2], ids[1], ids[0]));
  EXPECT_EQ(channel_.delivery_count(), 0u);
}

TEST_F(TakedownsTest, APostTheNetworkNoLongerHasCountsAsRemoved) {
  std::vector<std::string> ids = Publish("p1");
  // Removed by hand (or by a run that died before its DONE write).
  ASSERT_TRUE(channel_.Delete(kAccount, ids[0]).ok());
  Raise(PostOf("p1", v1::POST_STATE_PUBLISHED), ids[0]);

  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kDone);

  v1::TakedownTask task = Task("p1");
  EXPECT_EQ(task.state(), v1::TAKEDOWN_TASK_STATE_DONE);
  EXPECT_THAT(task.note(), HasSubstr("already gone"));
  EXPECT_EQ(Result("already_gone"), 1);
}

TEST_F(TakedownsTest, ARedeliveredEventForADoneTaskDoesNothing) {
  std::vector<std::string> ids = Publish("p1");
  Raise(PostOf("p1", v1::POST_STATE_PUBLISHED), ids[0]);
  ASSERT_EQ(RunOnce("p1"), TakedownOutcome::kDone);
  const int calls = channel_.delete_calls();

  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kAlreadyDone);

  EXPECT_EQ(channel_.delete_calls(), calls);
  EXPECT_EQ(bus_.Published(std::string(common::subjects::kTakedownCompleted)).size(), 1u);
}

TEST_F(TakedownsTest, ARateLimitedDeleteIsRetriedAfterTheNetworksWait) {
  std::vector<std::string> ids = Publish("p1");
  Raise(PostOf("p1", v1::POST_STATE_PUBLISHED), ids[0]);
  channel_.QueueDeleteFailure(ChannelErrorKind::kRateLimited, absl::Seconds(60));

  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kRetryLater);
  v1::TakedownTask task = Task("p1");
  EXPECT_EQ(task.state(), v1::TAKEDOWN_TASK_STATE_OPEN);
  EXPECT_EQ(task.attempts(), 1);
  EXPECT_THAT(task.last_error(), HasSubstr("rate_limited"));
  EXPECT_FALSE(task.awaits_person());
  EXPECT_EQ(ToTime(task.retry_time()), clock_.Now() + absl::Seconds(60));
  EXPECT_EQ(Result("retry"), 1);

  // Redelivered before the wait is over: the network is not asked.
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kRetryLater);
  EXPECT_EQ(channel_.delete_calls(), 1);

  clock_.Advance(absl::Seconds(31));
  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kDone);
  EXPECT_EQ(Task("p1").state(), v1::TAKEDOWN_TASK_STATE_DONE);
  EXPECT_EQ(Task("p1").attempts(), 2);
  EXPECT_EQ(channel_.delivery_count(), 0u);
}

TEST_F(TakedownsTest, ARetryableFailureBacksOffAndDoubles) {
  std::vector<std::string> ids = Publish("p1");
  Raise(PostOf("p1", v1::POST_STATE_PUBLISHED), ids[0]);
  channel_.QueueDeleteFailure(ChannelErrorKind::kRetryable);
  channel_.QueueDeleteFailure(ChannelErrorKind::kOutcomeUnknown);

  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kRetryLater);
  EXPECT_EQ(ToTime(Task("p1").retry_time()), clock_.Now() + absl::Seconds(2));
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kRetryLater);
  EXPECT_EQ(ToTime(Task("p1").retry_time()), clock_.Now() + absl::Seconds(4));
  clock_.Advance(absl::Seconds(4));
  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kDone);
}

TEST_F(TakedownsTest, AnExpiredTokenLeavesTheTaskOpenForAPersonWithTheReason) {
  std::vector<std::string> ids = Publish("p1");
  Raise(PostOf("p1", v1::POST_STATE_PUBLISHED), ids[0]);
  channel_.QueueDeleteFailure(ChannelErrorKind::kAuthExpired);

  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kLeftForPerson);

  v1::TakedownTask task = Task("p1");
  EXPECT_EQ(task.state(), v1::TAKEDOWN_TASK_STATE_OPEN);
  EXPECT_TRUE(task.awaits_person());
  EXPECT_THAT(task.last_error(), HasSubstr("auth_expired"));
  EXPECT_FALSE(task.has_retry_time());
  EXPECT_EQ(Result("left_for_person"), 1);
  EXPECT_TRUE(bus_.Published(std::string(common::subjects::kTakedownCompleted)).empty());
  // A redelivery leaves it to the person.
  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kLeftForPerson);
  EXPECT_EQ(channel_.delete_calls(), 1);
  EXPECT_EQ(channel_.delivery_count(), 1u);
}

TEST_F(TakedownsTest, ANetworkThatCannotDeleteLeavesTheTaskForAPerson) {
  std::vector<std::string> ids = Publish("p1");
  Raise(PostOf("p1", v1::POST_STATE_PUBLISHED), ids[0]);
  channel_.QueueDeleteFailure(ChannelErrorKind::kPermanent);

  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kLeftForPerson);
  EXPECT_THAT(Task("p1").last_error(), HasSubstr("permanent"));
}

TEST_F(TakedownsTest, ANetworkWithoutAnAdapterHereLeavesTheTaskForAPerson) {
  v1::Post p = PostOf("p1", v1::POST_STATE_PUBLISHED);
  p.set_network(v1::NETWORK_X);
  p.set_external_id("x-1");
  PutPost(p);
  Raise(p, "x-1");

  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kLeftForPerson);
  EXPECT_THAT(Task("p1").last_error(), HasSubstr("no adapter"));
}

TEST_F(TakedownsTest, APostOfUnknownOutcomeIsLookedForAndDeletedWhenFound) {
  // Sent, then the answer was lost: NEEDS_HUMAN with no external id.
  absl::StatusOr<Receipt> sent = channel_.Publish(Request("p1"));
  ASSERT_TRUE(sent.ok());
  v1::Post p = PostOf("p1", v1::POST_STATE_NEEDS_HUMAN);
  SetTime(clock_.Now() - absl::Minutes(5), p.mutable_send_time());
  PutPost(p);
  Raise(p, "");

  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kDone);

  EXPECT_EQ(channel_.find_calls(), 1);
  EXPECT_THAT(channel_.Deleted(), ElementsAre(sent->external_id));
  EXPECT_EQ(Task("p1").state(), v1::TAKEDOWN_TASK_STATE_DONE);
}

TEST_F(TakedownsTest, APostOfUnknownOutcomeTheNetworkDoesNotHaveIsDone) {
  v1::Post p = PostOf("p1", v1::POST_STATE_NEEDS_HUMAN);
  SetTime(clock_.Now() - absl::Minutes(5), p.mutable_send_time());
  PutPost(p);
  Raise(p, "");

  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kDone);

  EXPECT_EQ(channel_.delete_calls(), 0);
  EXPECT_THAT(Task("p1").note(), HasSubstr("does not have it"));
  EXPECT_EQ(Result("not_on_network"), 1);
}

TEST_F(TakedownsTest, WhenTheNetworkCannotTellTheTaskIsLeftForAPersonAfterSomeTries) {
  v1::Post p = PostOf("p1", v1::POST_STATE_NEEDS_HUMAN);
  SetTime(clock_.Now() - absl::Minutes(5), p.mutable_send_time());
  PutPost(p);
  Raise(p, "");
  channel_.SetFindUnavailable(true);

  for (int i = 1; i < options_.find_attempts; ++i) {
    ASSERT_EQ(RunOnce("p1"), TakedownOutcome::kRetryLater) << i;
    clock_.Advance(absl::Minutes(5));
  }
  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kLeftForPerson);

  v1::TakedownTask task = Task("p1");
  EXPECT_TRUE(task.awaits_person());
  EXPECT_THAT(task.last_error(), HasSubstr("cannot tell"));
  EXPECT_EQ(channel_.delete_calls(), 0);
}

TEST_F(TakedownsTest, APostNeverSentNeedsNoDelete) {
  v1::Post p = PostOf("p1", v1::POST_STATE_NEEDS_HUMAN);
  PutPost(p);
  Raise(p, "");

  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kDone);

  EXPECT_EQ(channel_.find_calls(), 0);
  EXPECT_THAT(Task("p1").note(), HasSubstr("never sent"));
}

TEST_F(TakedownsTest, APostBeingPublishedIsLookedAtAgainOnceItsClaimEnds) {
  v1::Post p = PostOf("p1", v1::POST_STATE_PUBLISHING);
  PutPost(p);
  Raise(p, "");

  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kRetryLater);
  EXPECT_EQ(Task("p1").state(), v1::TAKEDOWN_TASK_STATE_OPEN);
  EXPECT_EQ(channel_.find_calls(), 0);
}

TEST_F(TakedownsTest, ATaskCompletedByAPersonMeanwhileIsLeftAsTheyWroteIt) {
  std::vector<std::string> ids = Publish("p1");
  Raise(PostOf("p1", v1::POST_STATE_PUBLISHED), ids[0]);
  auto stored = organisation_->Get<v1::TakedownTask>("takedowns.p1");
  ASSERT_TRUE(stored.ok());
  v1::TakedownTask done = stored->value;
  done.set_state(v1::TAKEDOWN_TASK_STATE_DONE);
  done.set_completed_by("user:alice");
  ASSERT_TRUE(organisation_->Update("takedowns.p1", done, *stored).ok());

  EXPECT_EQ(RunOnce("p1"), TakedownOutcome::kAlreadyDone);
  EXPECT_EQ(Task("p1").completed_by(), "user:alice");
  EXPECT_EQ(channel_.delete_calls(), 0);
}

TEST_F(TakedownsTest, TheEventHandlerAcknowledgesOnlySettledTasks) {
  std::vector<std::string> ids = Publish("p1");
  Raise(PostOf("p1", v1::POST_STATE_PUBLISHED), ids[0]);
  v1::TakedownTaskChanged payload;
  payload.mutable_takedown_task()->set_name("takedownTasks/p1");
  common::Event raised = common::MakeEvent(common::subjects::kTakedownRaised, payload,
                                           "/carecast/planner", clock_.Now());
  channel_.QueueDeleteFailure(ChannelErrorKind::kRateLimited, absl::Seconds(5));

  EXPECT_EQ(takedowns_->OnEvent(raised), common::Disposition::kRetry);
  clock_.Advance(absl::Seconds(5));
  EXPECT_EQ(takedowns_->OnEvent(raised), common::Disposition::kAck);
  EXPECT_EQ(takedowns_->OnEvent(raised), common::Disposition::kAck);

  common::Event bad = raised;
  bad.data = "not a proto";
  EXPECT_EQ(takedowns_->OnEvent(bad), common::Disposition::kReject);
}

// The publisher consumes carecast.takedown.raised itself when it has the
// organisation bucket and the switch is on.
TEST(PublisherTakedownTest, ThePublisherTakesDownWhatThePlannerRaises) {
  testing::PublisherHarness h;
  FakeChannel mastodon;
  ASSERT_TRUE(h.channels_.Register(v1::NETWORK_MASTODON, mastodon).ok());
  auto org = *h.kv_.OpenBucket({.name = std::string(common::buckets::kOrganisation)});
  prometheus::Registry registry;
  PublisherMetrics metrics(registry);
  common::CapturingLogger logger;
  PublisherOptions options = h.DefaultOptions("pub-1", /*run_loop=*/false);
  auto publisher = Publisher::Create(options, {.bus = h.bus_,
                                               .posts = *h.posts_,
                                               .contents = *h.contents_,
                                               .control = *h.control_,
                                               .index = h.index_,
                                               .channels = h.channels_,
                                               .clock = h.clock_,
                                               .logger = logger,
                                               .metrics = metrics,
                                               .outbox = *h.outbox_,
                                               .organisation = org.get()});
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  ASSERT_NE((*publisher)->takedowns(), nullptr);
  ASSERT_TRUE((*publisher)->Start().ok());

  PublishRequest request;
  request.post = "posts/p1";
  request.idempotency_key = "p1.v1";
  request.account = kAccount;
  const std::string external_id = mastodon.Publish(request)->external_id;
  v1::Post post;
  post.set_name("posts/p1");
  post.set_account(kAccount);
  post.set_network(v1::NETWORK_MASTODON);
  post.set_state(v1::POST_STATE_PUBLISHED);
  post.set_external_id(external_id);
  ASSERT_TRUE(h.posts_->Create("p1", post.SerializeAsString()).ok());
  v1::TakedownTask task;
  task.set_name("takedownTasks/p1");
  task.set_post("posts/p1");
  task.set_account(kAccount);
  task.set_network(v1::NETWORK_MASTODON);
  task.set_external_id(external_id);
  task.set_state(v1::TAKEDOWN_TASK_STATE_OPEN);
  ASSERT_TRUE(org->Create("takedowns.p1", task.SerializeAsString()).ok());
  v1::TakedownTaskChanged payload;
  *payload.mutable_takedown_task() = task;
  ASSERT_TRUE(h.bus_
                  .Publish(common::MakeEvent(common::subjects::kTakedownRaised, payload,
                                             "/carecast/planner", h.clock_.Now(),
                                             "takedownTasks.p1.b0.raised"))
                  .ok());

  ASSERT_TRUE(h.bus_.WaitUntilDrained(absl::Seconds(10)));
  EXPECT_EQ(mastodon.delivery_count(), 0u);
  EXPECT_EQ(h.bus_.Published(std::string(common::subjects::kTakedownCompleted)).size(), 1u);
  (*publisher)->Stop();
}

TEST(PublisherTakedownTest, SwitchedOffThePublisherLeavesTakedownsToPeople) {
  testing::PublisherHarness h;
  auto org = *h.kv_.OpenBucket({.name = std::string(common::buckets::kOrganisation)});
  prometheus::Registry registry;
  PublisherMetrics metrics(registry);
  common::CapturingLogger logger;
  PublisherOptions options = h.DefaultOptions("pub-1", /*run_loop=*/false);
  options.takedown.automatic = false;
  auto publisher = Publisher::Create(options, {.bus = h.bus_,
                                               .posts = *h.posts_,
                                               .contents = *h.contents_,
                                               .control = *h.control_,
                                               .index = h.index_,
                                               .channels = h.channels_,
                                               .clock = h.clock_,
                                               .logger = logger,
                                               .metrics = metrics,
                                               .outbox = *h.outbox_,
                                               .organisation = org.get()});
  ASSERT_TRUE(publisher.ok());
  EXPECT_EQ((*publisher)->takedowns(), nullptr);
}

}  // namespace
}  // namespace carecast::publisher
