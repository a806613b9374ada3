// A responder's approved reply becomes one post, posts/reply-<id>, however
// often its event arrives and however many publishers take it; the post is a
// reply to the mention, needs no content, is audited by the person who let it
// go, and is dispatched like any other. Events that cannot make a post make
// nothing and never put the reply's text in a log.
#include "services/publisher/reply_posts.h"

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "carecast/v1/events.pb.h"

#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/topology.h"
#include "services/common/store/outbox.h"
#include "tests/unit/publisher/publisher_harness.h"

namespace carecast::publisher::testing {
namespace {

using carecast::v1::POST_STATE_PUBLISHED;
using carecast::v1::POST_STATE_SCHEDULED;

constexpr char kReplyText[] = "We are sorry about the wait. Please call us on the patient line.";
constexpr char kMentionId[] = "1799000000000000042";
constexpr char kAccount[] = "spokes/stmarys/accounts/main";
const std::string kPostsBucket(common::buckets::kPosts);

class ReplyPostsTest : public ::testing::Test {
 protected:
  // The reply as the listener writes it when it is approved.
  carecast::v1::Reply ApprovedReply(const std::string& id = "r1") {
    carecast::v1::Reply reply;
    reply.set_name("inboxItems/item-7/replies/" + id);
    reply.set_inbox_item("inboxItems/item-7");
    reply.set_mention("mentions/m-7");
    reply.set_network(carecast::v1::NETWORK_SANDBOX);
    reply.set_in_reply_to(kMentionId);
    reply.set_spoke("spokes/stmarys");
    reply.set_account(kAccount);
    reply.set_text(kReplyText);
    reply.set_state(carecast::v1::REPLY_STATE_SENDING);
    reply.set_author("ray");
    reply.set_approver("rosa");
    reply.set_post("posts/reply-" + id);
    SetTime(approve_time_, reply.mutable_approve_time());
    return reply;
  }
  common::Event ApprovedEvent(const carecast::v1::Reply& reply, const std::string& id = "") {
    carecast::v1::ReplyChanged payload;
    *payload.mutable_reply() = reply;
    payload.set_actor(reply.approver());
    return common::MakeCatalogueEvent(common::events::kReplyApproved, payload, "/carecast/listener",
                                      h_.clock_.Now(), id);
  }
  void Publish(const common::Event& event) {
    auto ack = h_.bus_.Publish(event);
    ASSERT_TRUE(ack.ok()) << ack.status();
  }
  std::vector<carecast::v1::PostChanged> Scheduled() {
    std::vector<carecast::v1::PostChanged> out;
    for (const common::Event& e : h_.Events("carecast.post.scheduled")) {
      carecast::v1::PostChanged changed;
      EXPECT_TRUE(common::DecodeEvent(e, &changed).ok());
      out.push_back(changed);
    }
    return out;
  }
  std::vector<carecast::v1::AuditEntry> AuditOf(const std::string& id) {
    std::vector<carecast::v1::AuditEntry> out;
    for (const common::Event& e : h_.Events("carecast.audit.posts." + id)) {
      carecast::v1::AuditRecorded recorded;
      EXPECT_TRUE(common::DecodeEvent(e, &recorded).ok());
      out.push_back(recorded.entry());
    }
    return out;
  }
  size_t PostCount() {
    auto keys = h_.posts_->Keys("");
    EXPECT_TRUE(keys.ok());
    return keys.ok() ? keys->size() : 0;
  }
  // True when some log line of `p` carries `needle` in its message or a field.
  static bool Logged(const PublisherUnderTest& p, const std::string& needle) {
    for (const auto& line : p.logger.lines()) {
      if (line.message.find(needle) != std::string::npos) return true;
      for (const auto& [key, value] : line.fields) {
        const std::string* s = std::get_if<std::string>(&value);
        if (s != nullptr && s->find(needle) != std::string::npos) return true;
      }
    }
    return false;
  }

