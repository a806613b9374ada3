// Exactly once on a network with no idempotency key (the local X fake), with two
// real publisher processes: publisher 1 is stopped (SIGSTOP) inside its HTTP
// call until its lease is long gone, or killed (SIGKILL) after the network
// committed the post. Whatever happens next, the fake counts at most one create:
// the post ends PUBLISHED with that one create, or NEEDS_HUMAN. Never two.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>

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
  ServiceProcess StartPublisher(const std::string& id) {
    auto publisher = Start(kPublisherBinary, PublisherEnv(id));
    EXPECT_TRUE(publisher.ok()) << publisher.status();
    return publisher.ok() ? *std::move(publisher) : ServiceProcess{};
  }
  // Approved content scheduled on the X account two seconds ahead; the post's name.
  std::string ScheduleOnX(const std::string& text) {
    auto content = CreateApprovedContent(*stub_, text);
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

}  // namespace
}  // namespace carecast::testing
