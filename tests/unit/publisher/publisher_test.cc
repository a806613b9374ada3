#include "services/publisher/publisher.h"

#include <atomic>
#include <set>
#include <thread>

#include "absl/synchronization/notification.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/forwarding_key_value_store.h"
#include "tests/unit/publisher/publisher_harness.h"

namespace carecast::publisher::testing {
namespace {

using carecast::v1::POST_STATE_AWAITING_APPROVAL;
using carecast::v1::POST_STATE_CANCELLED;
using carecast::v1::POST_STATE_FAILED;
using carecast::v1::POST_STATE_NEEDS_HUMAN;
using carecast::v1::POST_STATE_NEEDS_RESCHEDULE;
using carecast::v1::POST_STATE_PUBLISHED;
using carecast::v1::POST_STATE_PUBLISHING;
using carecast::v1::POST_STATE_SCHEDULED;

class PublisherTest : public ::testing::Test {
 protected:
  PublisherHarness h_;
};

TEST_F(PublisherTest, PublishesAtDueTimeAndNotBefore) {
  PublisherUnderTest& p = h_.AddStarted();
  absl::Time due = h_.clock_.Now() + absl::Seconds(10);
  h_.SchedulePost("p1", due);
  ASSERT_TRUE(h_.Drain());

  p.publisher->RunCycle();
  h_.clock_.Advance(absl::Milliseconds(9'999));
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_SCHEDULED);
  auto status = p.publisher->Status();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->pending_posts, 1);
  ASSERT_TRUE(status->next_due_time.has_value());
  EXPECT_EQ(*status->next_due_time, due);

  h_.clock_.Advance(absl::Milliseconds(1));
  CycleStats stats = p.publisher->RunCycle();
  EXPECT_EQ(stats.published, 1);

  PostRecord r = h_.GetPost("p1");
  EXPECT_EQ(r.post.state(), POST_STATE_PUBLISHED);
  EXPECT_EQ(r.post.external_id(), "fake-1");
  EXPECT_EQ(r.post.claimed_by(), "pub-a");
  EXPECT_EQ(r.post.attempt(), 1);
  EXPECT_EQ(ToTime(r.post.published_time()), due);
  ASSERT_EQ(h_.channel_.Delivered().size(), 1u);
  const PublishRequest sent = h_.channel_.Delivered()[0];
  EXPECT_EQ(sent.idempotency_key, "p1.v1");
  EXPECT_EQ(sent.post, "posts/p1");
  EXPECT_EQ(sent.text, "Flu shot clinics open Saturday. #p1");
  EXPECT_EQ(sent.account, "spokes/stmarys/accounts/main");

  auto events = h_.Events("carecast.post.published");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "post.p1.v1.published");
  carecast::v1::PostPublished payload;
  ASSERT_TRUE(common::DecodeEvent(events[0], &payload).ok());
  EXPECT_EQ(payload.post().state(), POST_STATE_PUBLISHED);
  EXPECT_EQ(payload.publisher_id(), "pub-a");

  EXPECT_EQ(*h_.index_.Count(kDueIndexName, -1e300, 1e300), 0);
  EXPECT_EQ(
      MetricValue(p.registry, "carecast_publisher_posts_published_total", {{"network", "sandbox"}}),
      1);
  EXPECT_EQ(MetricValue(p.registry, "carecast_publisher_publish_lateness_seconds",
                        {{"network", "sandbox"}}),
            1);
  EXPECT_EQ(MetricValue(p.registry, "carecast_publisher_publish_lateness_seconds",
                        {{"network", "mastodon"}}),
            0);
}

TEST_F(PublisherTest, PostsScheduledBeforeStartAreFoundByTheIndexRebuild) {
  h_.SchedulePost("early", h_.clock_.Now(), carecast::v1::NETWORK_SANDBOX, /*emit_event=*/false);
  PublisherUnderTest& p = h_.AddStarted();
  EXPECT_EQ(MetricValue(p.registry, "carecast_publisher_index_rebuilds_total"), 1);
  p.publisher->RunCycle();
  EXPECT_EQ(h_.StateOf("early"), POST_STATE_PUBLISHED);
}

TEST_F(PublisherTest, TwoPublishersPublishEachOf200SimultaneousPostsExactlyOnce) {
  constexpr int kPosts = 200;
  absl::Time due = h_.clock_.Now() + absl::Seconds(5);
  for (int i = 0; i < kPosts; ++i) h_.SchedulePost(absl::StrCat("post-", i), due);
  h_.channel_.SetPublishDelay(absl::Milliseconds(1));  // keeps both loops in the race
  PublisherUnderTest& a = h_.Add(h_.DefaultOptions("pub-a", true));
  PublisherUnderTest& b = h_.Add(h_.DefaultOptions("pub-b", true));
  ASSERT_TRUE(a.publisher->Start().ok());
  ASSERT_TRUE(b.publisher->Start().ok());
  ASSERT_TRUE(h_.Drain());
  h_.clock_.Advance(absl::Seconds(5));
  a.publisher->Wake();
  b.publisher->Wake();

  ASSERT_TRUE(PublisherHarness::WaitFor([&] {
    for (int i = 0; i < kPosts; ++i)
      if (h_.StateOf(absl::StrCat("post-", i)) != POST_STATE_PUBLISHED) return false;
    return true;
  })) << "not every post was published";
  a.publisher->Stop();
  b.publisher->Stop();

  auto by_key = h_.channel_.DeliveriesByKey();
  EXPECT_EQ(by_key.size(), static_cast<size_t>(kPosts));
  for (const auto& [key, count] : by_key) EXPECT_EQ(count, 1) << key;
  EXPECT_EQ(h_.channel_.delivery_count(), static_cast<size_t>(kPosts));

  std::set<std::string> event_ids;
  for (const auto& e : h_.Events("carecast.post.published")) event_ids.insert(e.id);
  EXPECT_EQ(event_ids.size(), static_cast<size_t>(kPosts));
  EXPECT_EQ(h_.Events("carecast.post.published").size(), static_cast<size_t>(kPosts));

  double published_a = MetricValue(a.registry, "carecast_publisher_posts_published_total");
  double published_b = MetricValue(b.registry, "carecast_publisher_posts_published_total");
  EXPECT_EQ(published_a + published_b, kPosts);
  std::map<std::string, int> by_publisher;
  for (int i = 0; i < kPosts; ++i)
    ++by_publisher[h_.GetPost(absl::StrCat("post-", i)).post.claimed_by()];
  EXPECT_EQ(by_publisher["pub-a"] + by_publisher["pub-b"], kPosts);
}

TEST_F(PublisherTest, HoldInKvStopsDispatchAndResumeReleasesDuePosts) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("p1", h_.clock_.Now() + absl::Seconds(1));
  ASSERT_TRUE(h_.Drain());
  h_.SetHold(true, /*emit_event=*/false);  // the event was lost: KV alone must stop it
  h_.clock_.Advance(absl::Minutes(10));
  CycleStats stats = p.publisher->RunCycle();
  EXPECT_TRUE(stats.held);
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_SCHEDULED);
  EXPECT_EQ(h_.GetPost("p1").post.attempt(), 0);
  EXPECT_EQ(MetricValue(p.registry, "carecast_publisher_held"), 1);

  h_.SetHold(false, /*emit_event=*/false);  // resume event lost too: KV read lifts it
  p.publisher->RunCycle();
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_PUBLISHED);
  EXPECT_EQ(MetricValue(p.registry, "carecast_publisher_held"), 0);
}

