// F6 of the fault matrix (docs/reliability.md): a network partition between a
// publisher and NATS, healed after a minute. Publisher 2 reaches nats-server
// through a TCP proxy (tests/support/tcp_proxy.h) that the test black-holes:
// nothing forwarded, nothing closed, as a network that drops every packet.
// Publisher 1 is connected directly. A user must see publisher 1 go on
// dispatching while publisher 2 is cut off, no post lost or sent twice (the
// claims publisher 2 held expire and are taken over, and it sends none of
// them after healing), and a hold a person set during the partition honoured
// by publisher 2 once it is back (publisher 1 is then frozen, so only
// publisher 2 can dispatch).
#include <signal.h>

#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "carecast/v1/planner_service.grpc.pb.h"

#include "tests/fault/fault_test.h"
#include "tests/support/tcp_proxy.h"

namespace carecast::testing {
namespace {

constexpr absl::Duration kPartition = absl::Seconds(60);
constexpr absl::Duration kLease = absl::Seconds(5);
constexpr char kHeldSpoke[] = "spokes/st-lukes";
constexpr char kHeldAccount[] = "spokes/st-lukes/accounts/sandbox-main";

class PartitionFaultTest : public FaultTest {
 protected:
  void SetUp() override {
    FaultTest::SetUp();
    if (HasFatalFailure()) return;
    auto proxy = TcpProxy::Start(nats_server_->port());
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = *std::move(proxy);
    auto planner = Start(kPlannerBinary);
    ASSERT_TRUE(planner.ok()) << planner.status();
    planner_ = *std::move(planner);
    stub_ = v1::PlannerService::NewStub(ChannelTo(planner_));
    ASSERT_TRUE(CreateSandboxAccount(*stub_).ok());
    ASSERT_TRUE(CreateSpokeWithSandboxAccount(*stub_, "st-lukes", "St Luke Clinic").ok());
    for (int i : {1, 2}) {
      Env env = {{"CARECAST_PUBLISHER_ID", absl::StrCat("publisher-", i)},
                 {"CARECAST_PUBLISHER_CLAIM_LEASE", absl::FormatDuration(kLease)}};
      if (i == 2) env["CARECAST_NATS_URL"] = absl::StrCat("nats://127.0.0.1:", proxy_->port());
      auto publisher = Start(kPublisherBinary, env);
      ASSERT_TRUE(publisher.ok()) << publisher.status();
      (i == 1 ? publisher_1_ : publisher_2_) = *std::move(publisher);
    }
  }
  void TearDown() override {
    if (publisher_1_.process != nullptr && publisher_1_.process->Running())
      kill(publisher_1_.process->pid(), SIGCONT);
    FaultTest::TearDown();
  }

  // Sandbox calls for `posts`, counted by publisher.
  std::map<std::string, int> CallsBy(const std::vector<std::string>& posts) {
    std::map<std::string, int> by;
    for (const std::string& post : posts)
      for (const publisher::SandboxCall& call : SandboxCallsFor(post)) ++by[call.publisher_id];
    return by;
  }