  PublisherHarness h_;
  absl::Time approve_time_ = h_.clock_.Now() - absl::Seconds(3);
};

TEST_F(ReplyPostsTest, TheReplyPostCarriesTheReplyAndNoContent) {
  const absl::Time now = h_.clock_.Now();
  absl::StatusOr<carecast::v1::Post> post =
      ReplyPostOf(ApprovedReply(), now - absl::Seconds(1), now);
  ASSERT_TRUE(post.ok()) << post.status();
  EXPECT_EQ(post->name(), "posts/reply-r1");
  EXPECT_EQ(post->account(), kAccount);
  EXPECT_EQ(post->network(), carecast::v1::NETWORK_SANDBOX);
  EXPECT_EQ(post->text(), kReplyText);
  EXPECT_EQ(post->in_reply_to(), kMentionId);
  EXPECT_EQ(post->reply(), "inboxItems/item-7/replies/r1");
  EXPECT_EQ(ToTime(post->publish_time()), approve_time_);
  EXPECT_EQ(post->state(), POST_STATE_SCHEDULED);
  EXPECT_EQ(post->scheduled_by(), "rosa");
  EXPECT_EQ(ToTime(post->create_time()), now);
  EXPECT_EQ(ToTime(post->update_time()), now);
  EXPECT_TRUE(post->content().empty());
  EXPECT_EQ(post->content_version(), 0);
  EXPECT_TRUE(post->content_hash().empty());
  EXPECT_TRUE(post->campaign().empty());
}

TEST_F(ReplyPostsTest, WithoutApprovalTheAuthorSchedulesItAtTheEventTime) {
  carecast::v1::Reply reply = ApprovedReply();
  reply.clear_approver();
  reply.clear_approve_time();
  const absl::Time event_time = h_.clock_.Now() - absl::Seconds(7);
  absl::StatusOr<carecast::v1::Post> post = ReplyPostOf(reply, event_time, h_.clock_.Now());
  ASSERT_TRUE(post.ok()) << post.status();
  EXPECT_EQ(post->scheduled_by(), "ray");
  EXPECT_EQ(ToTime(post->publish_time()), event_time);
}

TEST_F(ReplyPostsTest, ReplyNamesAreParsedStrictly) {
  EXPECT_EQ(ReplyIdFromName("inboxItems/item-7/replies/r1"), "r1");
  EXPECT_EQ(ReplyIdFromName("replies/abc123"), "abc123");
  EXPECT_EQ(ReplyIdFromName(""), "");
  EXPECT_EQ(ReplyIdFromName("replies/"), "");
  EXPECT_EQ(ReplyIdFromName("inboxItems/item-7/replies/r1/x"), "");
  EXPECT_EQ(ReplyIdFromName("inboxItems/Item 7/replies/r1"), "");
  EXPECT_EQ(ReplyIdFromName("posts/r1"), "");
  EXPECT_EQ(ReplyIdFromName("replies/UPPER"), "");
  // "reply-" + 58 characters is longer than a post id may be.
  EXPECT_EQ(ReplyIdFromName("replies/" + std::string(58, 'a')), "");
  EXPECT_EQ(ReplyIdFromName("replies/" + std::string(57, 'a')), std::string(57, 'a'));
}

TEST_F(ReplyPostsTest, AnApprovedReplyIsScheduledAuditedAndIndexedAtOnce) {
  PublisherUnderTest& p = h_.AddStarted();
  Publish(ApprovedEvent(ApprovedReply(), "reply.r1.approved"));
  ASSERT_TRUE(h_.Drain());

  PostRecord stored = h_.GetPost("reply-r1");
  EXPECT_EQ(stored.post.state(), POST_STATE_SCHEDULED);
  EXPECT_EQ(stored.post.reply(), "inboxItems/item-7/replies/r1");
  EXPECT_EQ(stored.post.in_reply_to(), kMentionId);
  EXPECT_TRUE(stored.unsent.empty()) << "the write's event and audit were flushed";

  std::vector<common::Event> events = h_.Events("carecast.post.scheduled");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "posts.reply-r1.b0.scheduled");
  EXPECT_EQ(events[0].source, "/carecast/publisher");
  carecast::v1::PostChanged changed;
  ASSERT_TRUE(common::DecodeEvent(events[0], &changed).ok());
  EXPECT_EQ(changed.post().name(), "posts/reply-r1");
  EXPECT_EQ(changed.actor(), "rosa");

  std::vector<carecast::v1::AuditEntry> audit = AuditOf("reply-r1");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].action(), "post.schedule");
  EXPECT_EQ(audit[0].actor(), "rosa");
  EXPECT_EQ(audit[0].role(), "responder");
  EXPECT_EQ(audit[0].resource(), "posts/reply-r1");
  EXPECT_NE(audit[0].detail().find("inboxItems/item-7/replies/r1"), std::string::npos);
  EXPECT_NE(audit[0].detail().find("to inboxItems/item-7"), std::string::npos);
  EXPECT_EQ(audit[0].detail().find("patient line"), std::string::npos) << "no reply text";
  EXPECT_EQ(audit[0].detail().find(kMentionId), std::string::npos);
  EXPECT_FALSE(audit[0].entry_hash().empty());

  // In the due index at the approval time, without waiting for a sweep.
  absl::StatusOr<PublisherStatus> status = p.publisher->Status();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->pending_posts, 1);
  ASSERT_TRUE(status->next_due_time.has_value());
  EXPECT_EQ(*status->next_due_time, approve_time_);
  EXPECT_FALSE(Logged(p, kReplyText));
}