// A spoke held on its own keeps its posts (unclaimed, in the index) while the
// other spokes publish; lifting it releases them within kSpokeHoldRecheck.
TEST_F(PublisherTest, SpokeHoldKeepsThatSpokesPostsOnlyAndLiftsWithinTheRecheck) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("own", h_.clock_.Now() + absl::Seconds(1), carecast::v1::NETWORK_SANDBOX, true,
                  "spokes/stmarys/accounts/main");
  h_.SchedulePost("other", h_.clock_.Now() + absl::Seconds(1), carecast::v1::NETWORK_SANDBOX, true,
                  "spokes/lakeside/accounts/main");
  ASSERT_TRUE(h_.Drain());
  h_.SetHold(false, /*emit_event=*/false, {"spokes/stmarys"});  // KV alone must hold it
  h_.clock_.Advance(absl::Minutes(1));
  CycleStats stats = p.publisher->RunCycle();
  EXPECT_FALSE(stats.held);  // the rest of the batch went on
  EXPECT_EQ(h_.StateOf("other"), POST_STATE_PUBLISHED);
  EXPECT_EQ(h_.StateOf("own"), POST_STATE_SCHEDULED);
  EXPECT_EQ(h_.GetPost("own").post.attempt(), 0);
  EXPECT_EQ(h_.channel_.publish_calls(), 1);

  h_.clock_.Advance(kSpokeHoldRecheck);
  p.publisher->RunCycle();
  EXPECT_EQ(h_.StateOf("own"), POST_STATE_SCHEDULED);  // still held
  EXPECT_EQ(h_.channel_.publish_calls(), 1);

  h_.SetHold(false, /*emit_event=*/true, {});
  ASSERT_TRUE(h_.Drain());
  h_.clock_.Advance(kSpokeHoldRecheck);
  p.publisher->RunCycle();
  EXPECT_EQ(h_.StateOf("own"), POST_STATE_PUBLISHED);
  EXPECT_EQ(h_.channel_.delivery_count(), 2u);
}

// Wraps the control bucket and calls `before_get` before each Get.
class HookedStore final : public carecast::testing::ForwardingKeyValueStore {
 public:
  HookedStore(common::KeyValueStore& inner, std::function<void(int)> before_get)
      : ForwardingKeyValueStore(inner), before_get_(std::move(before_get)) {}
  absl::StatusOr<common::KvEntry> Get(std::string_view k) override {
    before_get_(++gets_);
    return inner().Get(k);
  }

 private:
  std::function<void(int)> before_get_;
  int gets_ = 0;
};

TEST_F(PublisherTest, HoldThatBeginsDuringTheClaimReleasesItWithoutCallingTheChannel) {
  bool arm = false;
  int armed_at = 0;
  HookedStore control(*h_.control_, [&](int n) {
    // The check before the claim passes; the hold lands before the check after it.
    if (arm && armed_at == 0) armed_at = n;
    if (arm && n == armed_at + 1) h_.SetHold(true, false);
  });
  PublisherUnderTest& p = h_.Add(h_.DefaultOptions("pub-a", false), &control);
  ASSERT_TRUE(p.publisher->Start().ok());
  h_.SchedulePost("p1", h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  arm = true;
  CycleStats stats = p.publisher->RunCycle();
  EXPECT_TRUE(stats.held);
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  PostRecord r = h_.GetPost("p1");
  EXPECT_EQ(r.post.state(), POST_STATE_SCHEDULED);
  EXPECT_EQ(r.post.attempt(), 0);
  EXPECT_EQ(r.post.claimed_by(), "");

  h_.SetHold(false, false);
  p.publisher->RunCycle();
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_PUBLISHED);
  EXPECT_EQ(h_.channel_.delivery_count(), 1u);
}

