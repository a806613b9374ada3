// Threads through the whole publisher core (dispatch, retry, reconciliation)
// over the counting fake channel: every part reaches the network exactly once,
// each as a reply to the one before, whatever fails in between.
#include "services/publisher/thread_publishing.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/publisher/publisher_harness.h"

namespace carecast::publisher::testing {
namespace {

using carecast::v1::POST_STATE_NEEDS_HUMAN;
using carecast::v1::POST_STATE_PUBLISHED;
using carecast::v1::POST_STATE_PUBLISHING;
using carecast::v1::POST_STATE_SCHEDULED;
using ::testing::HasSubstr;

class ThreadPublishingTest : public ::testing::Test {
 protected:
  // A due post whose variant is a thread of three (the text and two parts),
  // with one image on the first post.
  carecast::v1::Post ScheduleThread(const std::string& id, bool emit_event = true) {
    carecast::v1::Post post =
        h_.SchedulePost(id, h_.clock_.Now(), carecast::v1::NETWORK_SANDBOX, false);
    post.add_thread_parts("Part two: where the clinics are. 2/3");
    post.add_thread_parts("Part three: what to bring. 3/3");
    carecast::v1::MediaItem* image = post.add_media();
    image->set_url("https://cdn.example.org/flu.jpg");
    image->set_alt_text("A nurse giving a flu shot");
    image->set_mime_type("image/jpeg");
    (void)h_.posts_->Put(id, post.SerializeAsString());
    if (emit_event) h_.EmitPostChanged(common::subjects::kPostScheduled, post);
    return post;
  }
  // Each idempotency key reached the channel exactly once, and nothing else did.
  void ExpectEachPartOnce(const std::string& id) {
    const std::map<std::string, int> by_key = h_.channel_.DeliveriesByKey();
    EXPECT_EQ(by_key, (std::map<std::string, int>{
                          {id + ".v1", 1}, {id + ".v1.p1", 1}, {id + ".v1.p2", 1}}));
  }
  // The deliveries form one chain: part i answers part i-1's id.
  void ExpectChain() {
    std::vector<PublishRequest> sent = h_.channel_.Delivered();
    std::map<std::string, PublishRequest> by_key;
    for (const PublishRequest& r : sent) by_key[r.idempotency_key] = r;
    const PublishRequest& head = by_key.begin()->second;
    EXPECT_TRUE(head.in_reply_to.empty());
    EXPECT_EQ(head.media.size(), 1u);
    PostRecord r = h_.GetPost("t1");
    EXPECT_EQ(by_key["t1.v1.p1"].in_reply_to, r.post.external_id());
    EXPECT_EQ(by_key["t1.v1.p2"].in_reply_to, r.post.channel_progress().at("thread.1"));
    EXPECT_TRUE(by_key["t1.v1.p1"].media.empty());
    EXPECT_EQ(by_key["t1.v1.p2"].text, "Part three: what to bring. 3/3");
    for (const PublishRequest& part : sent) EXPECT_TRUE(part.thread_parts.empty());
  }

