// A responder's reply goes out exactly once on a network with no idempotency
// key (the local X fake), through the real bus and real publisher processes.
// The test plays the listener's part: it publishes carecast.reply.approved
// (a Reply in state SENDING, in reply to a mention the fake holds) onto the
// real CARECAST_EVENTS stream. The publisher makes posts/reply-<id> and sends
// it. Killed (SIGKILL) right after the network committed the reply, and
// restarted, it reconciles instead of sending again; an approval delivered
// twice under two message ids, to two publishers, still makes one post and
// one reply at the network.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "carecast/v1/events.pb.h"
#include "carecast/v1/planner_service.grpc.pb.h"

#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/nats_connection.h"
#include "services/publisher/post_records.h"
#include "tests/fault/fault_test.h"
#include "tests/support/fake_networks/x_fake.h"

namespace carecast::testing {
namespace {

constexpr char kXAccount[] = "spokes/st-marys/accounts/x-main";
constexpr char kReplyText[] = "We are sorry about the wait. Please call our patient line.";

class ReplyFaultTest : public FaultTest {
 protected:
  ReplyFaultTest() : x_(XFakeOptions{.duplicate_window = absl::ZeroDuration()}) {}

  void SetUp() override {
    FaultTest::SetUp();
    if (HasFatalFailure()) return;
    // A duplicate text is NOT refused: a second create would be counted.
    ASSERT_TRUE(x_.Start().ok());
    secrets_dir_ = std::filesystem::path(sandbox_dir()) / "channel-secrets";
    std::filesystem::create_directories(secrets_dir_);
    std::ofstream(std::filesystem::path(secrets_dir_) / "x-main.json")
        << R"({"network": "x", "account": ")" << kXAccount
        << R"(", "access_token": "x-token-1", "user_id": "1000"})";
    sealing_key_ = std::filesystem::path(sandbox_dir()) / "token-sealing.key";
    std::ofstream(sealing_key_) << std::string(64, 'a') << "\n";
    // The calendar is reconciled with the posts bucket every second, so a reply
    // post would be found there if the planner took it for a program post.
    Env planner_env = ChannelEnv();
    planner_env["CARECAST_INDEX_RECONCILE_PERIOD"] = "1s";
    auto planner = Start(kPlannerBinary, planner_env);
    ASSERT_TRUE(planner.ok()) << planner.status();
    planner_ = *std::move(planner);
    stub_ = v1::PlannerService::NewStub(ChannelTo(planner_));
    ASSERT_TRUE(CreateSandboxAccount(*stub_).ok());
    ASSERT_TRUE(CreateAccountOn(*stub_, "x-main", v1::NETWORK_X).ok());
    // The member of the public's post the reply answers (made elsewhere: not a create).
    mention_id_ = x_.AddExistingPost(
        FakePost{.id = "", .author = "2000", .text = "Waited 3 hours in your ER tonight. Why?"});
    auto bus = common::NatsConnection::Connect({.url = nats_url(), .name = "reply-fault-test"},
                                               bus_logger_);
    ASSERT_TRUE(bus.ok()) << bus.status();
    events_ = *std::move(bus);
  }
  void TearDown() override {
    x_.Stop();
    FaultTest::TearDown();
  }

  Env ChannelEnv() const {
    return {{"CARECAST_CHANNEL_X_BASE_URL", x_.base_url()},
            {"CARECAST_CHANNEL_SECRETS_DIR", secrets_dir_},
            {"CARECAST_CHANNEL_TOKEN_SEALING_KEY_FILE", sealing_key_}};
  }
  Env PublisherEnv(const std::string& id) const {
    Env env = ChannelEnv();
    env["CARECAST_PUBLISHER_ID"] = id;
    env["CARECAST_PUBLISHER_CLAIM_LEASE"] = absl::FormatDuration(kClaimLease);
    return env;
  }

  // The reply as the listener stores it once approved.
  v1::Reply ApprovedReply(const std::string& id) const {
    v1::Reply reply;
    reply.set_name("inboxItems/item-er-1/replies/" + id);
    reply.set_inbox_item("inboxItems/item-er-1");
    reply.set_mention("mentions/m-er-1");
    reply.set_network(v1::NETWORK_X);
    reply.set_in_reply_to(mention_id_);
    reply.set_spoke("spokes/st-marys");
    reply.set_account(kXAccount);
    reply.set_text(kReplyText);
    reply.set_state(v1::REPLY_STATE_SENDING);
    reply.set_author("ray");
    reply.set_approver("rosa");
    reply.set_post("posts/reply-" + id);
    publisher::SetTime(absl::Now(), reply.mutable_approve_time());
    publisher::SetTime(absl::Now(), reply.mutable_update_time());
    return reply;
  }
  // carecast.reply.approved onto the real stream, as the listener's outbox
  // relay publishes it, under `message_id`.
  void PublishApproved(const v1::Reply& reply, const std::string& message_id) {
    v1::ReplyChanged payload;
    *payload.mutable_reply() = reply;
    payload.set_actor(reply.approver());
    auto ack = events_->Publish(common::MakeCatalogueEvent(
        common::events::kReplyApproved, payload, "/carecast/listener", absl::Now(), message_id));
    ASSERT_TRUE(ack.ok()) << ack.status();
  }

  // What the fake holds in reply to the mention.
  std::vector<FakePost> RepliesAtTheNetwork() const {
    std::vector<FakePost> out;
    for (const FakePost& p : x_.posts())
      if (p.in_reply_to == mention_id_) out.push_back(p);
    return out;
  }
  int EventsAbout(std::string_view subject, const std::string& post) {
    return CountEvents<v1::PostChanged>(
        subject, [&](const v1::PostChanged& e) { return e.post().name() == post; });
  }
  int PublishedEventsAbout(const std::string& post) {
    return CountEvents<v1::PostPublished>(
        "carecast.post.published",
        [&](const v1::PostPublished& e) { return e.post().name() == post; });
  }
  // Whether the planner's calendar lists `post` (within an hour of now).
  bool CalendarLists(const std::string& post) {
    v1::ListCalendarRequest req;
    publisher::SetTime(absl::Now() - absl::Hours(1), req.mutable_start_time());
    publisher::SetTime(absl::Now() + absl::Hours(1), req.mutable_end_time());
    req.set_page_size(100);
    v1::ListCalendarResponse resp;
    grpc::Status s = stub_->ListCalendar(Context(sam_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const v1::Post& p : resp.posts())
      if (p.name() == post) return true;
    return false;
  }
  // One reply at the network, in the mention's thread, and the post PUBLISHED
  // with its id; not in the program's calendar.
  void ExpectSentOnce(const std::string& post_name, const std::string& reply_name) {
    v1::Post done = WaitForPostState(*stub_, post_name, v1::POST_STATE_PUBLISHED,
                                     kClaimLease + absl::Seconds(30));
    ASSERT_EQ(done.state(), v1::POST_STATE_PUBLISHED) << done.DebugString();
    absl::SleepFor(kClaimLease + absl::Seconds(1));  // every chance for a wrong second create
    EXPECT_EQ(x_.creates_accepted(), 1) << "the network accepted a second create";
    std::vector<FakePost> replies = RepliesAtTheNetwork();
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].author, "1000") << "sent from the account's user";
    EXPECT_EQ(replies[0].text, kReplyText);
    EXPECT_EQ(done.external_id(), replies[0].id);
    EXPECT_EQ(done.in_reply_to(), mention_id_);
    EXPECT_EQ(done.reply(), reply_name);
    EXPECT_TRUE(done.content().empty());
    EXPECT_EQ(EventsAbout("carecast.post.scheduled", post_name), 1);
    EXPECT_EQ(PublishedEventsAbout(post_name), 1);
    EXPECT_EQ(WaitForNoOutboxMarkers(), 0);
    absl::SleepFor(absl::Seconds(2));  // at least one more calendar reconciliation
    EXPECT_FALSE(CalendarLists(post_name)) << "a reply post is not one of the program's posts";
  }

  static constexpr absl::Duration kClaimLease = absl::Seconds(3);
  XFake x_;
  std::string secrets_dir_;
  std::string sealing_key_;
  std::string mention_id_;
  common::CapturingLogger bus_logger_;
  std::unique_ptr<common::NatsConnection> events_;
  ServiceProcess planner_;
  ServiceProcess publisher_1_;
  ServiceProcess publisher_2_;
  std::unique_ptr<v1::PlannerService::Stub> stub_;
};