TEST_F(PublisherTest, HoldEventStopsARunningDispatchWithinOneSecond) {
  constexpr int kPosts = 300;
  h_.channel_.SetPublishDelay(absl::Milliseconds(10));  // dispatch takes ~3 s in all
  for (int i = 0; i < kPosts; ++i) h_.SchedulePost(absl::StrCat("h", i), h_.clock_.Now());
  PublisherUnderTest& p = h_.AddStarted("pub-a", /*run_loop=*/true);
  ASSERT_TRUE(PublisherHarness::WaitFor([&] { return h_.channel_.delivery_count() >= 10; }));

  h_.SetHold(true);
  absl::Time hold_time = absl::Now();
  ASSERT_TRUE(
      PublisherHarness::WaitFor([&] { return p.publisher->Status()->held; }, absl::Seconds(1)));
  absl::SleepFor(hold_time + absl::Seconds(1) - absl::Now());
  size_t after_one_second = h_.channel_.delivery_count();
  // Nothing more goes out once the hold has taken effect (this waits on purpose:
  // it checks that something does NOT happen).
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(h_.channel_.delivery_count(), after_one_second);
  EXPECT_LT(after_one_second, static_cast<size_t>(kPosts));

  h_.SetHold(false);
  ASSERT_TRUE(PublisherHarness::WaitFor(
      [&] { return h_.channel_.delivery_count() == static_cast<size_t>(kPosts); },
      absl::Seconds(20)));
  p.publisher->Stop();
  for (const auto& [key, count] : h_.channel_.DeliveriesByKey()) EXPECT_EQ(count, 1) << key;
}

TEST_F(PublisherTest, CancelledPostIsNeverPublished) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("p1", h_.clock_.Now() + absl::Seconds(5));
  h_.SchedulePost("p2", h_.clock_.Now() + absl::Seconds(5));
  ASSERT_TRUE(h_.Drain());
  h_.CancelPost("p1");
  h_.CancelPost("p2", /*emit_event=*/false);  // still indexed: KV must stop it
  ASSERT_TRUE(h_.Drain());
  h_.clock_.Advance(absl::Seconds(10));
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_CANCELLED);
  EXPECT_EQ(h_.StateOf("p2"), POST_STATE_CANCELLED);
  EXPECT_EQ(*h_.index_.Count(kDueIndexName, -1e300, 1e300), 0);
}

// The planner's late-approval states: the content is not approved (yet, or in
// time). Even indexed by a stale carecast.post.scheduled, neither is sent.
TEST_F(PublisherTest, APostAwaitingApprovalOrNeedingARescheduleIsNeverPublished) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("p1", h_.clock_.Now() + absl::Seconds(5));
  h_.SchedulePost("p2", h_.clock_.Now() + absl::Seconds(5));
  ASSERT_TRUE(h_.Drain());
  for (auto [id, state] : {std::pair{"p1", POST_STATE_AWAITING_APPROVAL},
                           std::pair{"p2", POST_STATE_NEEDS_RESCHEDULE}}) {
    h_.SetPostState(id, state);
  }
  h_.EmitPostChanged(common::subjects::kPostAwaitingApproval, h_.GetPost("p1").post);
  ASSERT_TRUE(h_.Drain());
  h_.clock_.Advance(absl::Seconds(10));
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_AWAITING_APPROVAL);
  EXPECT_EQ(h_.StateOf("p2"), POST_STATE_NEEDS_RESCHEDULE);
  EXPECT_EQ(*h_.index_.Count(kDueIndexName, -1e300, 1e300), 0);
}

TEST_F(PublisherTest, ContentEditedAfterApprovalIsNeverPublished) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("p1", h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  h_.EditContent("c-p1");  // bumps the version and voids the approval

  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  PostRecord r = h_.GetPost("p1");
  EXPECT_EQ(r.post.state(), POST_STATE_FAILED);
  EXPECT_EQ(r.post.failure_reason(), "content changed after approval");
  auto failed = h_.Events("carecast.post.failed");
  ASSERT_EQ(failed.size(), 1u);
  carecast::v1::PostFailed payload;
  ASSERT_TRUE(common::DecodeEvent(failed[0], &payload).ok());
  EXPECT_EQ(payload.reason(), "content changed after approval");
  EXPECT_EQ(MetricValue(p.registry, "carecast_publisher_posts_failed_total",
                        {{"network", "sandbox"}, {"reason_kind", "content_changed"}}),
            1);
}

TEST_F(PublisherTest, APatientStoryGoesOutOnlyUnderItsAuthorization) {
  PublisherUnderTest& p = h_.AddStarted();
  const absl::Time now = h_.clock_.Now();
  h_.SchedulePost("ok", now);
  h_.PutConsent("c-ok", "in-force", {carecast::v1::NETWORK_SANDBOX}, now + absl::Hours(24));
  h_.SchedulePost("revoked", now);
  h_.PutConsent("c-revoked", "withdrawn", {carecast::v1::NETWORK_SANDBOX}, now + absl::Hours(24),
                /*revoked=*/true);
  h_.SchedulePost("expired", now);
  h_.PutConsent("c-expired", "lapsed", {carecast::v1::NETWORK_SANDBOX}, now - absl::Seconds(1));
  h_.SchedulePost("narrow", now);
  h_.PutConsent("c-narrow", "x-only", {carecast::v1::NETWORK_X}, now + absl::Hours(24));
  h_.SchedulePost("missing", now);
  h_.PutConsent("c-missing", "gone", {carecast::v1::NETWORK_SANDBOX}, now + absl::Hours(24));
  (void)h_.contents_->Delete("authorizations.gone");
  ASSERT_TRUE(h_.Drain());

  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 1);
  EXPECT_EQ(h_.StateOf("ok"), POST_STATE_PUBLISHED);
  for (const char* id : {"revoked", "expired", "narrow", "missing"}) {
    PostRecord r = h_.GetPost(id);
    EXPECT_EQ(r.post.state(), POST_STATE_FAILED) << id;
  }
  EXPECT_THAT(h_.GetPost("revoked").post.failure_reason(), ::testing::HasSubstr("was revoked"));
  EXPECT_THAT(h_.GetPost("expired").post.failure_reason(), ::testing::HasSubstr("expires"));
  EXPECT_THAT(h_.GetPost("narrow").post.failure_reason(),
              ::testing::HasSubstr("does not cover NETWORK_SANDBOX"));
  EXPECT_EQ(MetricValue(p.registry, "carecast_publisher_posts_failed_total",
                        {{"network", "sandbox"}, {"reason_kind", "consent"}}),
            4);
}