TEST_F(ReplyPostsTest, TheReplyIsSentOnceInTheMentionsThreadWithoutAContentLookup) {
  PublisherUnderTest& p = h_.AddStarted();
  Publish(ApprovedEvent(ApprovedReply()));
  ASSERT_TRUE(h_.Drain());
  CycleStats stats = p.publisher->RunCycle();
  EXPECT_EQ(stats.published, 1);
  EXPECT_EQ(h_.StateOf("reply-r1"), POST_STATE_PUBLISHED);
  ASSERT_EQ(h_.channel_.Delivered().size(), 1u);
  const PublishRequest sent = h_.channel_.Delivered()[0];
  EXPECT_EQ(sent.in_reply_to, kMentionId);
  EXPECT_EQ(sent.text, kReplyText);
  EXPECT_EQ(sent.account, kAccount);
  EXPECT_EQ(sent.post, "posts/reply-r1");
  ASSERT_EQ(h_.Events("carecast.post.published").size(), 1u);
  // Another cycle (and the events of the outcome) send nothing more.
  ASSERT_TRUE(h_.Drain());
  h_.clock_.Advance(absl::Minutes(5));
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 1);
}

TEST_F(ReplyPostsTest, RedeliveredAndRepublishedEventsMakeOnePost) {
  PublisherUnderTest& p = h_.AddStarted();
  const carecast::v1::Reply reply = ApprovedReply();
  // The same fact re-published under new message ids (the listener's relay
  // after a crash, past the duplicate window).
  for (int i = 0; i < 3; ++i) Publish(ApprovedEvent(reply, "approved-" + std::to_string(i)));
  ASSERT_TRUE(h_.Drain());
  EXPECT_EQ(PostCount(), 1u);
  EXPECT_EQ(Scheduled().size(), 1u);
  EXPECT_EQ(AuditOf("reply-r1").size(), 1u);
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 1);
  // Redelivered after it was sent: nothing is made or sent again.
  Publish(ApprovedEvent(reply, "approved-late"));
  ASSERT_TRUE(h_.Drain());
  h_.clock_.Advance(absl::Minutes(1));
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 1);
  EXPECT_EQ(h_.StateOf("reply-r1"), POST_STATE_PUBLISHED);
  EXPECT_EQ(Scheduled().size(), 1u);
}

TEST_F(ReplyPostsTest, TwoReplicasHandedTheSameEventAtOnceMakeOnePost) {
  // Two publishers' reply handlers over the same buckets, each given the
  // event at the same moment (a redelivery racing the first delivery).
  PublisherUnderTest& a = h_.AddStarted("pub-a");
  PublisherUnderTest& b = h_.AddStarted("pub-b");
  const common::Event event = ApprovedEvent(ApprovedReply(), "reply.r1.approved");
  common::Outbox outbox(h_.bus_, *h_.outbox_, h_.clock_, a.logger, common::NullOutboxObserver(),
                        "pub-test");
  for (int round = 0; round < 20; ++round) {
    const std::string id = "race" + std::to_string(round);
    carecast::v1::Reply reply = ApprovedReply(id);
    const common::Event e = ApprovedEvent(reply, "reply." + id + ".approved");
    common::EntityStore posts_a(*h_.posts_, kPostsBucket, outbox);
    common::EntityStore posts_b(*h_.posts_, kPostsBucket, outbox);
    DueIndex index_a(h_.index_, *h_.posts_, {}, a.metrics, a.logger);
    DueIndex index_b(h_.index_, *h_.posts_, {}, b.metrics, b.logger);
    ReplyPosts replica_a(posts_a, index_a, h_.clock_, a.logger, {}, nullptr);
    ReplyPosts replica_b(posts_b, index_b, h_.clock_, b.logger, {}, nullptr);
    std::atomic<bool> go{false};
    common::Disposition da = common::Disposition::kRetry;
    common::Disposition db = common::Disposition::kRetry;
    std::thread ta([&] {
      while (!go.load()) {
      }
      da = replica_a.OnEvent(e);
    });
    std::thread tb([&] {
      while (!go.load()) {
      }
      db = replica_b.OnEvent(e);
    });
    go = true;
    ta.join();
    tb.join();
    EXPECT_EQ(da, common::Disposition::kAck) << id;
    EXPECT_EQ(db, common::Disposition::kAck) << id;
  }
  // And through the shared durable consumer, both publishers subscribed.
  Publish(event);
  Publish(ApprovedEvent(ApprovedReply(), "reply.r1.approved-again"));
  ASSERT_TRUE(h_.Drain());
  EXPECT_EQ(PostCount(), 21u);
  std::vector<carecast::v1::PostChanged> scheduled = Scheduled();
  EXPECT_EQ(scheduled.size(), 21u) << "one carecast.post.scheduled per reply";
  for (int round = 0; round < 20; ++round)
    EXPECT_EQ(AuditOf("reply-race" + std::to_string(round)).size(), 1u) << round;
  // Both publishers run a cycle: each reply goes out once.
  a.publisher->RunCycle();
  b.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 21);
}