// Killed after X committed the reply, before the publisher recorded it; the
// restarted publisher finds it on the account's timeline (same parent, same
// text) and records it: one reply, PUBLISHED with X's id.
TEST_F(ReplyFaultTest, KilledAfterTheNetworkCommittedTheReplyItIsRecordedNotSentAgain) {
  const std::string step = "publisher:after_channel_call";
  auto publisher = StartWithFault(kPublisherBinary, step, PublisherEnv("publisher-1"));
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  publisher_1_ = *std::move(publisher);
  const v1::Reply reply = ApprovedReply("r1");
  PublishApproved(reply, "reply.r1.approved");
  ASSERT_TRUE(ExpectKilledAt(publisher_1_, step).ok());
  ASSERT_EQ(x_.creates_accepted(), 1) << "killed after the network committed the reply";
  std::printf("killed at %s with the reply at the network\n", step.c_str());

  auto restarted = Start(kPublisherBinary, PublisherEnv("publisher-2"));
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  publisher_2_ = *std::move(restarted);
  ExpectSentOnce("posts/reply-r1", reply.name());
}

// The approval delivered twice (two message ids, so the stream keeps both) to
// two publishers sharing the durable consumer: one post, one reply.
TEST_F(ReplyFaultTest, AnApprovalDeliveredTwiceMakesOnePostAndOneReply) {
  auto first = Start(kPublisherBinary, PublisherEnv("publisher-1"));
  ASSERT_TRUE(first.ok()) << first.status();
  publisher_1_ = *std::move(first);
  auto second = Start(kPublisherBinary, PublisherEnv("publisher-2"));
  ASSERT_TRUE(second.ok()) << second.status();
  publisher_2_ = *std::move(second);
  const v1::Reply reply = ApprovedReply("r2");
  PublishApproved(reply, "reply.r2.approved");
  PublishApproved(reply, "reply.r2.approved.relayed-again");
  EXPECT_EQ(CountEvents<v1::ReplyChanged>(
                "carecast.reply.approved",
                [&](const v1::ReplyChanged& e) { return e.reply().name() == reply.name(); }),
            2)
      << "the stream must hold both deliveries for this test to mean anything";
  ExpectSentOnce("posts/reply-r2", reply.name());
}

}  // namespace
}  // namespace carecast::testing