TEST_F(PublisherTest, ARecycledPostThatMissedItsSlotIsNotPublishedLate) {
  PublisherUnderTest& p = h_.AddStarted();
  // Two recycled posts with 30 minutes' tolerance: one due 3 days ago (the
  // publishers were down), one due 10 minutes ago.
  for (auto [id, ago] :
       {std::pair{"old", absl::Hours(72)}, std::pair{"recent", absl::Minutes(10)}}) {
    carecast::v1::Post post = h_.SchedulePost(id, h_.clock_.Now() - ago);
    PostRecord r = h_.GetPost(id);
    r.post.mutable_late_tolerance()->set_seconds(int64_t{30} * 60);
    r.post.set_evergreen_item("evergreenItems/c-" + std::string(id));
    ASSERT_TRUE(h_.posts_->Update(id, r.post.SerializeAsString(), r.revision).ok());
  }
  ASSERT_TRUE(h_.Drain());
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 1);
  EXPECT_EQ(h_.StateOf("recent"), POST_STATE_PUBLISHED);
  PostRecord old = h_.GetPost("old");
  EXPECT_EQ(old.post.state(), POST_STATE_FAILED);
  EXPECT_THAT(old.post.failure_reason(), ::testing::HasSubstr("missed its slot"));
  EXPECT_EQ(MetricValue(p.registry, "carecast_publisher_posts_failed_total",
                        {{"network", "sandbox"}, {"reason_kind", "missed_slot"}}),
            1);
}

TEST_F(PublisherTest, AnEditLandingBetweenTheFirstReadAndTheClaimIsNeverPublished) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("p1", h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  // The dispatcher's first read of the content sees it approved; the edit lands
  // right after (before the claim), so only a read after the claim can see it.
  carecast::testing::InMemoryKeyValueStore& contents =
      h_.kv_.Bucket(std::string(common::buckets::kContents));
  int reads = 0;
  contents.BeforeGet([&](std::string_view key) {
    if (key == "c-p1" && ++reads == 2) h_.EditContent("c-p1");
  });

  p.publisher->RunCycle();
  contents.BeforeGet(nullptr);
  ASSERT_GE(reads, 2) << "the content was not read again after the claim";
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  PostRecord r = h_.GetPost("p1");
  EXPECT_EQ(r.post.state(), POST_STATE_FAILED);
  EXPECT_EQ(r.post.failure_reason(), "content changed after approval");
}

TEST_F(PublisherTest, ReApprovedEditWithTheSameVersionButNewHashIsNotPublished) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("p1", h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  carecast::v1::Content c;
  c.ParseFromString(h_.contents_->Get("c-p1")->value);
  c.set_content_hash("hash-other");
  c.mutable_approval()->set_content_hash("hash-other");
  (void)h_.contents_->Put("c-p1", c.SerializeAsString());
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_FAILED);
}

TEST_F(PublisherTest, UnknownNetworkFailsWithAClearReason) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("p1", h_.clock_.Now(), carecast::v1::NETWORK_LINKEDIN);
  ASSERT_TRUE(h_.Drain());
  p.publisher->RunCycle();
  PostRecord r = h_.GetPost("p1");
  EXPECT_EQ(r.post.state(), POST_STATE_FAILED);
  EXPECT_EQ(r.post.failure_reason(), "no channel is configured for network linkedin");
  EXPECT_EQ(MetricValue(p.registry, "carecast_publisher_posts_failed_total",
                        {{"network", "linkedin"}, {"reason_kind", "no_channel"}}),
            1);
}

TEST_F(PublisherTest, RetryableErrorReschedulesWithBackoffThenPublishes) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("p1", h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  h_.channel_.QueueFailure(ChannelErrorKind::kRetryable);
  p.publisher->RunCycle();
  PostRecord r = h_.GetPost("p1");
  EXPECT_EQ(r.post.state(), POST_STATE_SCHEDULED);
  EXPECT_EQ(r.post.attempt(), 1);
  EXPECT_EQ(r.post.claimed_by(), "");

  h_.clock_.Advance(absl::Milliseconds(1'999));  // backoff is 2 s
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 1);
  h_.clock_.Advance(absl::Milliseconds(1));
  p.publisher->RunCycle();
  r = h_.GetPost("p1");
  EXPECT_EQ(r.post.state(), POST_STATE_PUBLISHED);
  EXPECT_EQ(r.post.attempt(), 2);
  EXPECT_EQ(h_.channel_.delivery_count(), 1u);
}

TEST_F(PublisherTest, RateLimitedWaitsForRetryAfter) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("p1", h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  h_.channel_.QueueFailure(ChannelErrorKind::kRateLimited, absl::Seconds(30));
  p.publisher->RunCycle();
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_SCHEDULED);
  h_.clock_.Advance(absl::Seconds(29));
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 1);
  h_.clock_.Advance(absl::Seconds(1));
  p.publisher->RunCycle();
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_PUBLISHED);
}

TEST_F(PublisherTest, RateLimitsNeverSpendAttemptsSoThePostWaitsInsteadOfFailing) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("p1", h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  for (int i = 0; i < 6; ++i)
    h_.channel_.QueueFailure(ChannelErrorKind::kRateLimited, absl::Minutes(1));
  for (int i = 0; i < 6; ++i) {
    p.publisher->RunCycle();
    PostRecord r = h_.GetPost("p1");
    ASSERT_EQ(r.post.state(), POST_STATE_SCHEDULED) << "round " << i;
    EXPECT_EQ(r.post.attempt(), 0) << "a wait the network asked for is not a failed attempt";
    h_.clock_.Advance(absl::Minutes(1));
  }
  p.publisher->RunCycle();
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_PUBLISHED);
  EXPECT_EQ(h_.channel_.delivery_count(), 1u);
  EXPECT_EQ(
      MetricValue(p.registry, "carecast_publisher_rate_limited_total", {{"network", "sandbox"}}),
      6);
}

