// F3 of the fault matrix (docs/reliability.md): all of NATS restarted during a
// burst of due posts. The one nats-server, then every node of a three-node
// cluster (R3 streams and buckets), is SIGKILLed once the first post of a burst
// is out and started again a few seconds later on the same port and store
// directory. A user must see every post published with exactly one call at the
// sandbox (or visibly NEEDS_HUMAN or FAILED), none lost, no write left owing its
// event, and the services serving afterwards: a post scheduled after the
// restart goes out too.
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "carecast/v1/planner_service.grpc.pb.h"

#include "tests/fault/fault_test.h"

namespace carecast::testing {
namespace {

constexpr int kBurst = 12;
constexpr absl::Duration kSpacing = absl::Milliseconds(300);
// How long NATS stays down: longer than the clients' two missed pings (4 s).
constexpr absl::Duration kDown = absl::Seconds(5);

class NatsRestartFaultTest : public FaultTest {
 protected:
  void SetUp() override {
    FaultTest::SetUp();
    if (HasFatalFailure()) return;
    auto planner = Start(kPlannerBinary);
    ASSERT_TRUE(planner.ok()) << planner.status();
    planner_ = *std::move(planner);
    stub_ = v1::PlannerService::NewStub(ChannelTo(planner_));
    ASSERT_TRUE(CreateSandboxAccount(*stub_).ok());
    auto publisher = Start(kPublisherBinary, {{"CARECAST_PUBLISHER_ID", "publisher-1"},
                                              {"CARECAST_PUBLISHER_CLAIM_LEASE", "5s"}});
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    publisher_ = *std::move(publisher);
  }

  // SIGKILLs every nats-server, the one or each node of the cluster.
  void KillAllOfNats() {
    if (nats_cluster_) {
      for (int i = 0; i < nats_cluster_->size(); ++i) nats_cluster_->node(i).Kill();
    } else {
      nats_server_->Kill();
    }
  }

  // Starts every nats-server again on its port and store directory; returns
  // once JetStream answers on each.
  absl::Status RestartAllOfNats() {
    if (!nats_cluster_) return nats_server_->Restart();
    for (int i = 0; i < nats_cluster_->size(); ++i) {
      if (absl::Status s = nats_cluster_->node(i).Restart(); !s.ok()) return s;
    }
    return nats_cluster_->WaitUntilReady(absl::Seconds(30));
  }

  // The burst, NATS killed once its first post is out and restarted after
  // kDown, then what a user sees; and a post scheduled afterwards.
  void RunBurstThroughARestart() {
    const std::vector<std::string> posts =
        ScheduleBurst(*stub_, kBurst, absl::Now() + absl::Seconds(3), kSpacing);
    ASSERT_EQ(posts.size(), static_cast<size_t>(kBurst));
    ASSERT_EQ(WaitForPostState(*stub_, posts.front(), v1::POST_STATE_PUBLISHED, absl::Seconds(15))
                  .state(),
              v1::POST_STATE_PUBLISHED);
    KillAllOfNats();
    const int out_before = CallsFor(posts);
    const std::string what = nats_cluster_ ? "all three nats-server nodes" : "the nats-server";
    std::cout << "did: SIGKILLed " << what << " once the first of " << kBurst
              << " posts (one due every " << absl::FormatDuration(kSpacing)
              << ") was out, with the rest falling due\n";
    absl::SleepFor(kDown);
    std::cout << "found: " << out_before << " of " << kBurst << " posts sent when NATS died, "
              << CallsFor(posts) - out_before << " sent while it was down\n";
    const absl::Time restarted = absl::Now();
    absl::Status up = RestartAllOfNats();
    ASSERT_TRUE(up.ok()) << up;
    std::cout << "did: restarted " << what << " on the same ports and store directories after "
              << absl::FormatDuration(kDown) << "; JetStream answered after "
              << absl::FormatDuration(absl::Trunc(absl::Now() - restarted, absl::Milliseconds(1)))
              << "\n";

    const BurstOutcome outcome = ExpectEachPublishedOnceOrVisible(*stub_, posts, absl::Seconds(60));
    EXPECT_EQ(outcome.lost, 0);

    ExpectAPostScheduledNowGoesOut(*stub_);
  }

  // Calls the sandbox counted for `posts`.
  int CallsFor(const std::vector<std::string>& posts) {
    int calls = 0;
    for (const std::string& post : posts) calls += static_cast<int>(SandboxCallsFor(post).size());
    return calls;
  }

  ServiceProcess planner_;
  ServiceProcess publisher_;
  std::unique_ptr<v1::PlannerService::Stub> stub_;
};

TEST_F(NatsRestartFaultTest, TheNatsServerKilledDuringABurstLosesAndDuplicatesNothing) {
  RunBurstThroughARestart();
}

class NatsClusterRestartFaultTest : public NatsRestartFaultTest {
 protected:
  int NatsNodes() const override { return 3; }
};

TEST_F(NatsClusterRestartFaultTest, EveryNodeKilledDuringABurstLosesAndDuplicatesNothing) {
  RunBurstThroughARestart();
}

}  // namespace
}  // namespace carecast::testing
