// Exactly once on a network with no idempotency key (the local X fake), with two
// real publisher processes: publisher 1 is stopped (SIGSTOP) inside its HTTP
// call until its lease is long gone, or killed (SIGKILL) after the network
// committed the post. Whatever happens next, the fake counts at most one create:
// the post ends PUBLISHED with that one create, or NEEDS_HUMAN. Never two.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "carecast/v1/planner_service.grpc.pb.h"

#include "tests/fault/fault_test.h"
#include "tests/support/fake_networks/x_fake.h"

namespace carecast::testing {
namespace {

constexpr char kXAccount[] = "spokes/st-marys/accounts/x-main";

class ChannelFaultTest : public FaultTest {
 protected:
  void SetUp() override {
    FaultTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(x_.Start().ok());
    secrets_dir_ = std::filesystem::path(sandbox_dir()) / "channel-secrets";
    std::filesystem::create_directories(secrets_dir_);
    std::ofstream(std::filesystem::path(secrets_dir_) / "x-main.json")
        << R"({"network": "x", "account": ")" << kXAccount
        << R"(", "access_token": "x-token-1", "user_id": "1000"})";
    sealing_key_ = std::filesystem::path(sandbox_dir()) / "token-sealing.key";
    std::ofstream(sealing_key_) << std::string(64, 'a') << "\n";
    auto planner = Start(kPlannerBinary, ChannelEnv());
    ASSERT_TRUE(planner.ok()) << planner.status();
    planner_ = *std::move(planner);
    stub_ = v1::PlannerService::NewStub(ChannelTo(planner_));
    ASSERT_TRUE(CreateSandboxAccount(*stub_).ok());
    ASSERT_TRUE(CreateAccountOn(*stub_, "x-main", v1::NETWORK_X).ok());
  }
  void TearDown() override {
    // A stopped process cannot die of SIGKILL until it runs again.
    for (ServiceProcess* p : {&publisher_1_, &publisher_2_}) {
      if (p->process != nullptr && p->process->Running()) kill(p->process->pid(), SIGCONT);
    }
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
  ServiceProcess StartPublisher(const std::string& id, const Env& extra = {}) {
    Env env = PublisherEnv(id);
    env.insert(extra.begin(), extra.end());
    auto publisher = Start(kPublisherBinary, env);
    EXPECT_TRUE(publisher.ok()) << publisher.status();
    return publisher.ok() ? *std::move(publisher) : ServiceProcess{};
  }
  // Approved content (with `thread` parts on X) scheduled on the X account two
  // seconds ahead; the post's name.
  std::string ScheduleOnX(const std::string& text, const std::vector<std::string>& thread = {}) {
    auto content = CreateApprovedContent(*stub_, text, thread);
    EXPECT_TRUE(content.ok()) << content.status();
    if (!content.ok()) return "";
    auto post = Schedule(*stub_, *content, absl::Now() + absl::Seconds(2), "", kXAccount);
    EXPECT_TRUE(post.ok()) << post.status();
    return post.ok() ? post->name() : "";
  }
  // The post once it has left SCHEDULED/PUBLISHING for good (or the last seen).
  v1::Post WaitForOutcome(const std::string& post, absl::Duration timeout) {
    v1::Post last;
    absl::Time end = absl::Now() + timeout;
    while (absl::Now() < end) {
      last = WaitForPostState(*stub_, post, v1::POST_STATE_UNSPECIFIED, absl::ZeroDuration());
      if (last.state() == v1::POST_STATE_PUBLISHED || last.state() == v1::POST_STATE_NEEDS_HUMAN ||
          last.state() == v1::POST_STATE_FAILED)
        return last;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return last;
  }
  // The invariant: one create at most, and the post's state agrees with the fake.
  void ExpectNeverTwo(const v1::Post& post, const std::string& text) {
    EXPECT_LE(x_.creates_accepted(), 1) << "a second create reached the network";
    EXPECT_LE(x_.CountWithText(text), 1);
    if (post.state() == v1::POST_STATE_PUBLISHED) {
      EXPECT_EQ(x_.creates_accepted(), 1);
      ASSERT_EQ(x_.posts().size(), 1u);
      EXPECT_EQ(post.external_id(), x_.posts()[0].id);
    } else {
      EXPECT_EQ(post.state(), v1::POST_STATE_NEEDS_HUMAN) << post.DebugString();
    }
  }

  static constexpr absl::Duration kClaimLease = absl::Seconds(3);
  XFake x_;
  std::string secrets_dir_;
  std::string sealing_key_;
  ServiceProcess planner_;
  ServiceProcess publisher_1_;
  ServiceProcess publisher_2_;
  std::unique_ptr<v1::PlannerService::Stub> stub_;
};

// Publisher 1 is frozen inside its create call; publisher 2 takes the claim over
// once the lease is gone, while the network still has not committed. Then the
// network commits and publisher 1 runs again.
TEST_F(ChannelFaultTest, StoppedInsideTheCallPastItsLeaseBeforeTheNetworkCommitted) {
  x_.HoldNextCreate();
  publisher_1_ = StartPublisher("publisher-1");
  const std::string text = "Mammography screening is open this Saturday, 8am to noon.";
  const std::string post = ScheduleOnX(text);
  ASSERT_FALSE(post.empty());
  ASSERT_TRUE(x_.WaitUntilHeld(absl::Seconds(20))) << "publisher 1 never called the network";
  ASSERT_EQ(kill(publisher_1_.process->pid(), SIGSTOP), 0);

  publisher_2_ = StartPublisher("publisher-2");
  // Publisher 2 reconciles the abandoned claim: the network has nothing yet, and
  // the request may still be in flight, so a person must decide.
  v1::Post taken_over = WaitForOutcome(post, kClaimLease + absl::Seconds(20));
  EXPECT_EQ(taken_over.state(), v1::POST_STATE_NEEDS_HUMAN) << taken_over.DebugString();
  EXPECT_EQ(x_.creates_accepted(), 0);

  x_.ReleaseHeld();  // the frozen request lands after all
  ASSERT_EQ(kill(publisher_1_.process->pid(), SIGCONT), 0);
  ASSERT_EQ(
      WaitForCount([&] { return static_cast<int>(x_.creates_accepted()); }, 1, absl::Seconds(10)),
      1);
  // Publisher 1 learns the outcome (its receipt or its own reconciliation) and
  // records the truth: published, once.
  v1::Post final_state =
      WaitForPostState(*stub_, post, v1::POST_STATE_PUBLISHED, absl::Seconds(15));
  ExpectNeverTwo(final_state, text);
  absl::SleepFor(kClaimLease);  // give a wrong second create every chance to happen
  EXPECT_EQ(x_.creates_accepted(), 1);
}

// The same freeze, but the network commits while publisher 1 is stopped:
// publisher 2 finds the post when it reconciles.
TEST_F(ChannelFaultTest, StoppedInsideTheCallPastItsLeaseAfterTheNetworkCommitted) {
  x_.HoldNextCreate();
  publisher_1_ = StartPublisher("publisher-1");
  const std::string text = "Free blood pressure checks in the St Mary lobby on Tuesday.";
  const std::string post = ScheduleOnX(text);
  ASSERT_FALSE(post.empty());
  ASSERT_TRUE(x_.WaitUntilHeld(absl::Seconds(20))) << "publisher 1 never called the network";
  ASSERT_EQ(kill(publisher_1_.process->pid(), SIGSTOP), 0);
  x_.ReleaseHeld();
  ASSERT_EQ(
      WaitForCount([&] { return static_cast<int>(x_.creates_accepted()); }, 1, absl::Seconds(10)),
      1);

  publisher_2_ = StartPublisher("publisher-2");
  v1::Post reconciled = WaitForOutcome(post, kClaimLease + absl::Seconds(20));
  EXPECT_EQ(reconciled.state(), v1::POST_STATE_PUBLISHED) << reconciled.DebugString();
  ASSERT_EQ(kill(publisher_1_.process->pid(), SIGCONT), 0);
  absl::SleepFor(kClaimLease);
  ExpectNeverTwo(WaitForOutcome(post, absl::Seconds(5)), text);
  EXPECT_EQ(x_.creates_accepted(), 1);
}

// Publisher 1 is SIGKILLed while the network, having committed the post, is
// still answering (a stall after commit); publisher 2 reconciles.
TEST_F(ChannelFaultTest, KilledAfterTheNetworkCommitted) {
  x_.set_stall(absl::Seconds(60));
  x_.QueueFault(FakeFault::kTimeoutAfterCommit);
  publisher_1_ = StartPublisher("publisher-1");
  publisher_2_ = StartPublisher("publisher-2");
  const std::string text = "Our new urgent care in Eastside opens Monday at 7am.";
  const std::string post = ScheduleOnX(text);
  ASSERT_FALSE(post.empty());
  ASSERT_EQ(
      WaitForCount([&] { return static_cast<int>(x_.creates_accepted()); }, 1, absl::Seconds(20)),
      1);
  // Whichever publisher is inside the call dies; the other one reconciles.
  v1::Post claimed = WaitForPostState(*stub_, post, v1::POST_STATE_PUBLISHING, absl::Seconds(5));
  ASSERT_EQ(claimed.state(), v1::POST_STATE_PUBLISHING) << claimed.DebugString();
  ServiceProcess& caller = claimed.claimed_by() == "publisher-1" ? publisher_1_ : publisher_2_;
  caller.process->Kill();

  v1::Post reconciled = WaitForOutcome(post, kClaimLease + absl::Seconds(20));
  EXPECT_EQ(reconciled.state(), v1::POST_STATE_PUBLISHED) << reconciled.DebugString();
  ExpectNeverTwo(reconciled, text);
}

// A thread of three on X, which has no idempotency key. Publisher 1 is
// SIGKILLed at `step`; publisher 2 takes the claim over after the lease. The
// network ends with each part exactly once, each a reply to the one before,
// and the post points at the first.
class ThreadFaultTest : public ChannelFaultTest {
 protected:
  void KillAtAndExpectOneWholeThread(const std::string& step) {
    const std::vector<std::string> parts = {"Walk in, no booking needed. 2/3",
                                            "Bring a photo ID if you have one. 3/3"};
    const std::string head = "Flu shots at every St Mary clinic this Saturday. 1/3";
    publisher_1_ = StartPublisher("publisher-1", {{"CARECAST_FAULT_AT", step}});
    const std::string post = ScheduleOnX(head, parts);
    ASSERT_FALSE(post.empty());
    ASSERT_TRUE(ExpectKilledAt(publisher_1_, step.substr(0, step.find('#'))).ok());
    const int64_t before_takeover = x_.creates_accepted();
    std::printf("killed at %s with %lld of 3 parts at the network\n", step.c_str(),
                static_cast<long long>(before_takeover));

    publisher_2_ = StartPublisher("publisher-2");
    v1::Post done = WaitForOutcome(post, kClaimLease + absl::Seconds(30));
    ASSERT_EQ(done.state(), v1::POST_STATE_PUBLISHED) << done.DebugString();
    absl::SleepFor(kClaimLease);  // every chance for a wrong second create
    std::vector<FakePost> sent = x_.posts();
    ASSERT_EQ(x_.creates_accepted(), 3) << "each part exactly once";
    ASSERT_EQ(sent.size(), 3u);
    EXPECT_EQ(sent[0].text, head);
    EXPECT_EQ(sent[1].text, parts[0]);
    EXPECT_EQ(sent[2].text, parts[1]);
    EXPECT_TRUE(sent[0].in_reply_to.empty());
    EXPECT_EQ(sent[1].in_reply_to, sent[0].id);
    EXPECT_EQ(sent[2].in_reply_to, sent[1].id);
    EXPECT_EQ(done.external_id(), sent[0].id);
    EXPECT_EQ(done.channel_progress().at("thread.2"), sent[2].id);
    std::printf("after the takeover: %lld creates, one chain of 3\n",
                static_cast<long long>(x_.creates_accepted()));
  }
};

// Killed after part 1 was recorded, before part 2 was marked as being sent:
// part 2 cannot be at the network, so publisher 2 sends the rest.
TEST_F(ThreadFaultTest, KilledBetweenTwoParts) {
  KillAtAndExpectOneWholeThread("publisher:after_thread_part#1");
}

// Killed after the network accepted part 2 and before its id was recorded:
// publisher 2 finds part 2 at the network, records it and sends part 3 only.
TEST_F(ThreadFaultTest, KilledAfterTheNetworkAcceptedAPartItHadNotRecorded) {
  KillAtAndExpectOneWholeThread("publisher:thread_part_unrecorded#2");
}

}  // namespace
}  // namespace carecast::testing