TEST_F(PublisherTest, RetryableErrorsGiveUpAfterMaxAttempts) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("p1", h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  h_.channel_.FailAlways(ChannelErrorKind::kRetryable);
  for (int i = 0; i < 10; ++i) {
    p.publisher->RunCycle();
    h_.clock_.Advance(absl::Minutes(2));
  }
  EXPECT_EQ(h_.channel_.publish_calls(), 3);  // max_attempts in the harness
  PostRecord r = h_.GetPost("p1");
  EXPECT_EQ(r.post.state(), POST_STATE_FAILED);
  EXPECT_EQ(r.post.failure_reason(), "gave up after 3 attempts: scripted failure");
  EXPECT_EQ(MetricValue(p.registry, "carecast_publisher_posts_failed_total",
                        {{"reason_kind", "retryable"}}),
            1);
  EXPECT_EQ(h_.Events("carecast.post.failed").size(), 1u);
}

struct TerminalCase {
  ChannelErrorKind kind;
  carecast::v1::PostState state;
  std::string reason;
  std::string reason_kind;
};

class TerminalErrorTest : public PublisherTest,
                          public ::testing::WithParamInterface<TerminalCase> {};

TEST_P(TerminalErrorTest, EndsInItsDocumentedState) {
  const TerminalCase& c = GetParam();
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("p1", h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  h_.channel_.QueueFailure(c.kind);
  p.publisher->RunCycle();
  PostRecord r = h_.GetPost("p1");
  EXPECT_EQ(r.post.state(), c.state);
  EXPECT_EQ(r.post.failure_reason().substr(0, c.reason.size()), c.reason);
  EXPECT_EQ(h_.channel_.delivery_count(), 0u);
  auto failed = h_.Events("carecast.post.failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].id, "post.p1.v1.a1.failed");
  EXPECT_EQ(MetricValue(p.registry, "carecast_publisher_posts_failed_total",
                        {{"reason_kind", c.reason_kind}}),
            1);
  // Terminal: further cycles do nothing.
  h_.clock_.Advance(absl::Hours(1));
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 1);
  bool warned = false;
  for (const auto& line : p.logger.lines())
    if (line.level == common::LogLevel::kWarn && line.message.find("post") == 0) warned = true;
  EXPECT_TRUE(warned);
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, TerminalErrorTest,
    ::testing::Values(
        TerminalCase{ChannelErrorKind::kAuthExpired, POST_STATE_FAILED,
                     "channel credentials expired", "auth_expired"},
        TerminalCase{ChannelErrorKind::kPermanent, POST_STATE_FAILED, "channel refused the post",
                     "permanent"},
        // Timed out and not found at the channel: a person decides, never a blind retry.
        TerminalCase{ChannelErrorKind::kOutcomeUnknown, POST_STATE_NEEDS_HUMAN,
                     "outcome unknown after the channel call", "outcome_unknown"}));

TEST_F(PublisherTest, OutcomeUnknownAfterSendReconcilesToPublished) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("p1", h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  h_.channel_.QueueSucceedThenTimeOut();
  p.publisher->RunCycle();
  PostRecord r = h_.GetPost("p1");
  EXPECT_EQ(r.post.state(), POST_STATE_PUBLISHED);
  EXPECT_EQ(r.post.external_id(), "fake-1");
  EXPECT_EQ(h_.channel_.publish_calls(), 1);
  EXPECT_EQ(h_.channel_.find_calls(), 1);
  EXPECT_EQ(h_.channel_.delivery_count(), 1u);
  EXPECT_EQ(h_.Events("carecast.post.published").size(), 1u);
}

TEST_F(PublisherTest, OutcomeUnknownWhenTheChannelCannotTellNeedsAHuman) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("p1", h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  h_.channel_.QueueSucceedThenTimeOut();
  h_.channel_.SetFindUnavailable(true);
  p.publisher->RunCycle();
  PostRecord r = h_.GetPost("p1");
  EXPECT_EQ(r.post.state(), POST_STATE_NEEDS_HUMAN);
  EXPECT_NE(r.post.failure_reason().find("cannot tell"), std::string::npos);
  h_.clock_.Advance(absl::Hours(1));
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 1);  // never retried blindly
}

// A post left PUBLISHING by a publisher that died mid-call.
class StuckClaimTest : public PublisherTest {
 protected:
  void SetUp() override {
    carecast::v1::Post post = h_.SchedulePost("p1", h_.clock_.Now() - absl::Minutes(2),
                                              carecast::v1::NETWORK_SANDBOX, false);
    post.set_state(POST_STATE_PUBLISHING);
    post.set_claimed_by("dead-publisher");
    post.set_attempt(1);
    SetTime(h_.clock_.Now() - absl::Seconds(61), post.mutable_update_time());
    // It died inside its create call.
    SetTime(h_.clock_.Now() - absl::Seconds(60), post.mutable_send_time());
    (void)h_.posts_->Put("p1", post.SerializeAsString());
    stuck_ = post;
    // A network that dedupes on the key (as the sandbox does): resending is safe.
    h_.channel_.SetIdempotency(IdempotencyModel::kNativeKey);
  }
  carecast::v1::Post stuck_;
};

TEST_F(StuckClaimTest, WithoutAnIdempotencyKeyNotFoundNeedsAHumanAndIsNeverSentAgain) {
  h_.channel_.SetIdempotency(IdempotencyModel::kNone);
  PublisherUnderTest& p = h_.AddStarted();
  p.publisher->RunCycle();
  PostRecord r = h_.GetPost("p1");
  EXPECT_EQ(r.post.state(), POST_STATE_NEEDS_HUMAN);
  EXPECT_NE(r.post.failure_reason().find("may still be in flight"), std::string::npos)
      << r.post.failure_reason();
  h_.clock_.Advance(absl::Hours(1));
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  EXPECT_EQ(MetricValue(p.registry, "carecast_publisher_reconciliations_total",
                        {{"network", "sandbox"}, {"result", "needs_human"}}),
            1);
}