  PublisherHarness h_;
};

TEST_F(ThreadPublishingTest, PublishesEveryPartAsAReplyToThePreviousOne) {
  ScheduleThread("t1");
  PublisherUnderTest& p = h_.AddStarted();
  ASSERT_TRUE(h_.Drain());
  p.publisher->RunCycle();

  PostRecord r = h_.GetPost("t1");
  ASSERT_EQ(r.post.state(), POST_STATE_PUBLISHED) << r.post.DebugString();
  ExpectEachPartOnce("t1");
  ExpectChain();
  // The post is the thread's first post; the later parts are kept for takedown.
  EXPECT_EQ(r.post.external_id(), r.post.channel_progress().at("thread.0"));
  EXPECT_EQ(r.post.url(), r.post.channel_progress().at(std::string(kThreadHeadUrlKey)));
  EXPECT_FALSE(r.post.channel_progress().at("thread.2").empty());
  EXPECT_EQ(h_.Events("carecast.post.published").size(), 1u);
}

TEST_F(ThreadPublishingTest, ARetryAfterAFailedPartSendsOnlyTheRest) {
  ScheduleThread("t1");
  PublisherUnderTest& p = h_.AddStarted();
  ASSERT_TRUE(h_.Drain());
  h_.channel_.QueueSuccess();
  h_.channel_.QueueFailure(ChannelErrorKind::kRetryable);
  p.publisher->RunCycle();
  PostRecord r = h_.GetPost("t1");
  ASSERT_EQ(r.post.state(), POST_STATE_SCHEDULED) << r.post.DebugString();
  EXPECT_EQ(h_.channel_.delivery_count(), 1u);
  EXPECT_FALSE(r.post.channel_progress().at("thread.0").empty());

  h_.clock_.Advance(absl::Seconds(2));  // the backoff after attempt 1
  p.publisher->RunCycle();
  ASSERT_EQ(h_.StateOf("t1"), POST_STATE_PUBLISHED);
  ExpectEachPartOnce("t1");
  ExpectChain();
  EXPECT_EQ(h_.channel_.publish_calls(), 4);  // 3 parts and the one refused call
}

TEST_F(ThreadPublishingTest, APartWhoseOutcomeIsUnknownIsFoundAndTheRestFollows) {
  ScheduleThread("t1");
  PublisherUnderTest& p = h_.AddStarted();
  ASSERT_TRUE(h_.Drain());
  h_.channel_.QueueSuccess();
  h_.channel_.QueueSucceedThenTimeOut();  // part 2 lands, the answer never comes
  p.publisher->RunCycle();
  p.publisher->RunCycle();  // the rest goes at once: nothing is in flight
  ASSERT_EQ(h_.StateOf("t1"), POST_STATE_PUBLISHED) << h_.GetPost("t1").post.DebugString();
  ExpectEachPartOnce("t1");
  ExpectChain();
  EXPECT_EQ(MetricValue(p.registry, "carecast_publisher_reconciliations_total",
                        {{"network", "sandbox"}, {"result", "found_thread_part"}}),
            1);
}

TEST_F(ThreadPublishingTest, APartNotFoundOnANetworkWithoutKeysGoesToAPersonAndIsNotResent) {
  ScheduleThread("t1");
  PublisherUnderTest& p = h_.AddStarted();
  ASSERT_TRUE(h_.Drain());
  h_.channel_.QueueSuccess();
  h_.channel_.QueueFailure(ChannelErrorKind::kOutcomeUnknown);  // a timeout, nothing landed
  p.publisher->RunCycle();
  PostRecord r = h_.GetPost("t1");
  EXPECT_EQ(r.post.state(), POST_STATE_NEEDS_HUMAN);
  h_.clock_.Advance(absl::Hours(1));
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.delivery_count(), 1u);
  EXPECT_EQ(h_.channel_.publish_calls(), 2);
}

TEST_F(ThreadPublishingTest, ARefusedLaterPartLeavesAVisiblePartlyPublishedThread) {
  ScheduleThread("t1");
  PublisherUnderTest& p = h_.AddStarted();
  ASSERT_TRUE(h_.Drain());
  h_.channel_.QueueSuccess();
  h_.channel_.QueueSuccess();
  h_.channel_.QueueFailure(ChannelErrorKind::kPermanent);
  p.publisher->RunCycle();
  PostRecord r = h_.GetPost("t1");
  EXPECT_EQ(r.post.state(), POST_STATE_NEEDS_HUMAN);
  EXPECT_THAT(r.post.failure_reason(), HasSubstr("thread partly published (2 of 3 posts"));
  EXPECT_EQ(h_.channel_.delivery_count(), 2u);
}

TEST_F(ThreadPublishingTest, ARefusedFirstPartFailsLikeAnyPost) {
  ScheduleThread("t1");
  PublisherUnderTest& p = h_.AddStarted();
  ASSERT_TRUE(h_.Drain());
  h_.channel_.QueueFailure(ChannelErrorKind::kPermanent);
  p.publisher->RunCycle();
  PostRecord r = h_.GetPost("t1");
  EXPECT_EQ(r.post.state(), carecast::v1::POST_STATE_FAILED);
  EXPECT_THAT(r.post.failure_reason(), ::testing::Not(HasSubstr("partly")));
}

// A publisher died inside part 2's call after the network took it: the next
// publisher finds part 2, records it and sends part 3 only.
TEST_F(ThreadPublishingTest, AnAbandonedClaimContinuesFromThePartInDoubt) {
  carecast::v1::Post post = ScheduleThread("t1", /*emit_event=*/false);
  PublishRequest whole = RequestFor(post, absl::InfiniteFuture());
  h_.channel_.AddDelivery(PartRequest(whole, 0));  // "fake-1"
  post.set_state(POST_STATE_PUBLISHING);
  post.set_claimed_by("dead-publisher");
  post.set_attempt(1);
  (*post.mutable_channel_progress())["thread.0"] = "fake-1";
  (*post.mutable_channel_progress())[std::string(kThreadHeadUrlKey)] = "https://fake.example/1";
  (*post.mutable_channel_progress())[std::string(kThreadSendingKey)] = "1";
  whole = RequestFor(post, absl::InfiniteFuture());
  h_.channel_.AddDelivery(PartRequest(whole, 1));  // "fake-2", never recorded
  SetTime(h_.clock_.Now() - absl::Seconds(61), post.mutable_update_time());
  SetTime(h_.clock_.Now() - absl::Seconds(60), post.mutable_send_time());
  (void)h_.posts_->Put("t1", post.SerializeAsString());

  PublisherUnderTest& p = h_.AddStarted();
  p.publisher->RunCycle();  // reconciles: part 2 found and recorded
  EXPECT_EQ(h_.GetPost("t1").post.channel_progress().at("thread.1"), "fake-2");
  p.publisher->RunCycle();  // sends part 3
  PostRecord r = h_.GetPost("t1");
  ASSERT_EQ(r.post.state(), POST_STATE_PUBLISHED) << r.post.DebugString();
  EXPECT_EQ(r.post.external_id(), "fake-1");
  EXPECT_EQ(r.post.url(), "https://fake.example/1");
  ExpectEachPartOnce("t1");
  ExpectChain();
  EXPECT_EQ(h_.channel_.publish_calls(), 1);
}

// A publisher died after recording part 1 and before marking part 2 as being
// sent: part 2 cannot be at the network, so even a network without keys gets
// it sent, without a lookup and without a person.
TEST_F(ThreadPublishingTest, AClaimAbandonedBetweenTwoPartsSendsTheRestWithoutAsking) {
  carecast::v1::Post post = ScheduleThread("t1", /*emit_event=*/false);
  h_.channel_.AddDelivery(PartRequest(RequestFor(post, absl::InfiniteFuture()), 0));
  post.set_state(POST_STATE_PUBLISHING);
  post.set_claimed_by("dead-publisher");
  post.set_attempt(1);
  (*post.mutable_channel_progress())["thread.0"] = "fake-1";
  SetTime(h_.clock_.Now() - absl::Seconds(61), post.mutable_update_time());
  SetTime(h_.clock_.Now() - absl::Seconds(60), post.mutable_send_time());
  (void)h_.posts_->Put("t1", post.SerializeAsString());

  PublisherUnderTest& p = h_.AddStarted();
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.find_calls(), 0);
  ASSERT_EQ(h_.StateOf("t1"), POST_STATE_SCHEDULED);
  h_.clock_.Advance(absl::Seconds(2));  // the backoff after attempt 1
  p.publisher->RunCycle();
  ASSERT_EQ(h_.StateOf("t1"), POST_STATE_PUBLISHED);
  ExpectEachPartOnce("t1");
  ExpectChain();
}