TEST_F(ReplyPostsTest, EventsThatCannotMakeAPostAreRejectedAndMakeNothing) {
  PublisherUnderTest& p = h_.AddStarted();
  common::Outbox outbox(h_.bus_, *h_.outbox_, h_.clock_, p.logger, common::NullOutboxObserver(),
                        "pub-test");
  common::EntityStore posts(*h_.posts_, kPostsBucket, outbox);
  DueIndex index(h_.index_, *h_.posts_, {}, p.metrics, p.logger);
  int woken = 0;
  ReplyPosts replies(posts, index, h_.clock_, p.logger, {}, [&](absl::Time) { ++woken; });

  struct Case {
    std::string what;
    std::function<void(carecast::v1::Reply&)> spoil;
  };
  const std::vector<Case> cases = {
      {"no account", [](carecast::v1::Reply& r) { r.clear_account(); }},
      {"an account that is not one", [](carecast::v1::Reply& r) { r.set_account("accounts/x"); }},
      {"no network", [](carecast::v1::Reply& r) { r.clear_network(); }},
      {"no in_reply_to", [](carecast::v1::Reply& r) { r.clear_in_reply_to(); }},
      {"no text", [](carecast::v1::Reply& r) { r.clear_text(); }},
      {"no name", [](carecast::v1::Reply& r) { r.clear_name(); }},
      {"a malformed name", [](carecast::v1::Reply& r) { r.set_name("replies/Not An Id"); }},
  };
  for (const Case& c : cases) {
    carecast::v1::Reply reply = ApprovedReply();
    c.spoil(reply);
    EXPECT_EQ(replies.OnEvent(ApprovedEvent(reply)), common::Disposition::kReject) << c.what;
  }
  // A payload of another message on the subject does not decode.
  carecast::v1::PostChanged wrong;
  wrong.mutable_post()->set_name("posts/reply-r1");
  EXPECT_EQ(replies.OnEvent(common::MakeEvent(common::events::kReplyApproved.subject, wrong,
                                              "/carecast/listener", h_.clock_.Now())),
            common::Disposition::kReject);
  // Nor do bytes that are not a message.
  common::Event garbage = ApprovedEvent(ApprovedReply());
  garbage.data = "\xff\xff\xff not protobuf";
  EXPECT_EQ(replies.OnEvent(garbage), common::Disposition::kReject);

  EXPECT_EQ(PostCount(), 0u);
  EXPECT_TRUE(h_.Events("carecast.post.>").empty());
  EXPECT_TRUE(h_.Events("carecast.audit.>").empty());
  EXPECT_EQ(woken, 0);
  EXPECT_EQ(*index.Size(), 0);
  EXPECT_FALSE(Logged(p, kReplyText));
  EXPECT_FALSE(Logged(p, kMentionId));
  // A good event through the same handler does make one (the cases above were
  // refused for what they lacked, not for the handler).
  EXPECT_EQ(replies.OnEvent(ApprovedEvent(ApprovedReply())), common::Disposition::kAck);
  EXPECT_EQ(PostCount(), 1u);
  EXPECT_EQ(woken, 1);
}