TEST_F(StuckClaimTest, ClaimThatNeverSentIsRescheduledWithoutAskingTheNetwork) {
  h_.channel_.SetIdempotency(IdempotencyModel::kNone);
  stuck_.clear_send_time();
  (void)h_.posts_->Put("p1", stuck_.SerializeAsString());
  PublisherUnderTest& p = h_.AddStarted();
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.find_calls(), 0);
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_SCHEDULED);
  h_.clock_.Advance(absl::Seconds(2));  // backoff after attempt 1
  p.publisher->RunCycle();
  PostRecord r = h_.GetPost("p1");
  EXPECT_EQ(r.post.state(), POST_STATE_PUBLISHED);
  EXPECT_EQ(h_.channel_.delivery_count(), 1u);
}

TEST_F(StuckClaimTest, ClaimsAbandonedMaxAttemptsTimesEndFailedInsteadOfLooping) {
  stuck_.clear_send_time();
  stuck_.set_attempt(3);  // the harness policy's max_attempts
  (void)h_.posts_->Put("p1", stuck_.SerializeAsString());
  PublisherUnderTest& p = h_.AddStarted();
  p.publisher->RunCycle();
  PostRecord r = h_.GetPost("p1");
  EXPECT_EQ(r.post.state(), POST_STATE_FAILED);
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  EXPECT_EQ(MetricValue(p.registry, "carecast_publisher_posts_failed_total",
                        {{"reason_kind", "crash_loop"}}),
            1);
}

TEST_F(StuckClaimTest, NotAtTheChannelGoesBackToScheduledAndIsPublishedOnce) {
  PublisherUnderTest& p = h_.AddStarted();  // the start-up rebuild indexes the stuck claim
  p.publisher->RunCycle();
  PostRecord r = h_.GetPost("p1");
  EXPECT_EQ(r.post.state(), POST_STATE_SCHEDULED);
  EXPECT_EQ(h_.channel_.find_calls(), 1);
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  h_.clock_.Advance(absl::Seconds(2));  // backoff after attempt 1
  p.publisher->RunCycle();
  r = h_.GetPost("p1");
  EXPECT_EQ(r.post.state(), POST_STATE_PUBLISHED);
  EXPECT_EQ(r.post.attempt(), 2);
  EXPECT_EQ(r.post.claimed_by(), "pub-a");
  EXPECT_EQ(h_.channel_.delivery_count(), 1u);
}

TEST_F(StuckClaimTest, AlreadyAtTheChannelIsRecordedPublishedWithoutSendingAgain) {
  PublishRequest earlier;
  earlier.post = "posts/p1";
  earlier.idempotency_key = "p1.v1";
  h_.channel_.AddDelivery(earlier);
  PublisherUnderTest& p = h_.AddStarted();
  p.publisher->RunCycle();
  PostRecord r = h_.GetPost("p1");
  EXPECT_EQ(r.post.state(), POST_STATE_PUBLISHED);
  EXPECT_EQ(r.post.external_id(), "fake-1");
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  EXPECT_EQ(h_.Events("carecast.post.published").size(), 1u);
}

TEST_F(StuckClaimTest, ChannelCannotTellNeedsAHuman) {
  h_.channel_.SetFindUnavailable(true);
  PublisherUnderTest& p = h_.AddStarted();
  p.publisher->RunCycle();
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_NEEDS_HUMAN);
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  EXPECT_EQ(MetricValue(p.registry, "carecast_publisher_posts_failed_total",
                        {{"reason_kind", "outcome_unknown"}}),
            1);
}

TEST_F(StuckClaimTest, ClaimInsideItsLeaseIsLeftAlone) {
  SetTime(h_.clock_.Now() - absl::Seconds(30), stuck_.mutable_update_time());
  (void)h_.posts_->Put("p1", stuck_.SerializeAsString());
  PublisherUnderTest& p = h_.AddStarted();
  p.publisher->RunCycle();
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_PUBLISHING);
  EXPECT_EQ(h_.channel_.find_calls(), 0);
  h_.clock_.Advance(absl::Seconds(30));  // now the lease has run out
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.find_calls(), 1);
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_SCHEDULED);
}

TEST_F(PublisherTest, RedisWipeRebuildsTheIndexAndNothingIsPublishedTwice) {
  PublisherUnderTest& p = h_.AddStarted();
  for (int i = 0; i < 5; ++i) h_.SchedulePost(absl::StrCat("now", i), h_.clock_.Now());
  for (int i = 0; i < 5; ++i)
    h_.SchedulePost(absl::StrCat("later", i), h_.clock_.Now() + absl::Minutes(5));
  ASSERT_TRUE(h_.Drain());
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.delivery_count(), 5u);

  h_.index_.Wipe();
  h_.clock_.Advance(absl::Minutes(5));
  CycleStats stats = p.publisher->RunCycle();
  EXPECT_TRUE(stats.rebuilt);
  EXPECT_EQ(MetricValue(p.registry, "carecast_publisher_index_rebuilds_total"), 2);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(h_.StateOf(absl::StrCat("later", i)), POST_STATE_PUBLISHED);
  auto by_key = h_.channel_.DeliveriesByKey();
  EXPECT_EQ(by_key.size(), 10u);
  for (const auto& [key, count] : by_key) EXPECT_EQ(count, 1) << key;
}