TEST(ThreadRequestsTest, PartRequestsCarryTheirOwnKeyTextAndParent) {
  PublishRequest whole;
  whole.idempotency_key = "p.v3";
  whole.text = "head";
  whole.thread_parts = {"two", "three"};
  whole.media.push_back(MediaRef{"https://cdn.example.org/a.png", "alt", "image/png"});
  whole.progress = {
      {"thread.0", "100"}, {"thread.1", "101"}, {"thread_sending", "1"}, {"container_id", "c"}};
  EXPECT_EQ(ThreadLength(whole), 3u);
  EXPECT_EQ(ThreadPartsRecorded(whole.progress, 3), 2u);
  EXPECT_EQ(ThreadPartsRecorded({}, 1), 0u);

  PublishRequest head = PartRequest(whole, 0);
  EXPECT_EQ(head.idempotency_key, "p.v3");
  EXPECT_EQ(head.text, "head");
  EXPECT_EQ(head.media.size(), 1u);
  EXPECT_EQ(head.progress, (std::map<std::string, std::string>{{"container_id", "c"}}));
  PublishRequest third = PartRequest(whole, 2);
  EXPECT_EQ(third.idempotency_key, "p.v3.p2");
  EXPECT_EQ(third.text, "three");
  EXPECT_EQ(third.in_reply_to, "101");
  EXPECT_TRUE(third.media.empty());
  EXPECT_TRUE(third.thread_parts.empty());
}

TEST(ThreadRequestsTest, OnlyAThreadWithSomeButNotAllPartsOutIsPartlyPublished) {
  carecast::v1::Post post;
  EXPECT_FALSE(IsPartlyPublishedThread(post));
  post.add_thread_parts("two");
  EXPECT_FALSE(IsPartlyPublishedThread(post));
  (*post.mutable_channel_progress())["thread.0"] = "1";
  EXPECT_TRUE(IsPartlyPublishedThread(post));
  (*post.mutable_channel_progress())["thread.1"] = "2";
  EXPECT_FALSE(IsPartlyPublishedThread(post));
}

}  // namespace
}  // namespace carecast::publisher::testing