TEST_F(ReplyPostsTest, KvTroubleIsRetriedAndAPostMadeEarlierIsIndexedAgain) {
  PublisherUnderTest& p = h_.AddStarted();
  common::Outbox outbox(h_.bus_, *h_.outbox_, h_.clock_, p.logger, common::NullOutboxObserver(),
                        "pub-test");
  carecast::testing::InMemoryKeyValueStore broken;
  broken.FailAll(absl::UnavailableError("kv down"));
  common::EntityStore down(broken, kPostsBucket, outbox);
  DueIndex index(h_.index_, *h_.posts_, {}, p.metrics, p.logger);
  ReplyPosts while_down(down, index, h_.clock_, p.logger, {}, nullptr);
  EXPECT_EQ(while_down.OnEvent(ApprovedEvent(ApprovedReply())), common::Disposition::kRetry);

  // A replica made the post and died before indexing it: the redelivery indexes it.
  common::EntityStore posts(*h_.posts_, kPostsBucket, outbox);
  absl::StatusOr<carecast::v1::Post> made =
      ReplyPostOf(ApprovedReply(), h_.clock_.Now(), h_.clock_.Now());
  ASSERT_TRUE(made.ok());
  ASSERT_TRUE(posts.Create("reply-r1", *made).ok());
  ASSERT_EQ(*index.Size(), 0);
  std::vector<absl::Time> woken;
  ReplyPosts replies(posts, index, h_.clock_, p.logger, {},
                     [&](absl::Time due) { woken.push_back(due); });
  EXPECT_EQ(replies.OnEvent(ApprovedEvent(ApprovedReply())), common::Disposition::kAck);
  EXPECT_EQ(*index.Size(), 1);
  ASSERT_EQ(woken.size(), 1u);
  EXPECT_EQ(woken[0], approve_time_);
  EXPECT_TRUE(Scheduled().empty()) << "no second carecast.post.scheduled";
}

// CheckContentApproved: a reply post is approved by its reply and looks
// nothing up; a post that is both a reply and content is refused; a program
// post without content is still refused.
class ReplyContentCheckTest : public ::testing::Test {
 protected:
  ReplyContentCheckTest() {
    // Any lookup in the contents bucket fails loudly (not FAILED_PRECONDITION).
    contents_kv_.FailAll(absl::UnavailableError("contents must not be read"));
  }
  carecast::v1::Post ReplyPost() {
    carecast::v1::Post post;
    post.set_name("posts/reply-r1");
    post.set_account(kAccount);
    post.set_network(carecast::v1::NETWORK_SANDBOX);
    post.set_reply("inboxItems/item-7/replies/r1");
    post.set_in_reply_to(kMentionId);
    post.set_text(kReplyText);
    return post;
  }

  carecast::testing::FakeEventBus bus_;
  carecast::testing::InMemoryKeyValueStore markers_;
  carecast::testing::InMemoryKeyValueStore contents_kv_;
  common::FakeClock clock_;
  common::CapturingLogger logger_;
  common::Outbox outbox_{bus_, markers_, clock_, logger_, common::NullOutboxObserver(), "t"};
  common::EntityStore contents_{contents_kv_, std::string(common::buckets::kContents), outbox_};
};

TEST_F(ReplyContentCheckTest, AReplyPostIsApprovedByItsReplyWithoutALookup) {
  EXPECT_TRUE(CheckContentApproved(contents_, ReplyPost(), clock_.Now()).ok());
}

TEST_F(ReplyContentCheckTest, AReplyPostThatNamesContentIsRefused) {
  carecast::v1::Post post = ReplyPost();
  post.set_content("contents/c1");
  absl::Status refused = CheckContentApproved(contents_, post, clock_.Now());
  EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << refused;
}

TEST_F(ReplyContentCheckTest, AProgramPostStillNeedsItsContent) {
  carecast::v1::Post post = ReplyPost();
  post.clear_reply();
  absl::Status refused = CheckContentApproved(contents_, post, clock_.Now());
  EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << refused;
  post.set_content("contents/c1");
  // Looked up (and the lookup fails): not waved through like a reply.
  EXPECT_TRUE(absl::IsUnavailable(CheckContentApproved(contents_, post, clock_.Now())));
}

TEST_F(ReplyPostsTest, AReplyPostNamingContentIsNeverSent) {
  PublisherUnderTest& p = h_.AddStarted();
  h_.PutApprovedContent("c1");
  absl::StatusOr<carecast::v1::Post> post =
      ReplyPostOf(ApprovedReply(), h_.clock_.Now(), h_.clock_.Now());
  ASSERT_TRUE(post.ok());
  post->set_content("contents/c1");
  post->set_content_version(1);
  post->set_content_hash("hash-c1-1");
  ASSERT_TRUE(h_.posts_->Put("reply-r1", post->SerializeAsString()).ok());
  h_.EmitPostChanged(common::subjects::kPostScheduled, *post);
  ASSERT_TRUE(h_.Drain());
  p.publisher->RunCycle();
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  EXPECT_EQ(h_.StateOf("reply-r1"), carecast::v1::POST_STATE_FAILED);
}

}  // namespace
}  // namespace carecast::publisher::testing