TEST_F(PublisherTest, EventsMissedWhileRedisWasDownAreRecoveredByARebuild) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.index_.FailAll(absl::UnavailableError("redis down"));
  h_.SchedulePost("p1", h_.clock_.Now());
  CycleStats stats = p.publisher->RunCycle();
  EXPECT_TRUE(stats.index_unavailable);
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  h_.index_.FailAll(absl::OkStatus());
  stats = p.publisher->RunCycle();
  EXPECT_TRUE(stats.rebuilt);
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_PUBLISHED);
  ASSERT_TRUE(h_.Drain());  // the retried event finds the post already published
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.delivery_count(), 1u);
}

TEST_F(PublisherTest, AnAnnouncementTheBusRefusedIsDeliveredByTheRelayWithTheSameEventId) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("p1", h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  h_.bus_.FailNextPublishes(100, absl::UnavailableError("nats down"));
  p.publisher->RunCycle();
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_PUBLISHED);
  EXPECT_EQ(h_.Events("carecast.post.published").size(), 0u);
  h_.bus_.FailNextPublishes(0, absl::OkStatus());
  h_.clock_.Advance(absl::Seconds(30));
  auto swept = p.publisher->SweepOutbox();
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(*swept, 1);
  auto events = h_.Events("carecast.post.published");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "post.p1.v1.published");
  // The outcome is audited with the publisher as the actor.
  auto audit = h_.Events("carecast.audit.posts.p1");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(*p.publisher->SweepOutbox(), 0);
  EXPECT_EQ(h_.Events("carecast.post.published").size(), 1u);
  EXPECT_EQ(h_.channel_.delivery_count(), 1u);
  EXPECT_EQ(*h_.index_.Count(kDueIndexName, -1e300, 1e300), 0);
}

TEST_F(PublisherTest, PostsBucketOutageDelaysDispatchWithoutChangingAnything) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("p1", h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  h_.kv_.Bucket(std::string(common::buckets::kPosts)).FailAll(absl::UnavailableError("nats down"));
  CycleStats stats = p.publisher->RunCycle();
  EXPECT_EQ(stats.examined, 1);
  EXPECT_EQ(stats.published + stats.ended, 0);
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  h_.kv_.Bucket(std::string(common::buckets::kPosts)).FailAll(absl::OkStatus());
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_SCHEDULED);
  p.publisher->RunCycle();
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_PUBLISHED);
}

TEST_F(PublisherTest, ControlBucketOutageCountsAsHeld) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.SchedulePost("p1", h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  h_.kv_.Bucket(std::string(common::buckets::kControl))
      .FailAll(absl::UnavailableError("nats down"));
  CycleStats stats = p.publisher->RunCycle();
  EXPECT_TRUE(stats.held);
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  h_.kv_.Bucket(std::string(common::buckets::kControl)).FailAll(absl::OkStatus());
  p.publisher->RunCycle();
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_PUBLISHED);
}

TEST_F(PublisherTest, RescheduledLaterPostWaitsForItsNewTime) {
  PublisherUnderTest& p = h_.AddStarted();
  carecast::v1::Post post = h_.SchedulePost("p1", h_.clock_.Now() + absl::Seconds(5));
  ASSERT_TRUE(h_.Drain());
  // The planner moved it an hour later but the new event has not arrived.
  PostRecord r = h_.GetPost("p1");
  SetTime(h_.clock_.Now() + absl::Hours(1), r.post.mutable_publish_time());
  (void)h_.posts_->Update("p1", r.post.SerializeAsString(), r.revision);
  h_.clock_.Advance(absl::Seconds(10));
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  h_.clock_.Advance(absl::Hours(1));
  p.publisher->RunCycle();
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_PUBLISHED);
}

TEST_F(PublisherTest, TheLoopWakesForAPostDueBeforeItsNextPoll) {
  // A long poll interval: only waking for the post's own due time publishes it
  // well before the loop's next regular look.
  h_.use_system_clock_ = true;
  h_.clock_.Set(absl::Now());
  PublisherOptions options = h_.DefaultOptions("pub-a", /*run_loop=*/true);
  options.poll_interval = absl::Seconds(3);
  PublisherUnderTest& p = h_.Add(options);
  ASSERT_TRUE(p.publisher->Start().ok());
  absl::SleepFor(absl::Milliseconds(100));  // the loop is asleep for its poll interval

  const absl::Time due = absl::Now() + absl::Milliseconds(400);
  h_.SchedulePost("p1", due);
  absl::Time deadline = absl::Now() + absl::Seconds(2);
  while (h_.StateOf("p1") != POST_STATE_PUBLISHED && absl::Now() < deadline)
    absl::SleepFor(absl::Milliseconds(10));
  const absl::Time seen = absl::Now();
  p.publisher->Stop();
  ASSERT_EQ(h_.StateOf("p1"), POST_STATE_PUBLISHED) << "not published before the next poll";
  EXPECT_GE(seen, due) << "published before it was due";
  EXPECT_EQ(h_.channel_.publish_calls(), 1);
}

TEST_F(PublisherTest, ABatchIsDispatchedInParallelAndTwoParallelPublishersSendEachPostOnce) {
  h_.channel_.SetPublishDelay(absl::Milliseconds(40));
  std::vector<PublisherUnderTest*> publishers;
  for (const char* id : {"pub-a", "pub-b"}) {
    PublisherOptions options = h_.DefaultOptions(id, /*run_loop=*/false);
    options.dispatch_concurrency = 8;
    PublisherUnderTest& p = h_.Add(options);
    ASSERT_TRUE(p.publisher->Start().ok());
    publishers.push_back(&p);
  }
  constexpr int kPosts = 48;
  for (int i = 0; i < kPosts; ++i) h_.SchedulePost(absl::StrCat("p", i), h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());

  // Both publishers run their cycles at the same time over the same due index.
  for (int round = 0; round < 5 && h_.channel_.delivery_count() < kPosts; ++round) {
    std::vector<std::thread> cycles;
    cycles.reserve(publishers.size());
    for (PublisherUnderTest* p : publishers) cycles.emplace_back([p] { p->publisher->RunCycle(); });
    for (std::thread& t : cycles) t.join();
  }
  EXPECT_EQ(h_.channel_.delivery_count(), static_cast<size_t>(kPosts));
  for (const auto& [key, count] : h_.channel_.DeliveriesByKey()) EXPECT_EQ(count, 1) << key;
  EXPECT_EQ(h_.channel_.publish_calls(), kPosts) << "a post was sent twice";
  for (int i = 0; i < kPosts; ++i)
    EXPECT_EQ(h_.StateOf(absl::StrCat("p", i)), POST_STATE_PUBLISHED) << i;
  EXPECT_GT(h_.channel_.peak_in_flight(), 2) << "the batch was not dispatched in parallel";
  EXPECT_LE(h_.channel_.peak_in_flight(), 16) << "more calls at once than the workers";
  EXPECT_EQ(h_.Events("carecast.post.published").size(), static_cast<size_t>(kPosts));
}

