// F5 of the fault matrix (docs/reliability.md): two publisher processes whose
// clocks differ by 30 s. Publisher 2 runs on a clock 30 s ahead (libfaketime,
// LD_PRELOAD), publisher 1 and every server on the machine's. A user must see
// every post published once (one call at the sandbox), none before its time,
// and a claim the skewed publisher took kept for its whole lease: the other
// publisher must not take it over early.
#include <signal.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "carecast/v1/planner_service.grpc.pb.h"

#include "tests/fault/fault_test.h"

namespace carecast::testing {
namespace {

constexpr absl::Duration kSkew = absl::Seconds(30);
constexpr absl::Duration kLease = absl::Seconds(5);
constexpr int kBurst = 12;
constexpr absl::Duration kSpacing = absl::Milliseconds(500);
// How late after its time the test may first see a call: its 50 ms poll.
constexpr absl::Duration kSeenSlack = absl::Milliseconds(100);

class SkewFaultTest : public FaultTest {
 protected:
  void SetUp() override {
    FaultTest::SetUp();
    if (HasFatalFailure()) return;
    auto planner = Start(kPlannerBinary);
    ASSERT_TRUE(planner.ok()) << planner.status();
    planner_ = *std::move(planner);
    stub_ = v1::PlannerService::NewStub(ChannelTo(planner_));
    ASSERT_TRUE(CreateSandboxAccount(*stub_).ok());
  }

  // A publisher with the test's claim lease; `skewed` runs it 30 s ahead.
  ServiceProcess StartPublisher(const std::string& id, bool skewed, const Env& extra = {}) {
    Env env = skewed ? SkewedClock(kSkew) : Env{};
    env["CARECAST_PUBLISHER_ID"] = id;
    env["CARECAST_PUBLISHER_CLAIM_LEASE"] = absl::FormatDuration(kLease);
    for (const auto& [key, value] : extra) env[key] = value;
    auto publisher = Start(kPublisherBinary, env);
    EXPECT_TRUE(publisher.ok()) << publisher.status();
    return publisher.ok() ? *std::move(publisher) : ServiceProcess{};
  }

  // The post as the planner has it now.
  v1::Post Get(const std::string& name) {
    return WaitForPostState(*stub_, name, v1::POST_STATE_UNSPECIFIED, absl::ZeroDuration());
  }