  std::unique_ptr<TcpProxy> proxy_;
  ServiceProcess planner_;
  ServiceProcess publisher_1_;
  ServiceProcess publisher_2_;
  std::unique_ptr<v1::PlannerService::Stub> stub_;
};

std::string Seconds(absl::Duration d) {
  return absl::FormatDuration(absl::Trunc(d, absl::Milliseconds(100)));
}

TEST_F(PartitionFaultTest, APublisherCutOffFromNatsForAMinuteSendsNothingTwiceAndKeepsTheHold) {
  // A burst publisher 2 alone dispatches (publisher 1 frozen): the partition
  // falls as soon as publisher 2 holds a claim of it (claimed ahead of its due
  // time, waiting in its send timer). Publisher 1 then runs again.
  ASSERT_EQ(kill(publisher_1_.process->pid(), SIGSTOP), 0);
  const std::vector<std::string> before =
      ScheduleBurst(*stub_, 12, absl::Now() + absl::Seconds(4), absl::Milliseconds(300), "before");
  ASSERT_EQ(before.size(), 12u);
  PollUntil(
      [&] {
        for (const std::string& name : before) {
          const v1::Post post =
              WaitForPostState(*stub_, name, v1::POST_STATE_UNSPECIFIED, absl::ZeroDuration());
          if (post.state() == v1::POST_STATE_PUBLISHING && post.claimed_by() == "publisher-2") {
            proxy_->Partition();
          }
          if (proxy_->partitioned()) return true;
        }
        return false;
      },
      absl::Seconds(20));
  ASSERT_TRUE(proxy_->partitioned()) << "publisher-2 never held a claim";
  const absl::Time cut = absl::Now();
  ASSERT_EQ(kill(publisher_1_.process->pid(), SIGCONT), 0);
  const std::map<std::string, int> sent_before_cut = CallsBy(before);
  std::cout << "did: partitioned publisher-2 from nats-server (black hole, "
            << absl::FormatDuration(kPartition) << ") while it held a claim of a burst of 12 ("
            << (sent_before_cut.count("publisher-2") ? sent_before_cut.at("publisher-2") : 0)
            << " sent by then); thawed publisher-1\n";

  // During the partition: posts fall due (publisher 1 must send them) and a
  // person holds st-lukes, whose posts fall due after the healing.
  const std::vector<std::string> during =
      ScheduleBurst(*stub_, 6, cut + absl::Seconds(10), absl::Seconds(7), "during");
  ASSERT_EQ(during.size(), 6u);
  ASSERT_NO_FATAL_FAILURE(SetSpokeHeld(*stub_, kHeldSpoke, true));
  const std::vector<std::string> held =
      ScheduleBurst(*stub_, 3, cut + kPartition + absl::Seconds(6), absl::Milliseconds(300), "held",
                    kHeldAccount);
  ASSERT_EQ(held.size(), 3u);
  std::cout << "did: scheduled 6 posts due during the partition, held " << kHeldSpoke
            << " and scheduled 3 posts on it due 6s after the healing\n";
  const BurstOutcome first = ExpectEachPublishedOnceOrVisible(*stub_, before, absl::Seconds(30));
  EXPECT_EQ(first.published, 12);
  const std::map<std::string, int> burst_by = CallsBy(before);
  std::cout << "found: the burst went out while publisher-2 was cut off: "
            << (burst_by.count("publisher-1") ? burst_by.at("publisher-1") : 0)
            << " by publisher-1, "
            << (burst_by.count("publisher-2") ? burst_by.at("publisher-2") : 0)
            << " by publisher-2 (its claims expired and were taken over)\n";
  const std::map<std::string, absl::Time> seen =
      WatchFirstCalls(during, cut + kPartition - absl::Now());
  std::map<std::string, int> during_by = CallsBy(during);
  std::cout << "found: while partitioned, " << seen.size() << " of 6 posts due then went out ("
            << during_by["publisher-1"] << " by publisher-1, " << during_by["publisher-2"]
            << " by publisher-2)\n";
  EXPECT_EQ(seen.size(), 6u) << "publisher-1 stopped dispatching during the partition";
  EXPECT_EQ(during_by["publisher-2"], 0);
  absl::SleepFor(cut + kPartition - absl::Now());

  // Healed; publisher 1 frozen, so only publisher 2 can dispatch now.
  ASSERT_EQ(kill(publisher_1_.process->pid(), SIGSTOP), 0);
  proxy_->Heal();
  const absl::Time healed = absl::Now();
  std::cout << "did: healed after " << Seconds(healed - cut)
            << " and froze publisher-1 (SIGSTOP): only publisher-2 can dispatch\n";
  ExpectAPostScheduledNowGoesOut(*stub_);
  std::cout << "found: publisher-2 dispatched again " << Seconds(absl::Now() - healed)
            << " after the healing\n";
  absl::SleepFor(std::max(cut + kPartition + absl::Seconds(9) - absl::Now(), absl::Seconds(3)));
  int held_sent = 0;
  for (const std::string& name : held) {
    held_sent += static_cast<int>(SandboxCallsFor(name).size());
    EXPECT_EQ(WaitForPostState(*stub_, name, v1::POST_STATE_SCHEDULED, absl::Seconds(2)).state(),
              v1::POST_STATE_SCHEDULED)
        << name;
  }
  std::cout << "found: " << held_sent << " calls for the 3 held posts, due "
            << Seconds(absl::Now() - (cut + kPartition + absl::Seconds(6)))
            << " ago; publisher-2 kept the hold set during the partition\n";
  EXPECT_EQ(held_sent, 0) << "publisher-2 sent posts held during the partition";
  ASSERT_NO_FATAL_FAILURE(SetSpokeHeld(*stub_, kHeldSpoke, false));
  const BurstOutcome resumed = ExpectEachPublishedOnceOrVisible(*stub_, held, absl::Seconds(30));
  EXPECT_EQ(resumed.published, 3);
  EXPECT_EQ(CallsBy(held)["publisher-2"], 3);

  // Everything once: publisher 2 sent nothing twice after the healing.
  ASSERT_EQ(kill(publisher_1_.process->pid(), SIGCONT), 0);
  std::vector<std::string> all = before;
  all.insert(all.end(), during.begin(), during.end());
  const BurstOutcome outcome = ExpectEachPublishedOnceOrVisible(*stub_, all, absl::Seconds(20));
  EXPECT_EQ(outcome.published, 18);
  const std::map<std::string, int> by = CallsBy(all);
  std::cout << "found: of the 18 posts before and during the partition, publisher-1 sent "
            << (by.count("publisher-1") ? by.at("publisher-1") : 0) << ", publisher-2 sent "
            << (by.count("publisher-2") ? by.at("publisher-2") : 0) << "; the proxy served "
            << proxy_->connections() << " connections of publisher-2\n";
}

}  // namespace
}  // namespace carecast::testing