TEST_F(PublisherTest, EveryWorkerOfAParallelBatchHonoursAHoldItsEventHasNotBrought) {
  PublisherOptions options = h_.DefaultOptions("pub-a", /*run_loop=*/false);
  options.dispatch_concurrency = 4;
  PublisherUnderTest& p = h_.Add(options);
  ASSERT_TRUE(p.publisher->Start().ok());
  for (int i = 0; i < 12; ++i) h_.SchedulePost(absl::StrCat("p", i), h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  // The hold reaches KV but not this publisher's cached flag (its event is
  // late): every worker's own check before its claim must still see it.
  h_.SetHold(true, /*emit_event=*/false);
  CycleStats stats = p.publisher->RunCycle();
  EXPECT_TRUE(stats.held);
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(h_.StateOf(absl::StrCat("p", i)), POST_STATE_SCHEDULED);
}

TEST_F(PublisherTest, OneSlowNetworkCallDoesNotHoldUpPostsThatFallDueAfterIt) {
  // The loop hands posts to workers without waiting for a batch: a call that
  // hangs (up to its deadline) keeps one worker, never the others' posts.
  h_.use_system_clock_ = true;
  h_.clock_.Set(absl::Now());
  PublisherOptions options = h_.DefaultOptions("pub-a", /*run_loop=*/true);
  options.dispatch_concurrency = 4;
  options.poll_interval = absl::Milliseconds(50);
  PublisherUnderTest& p = h_.Add(options);
  h_.channel_.SetPublishDelayFor("slow.v1", absl::Seconds(4));
  ASSERT_TRUE(p.publisher->Start().ok());
  h_.SchedulePost("slow", absl::Now());
  absl::Time deadline = absl::Now() + absl::Seconds(2);
  while (h_.StateOf("slow") != POST_STATE_PUBLISHING && absl::Now() < deadline)
    absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(h_.StateOf("slow"), POST_STATE_PUBLISHING);

  for (int i = 0; i < 6; ++i) h_.SchedulePost(absl::StrCat("p", i), absl::Now());
  deadline = absl::Now() + absl::Seconds(2);
  auto all_out = [&] {
    for (int i = 0; i < 6; ++i)
      if (h_.StateOf(absl::StrCat("p", i)) != POST_STATE_PUBLISHED) return false;
    return true;
  };
  while (!all_out() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_TRUE(all_out()) << "posts waited behind the slow call";
  EXPECT_EQ(h_.StateOf("slow"), POST_STATE_PUBLISHING) << "the slow call should still be running";
  p.publisher->Stop();  // waits for the slow call, which then records its post
  EXPECT_EQ(h_.StateOf("slow"), POST_STATE_PUBLISHED);
  EXPECT_EQ(h_.channel_.publish_calls(), 7);
}

TEST_F(PublisherTest, ASlowIndexPassDoesNotHoldUpDispatch) {
  // The due sweep reads the whole posts bucket; on a large bucket that takes a
  // while, and it runs on the maintenance thread, never the dispatch loop.
  h_.use_system_clock_ = true;
  h_.clock_.Set(absl::Now());
  PublisherOptions options = h_.DefaultOptions("pub-a", /*run_loop=*/true);
  options.due_sweep_period = absl::Milliseconds(100);
  options.index_reconcile_period = absl::Hours(1);
  PublisherUnderTest& p = h_.Add(options);
  carecast::testing::InMemoryKeyValueStore& posts =
      h_.kv_.Bucket(std::string(common::buckets::kPosts));
  absl::Notification pass_started;
  std::atomic<bool> slow{true};
  posts.BeforeKeys([&] {
    if (!slow.exchange(false)) return;  // the first pass after start is slow
    pass_started.Notify();
    absl::SleepFor(absl::Seconds(2));
  });
  ASSERT_TRUE(p.publisher->Start().ok());
  ASSERT_TRUE(pass_started.WaitForNotificationWithTimeout(absl::Seconds(3)));
  const absl::Time scheduled = absl::Now();
  for (int i = 0; i < 3; ++i) h_.SchedulePost(absl::StrCat("p", i), scheduled);
  auto all_out = [&] {
    for (int i = 0; i < 3; ++i)
      if (h_.StateOf(absl::StrCat("p", i)) != POST_STATE_PUBLISHED) return false;
    return true;
  };
  while (!all_out() && absl::Now() < scheduled + absl::Seconds(1))
    absl::SleepFor(absl::Milliseconds(10));
  EXPECT_TRUE(all_out()) << "dispatch waited for the index pass";
  p.publisher->Stop();
  posts.BeforeKeys(nullptr);
}

TEST_F(PublisherTest, StopEndsTheLoopAndUnsubscribes) {
  PublisherUnderTest& p = h_.AddStarted("pub-a", true);
  p.publisher->Stop();
  h_.SchedulePost("p1", h_.clock_.Now());
  absl::SleepFor(absl::Milliseconds(100));  // checks that nothing happens
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  p.publisher->Stop();  // idempotent
}

}  // namespace
}  // namespace carecast::publisher::testing