  ServiceProcess planner_;
  std::unique_ptr<v1::PlannerService::Stub> stub_;
};

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::string Seconds(absl::Duration d) {
  return absl::FormatDuration(absl::Trunc(d, absl::Milliseconds(100)));
}

TEST_F(SkewFaultTest, TwoPublishersThirtySecondsApartSendEachPostOnceAndNoneEarly) {
  ServiceProcess publisher_1 = StartPublisher("publisher-1", /*skewed=*/false);
  ServiceProcess publisher_2 = StartPublisher("publisher-2", /*skewed=*/true);
  ASSERT_NE(publisher_1.process, nullptr);
  ASSERT_NE(publisher_2.process, nullptr);
  std::cout << "did: started publisher-1 on the machine's clock and publisher-2 on a clock "
            << absl::FormatDuration(kSkew) << " ahead (libfaketime), claim lease "
            << absl::FormatDuration(kLease) << "\n";
  // Due well after the skew, so an early send shows as one.
  const absl::Time first = absl::Now() + kSkew + absl::Seconds(10);
  const std::vector<std::string> posts = ScheduleBurst(*stub_, kBurst, first, kSpacing);
  ASSERT_EQ(posts.size(), static_cast<size_t>(kBurst));
  std::cout << "did: scheduled " << kBurst << " posts, the first due in "
            << Seconds(first - absl::Now()) << ", one every " << absl::FormatDuration(kSpacing)
            << "\n";

  const std::map<std::string, absl::Time> seen =
      WatchFirstCalls(posts, first - absl::Now() + kBurst * kSpacing + absl::Seconds(20));
  const BurstOutcome outcome = ExpectEachPublishedOnceOrVisible(*stub_, posts, absl::Seconds(30));
  EXPECT_EQ(outcome.published, kBurst);

  std::map<std::string, int> by_publisher;
  int early = 0;
  absl::Duration earliest = absl::ZeroDuration();  // the most a post went out before its time
  for (const std::string& name : posts) {
    const v1::Post post = Get(name);
    for (const publisher::SandboxCall& call : SandboxCallsFor(name))
      ++by_publisher[call.publisher_id];
    const auto it = seen.find(name);
    if (it == seen.end()) continue;
    const absl::Duration ahead = FromProto(post.publish_time()) - it->second;
    if (ahead > kSeenSlack) {
      ++early;
      earliest = std::max(earliest, ahead);
    }
  }
  std::cout << "found: calls at the sandbox by publisher-1: " << by_publisher["publisher-1"]
            << ", by publisher-2 (skewed): " << by_publisher["publisher-2"] << "\n";
  std::cout << "found: " << early << " of " << kBurst
            << " posts went out before their time by the real clock, the earliest "
            << Seconds(earliest) << " early\n";
  EXPECT_EQ(early, 0) << "a publisher whose clock runs ahead sent posts early";
  EXPECT_EQ(by_publisher["publisher-2"], 0) << "the skewed publisher dispatched";
  const std::optional<double> skewed =
      ScrapeSeries(publisher_2.http_port, "carecast_publisher_clock_skewed");
  const std::optional<double> offset =
      ScrapeSeries(publisher_2.http_port, "carecast_publisher_clock_offset_seconds");
  EXPECT_EQ(skewed, 1.0) << "the skewed publisher does not say so";
  std::cout << "found: publisher-2 reports carecast_publisher_clock_skewed " << skewed.value_or(-1)
            << ", carecast_publisher_clock_offset_seconds " << offset.value_or(0) << "\n";
}

// Publisher 2 (30 s ahead, its clock check turned off so that it claims at
// all) claims a post and is SIGKILLed right after the claim. Its claim carries
// its own clock's time, so publisher 1 must wait at least the lease before it
// takes the post over, and then send it once.
TEST_F(SkewFaultTest, AClaimOfTheSkewedPublisherIsNotTakenOverBeforeItsLease) {
  ServiceProcess publisher_2 = StartPublisher("publisher-2", /*skewed=*/true,
                                              {{"CARECAST_FAULT_AT", "publisher:after_claim"},
                                               {"CARECAST_PUBLISHER_MAX_CLOCK_SKEW", "0s"}});
  ASSERT_NE(publisher_2.process, nullptr);
  const std::vector<std::string> posts =
      ScheduleBurst(*stub_, 1, absl::Now() + absl::Seconds(2), kSpacing, "claimed");
  ASSERT_EQ(posts.size(), 1u);
  ASSERT_TRUE(ExpectKilledAt(publisher_2, "publisher:after_claim").ok());
  const absl::Time killed = absl::Now();
  const v1::Post claimed = Get(posts[0]);
  std::cout << "did: publisher-2 (" << absl::FormatDuration(kSkew)
            << " ahead) claimed the post and was SIGKILLed after the claim; the claim is stamped "
            << Seconds(FromProto(claimed.update_time()) - killed) << " after the real time\n";
  ASSERT_EQ(claimed.state(), v1::POST_STATE_PUBLISHING) << claimed.ShortDebugString();

  ServiceProcess publisher_1 = StartPublisher("publisher-1", /*skewed=*/false);
  ASSERT_NE(publisher_1.process, nullptr);
  std::cout << "did: started publisher-1 on the machine's clock\n";
  const std::map<std::string, absl::Time> seen =
      WatchFirstCalls(posts, kSkew + kLease + absl::Seconds(20));
  ASSERT_EQ(seen.count(posts[0]), 1u) << "publisher-1 never took the abandoned claim over";
  const absl::Duration waited = seen.at(posts[0]) - killed;
  std::cout << "found: publisher-1 sent the post " << Seconds(waited)
            << " after publisher-2 died (lease " << absl::FormatDuration(kLease) << ")\n";
  EXPECT_GE(waited, kLease) << "the skewed publisher's claim was taken over before its lease";
  const BurstOutcome outcome = ExpectEachPublishedOnceOrVisible(*stub_, posts, absl::Seconds(10));
  EXPECT_EQ(outcome.published, 1);
}

}  // namespace
}  // namespace carecast::testing
