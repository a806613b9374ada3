// F4 of the fault matrix (docs/reliability.md): Redis, which only caches (the
// publisher's due index, the planner's calendar, rate-limit budgets) over the
// JetStream KV record, lost three ways while a burst of posts falls due and a
// held spoke's posts wait: redis-server SIGKILLed and restarted empty on its
// port, wiped with FLUSHALL, and evicting keys under a small maxmemory. A user
// must see every due post published with exactly one call at the sandbox (or
// visibly NEEDS_HUMAN or FAILED), none lost, the held posts still held and
// sent once when the hold is lifted, and the services serving afterwards; the
// due index must hold the waiting posts again.
#include <algorithm>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include <gtest/gtest.h>

#include "carecast/v1/planner_service.grpc.pb.h"

#include "services/publisher/due_index.h"
#include "tests/fault/fault_test.h"

namespace carecast::testing {
namespace {

constexpr int kBurst = 12;
constexpr int kHeld = 3;
constexpr absl::Duration kSpacing = absl::Milliseconds(300);
constexpr char kHeldSpoke[] = "spokes/st-lukes";
constexpr char kHeldAccount[] = "spokes/st-lukes/accounts/sandbox-main";
// The Redis keys of the publisher's due index and of its marker: every
// service's RedisSortedIndex namespaces keys with "carecast:"
// (services/common/startup/service_host.cc), indexes under "idx:" and markers
// under "marker:" (services/common/redis/redis_sorted_index.h).
std::string DueIndexKey() {
  return absl::StrCat("carecast:idx:", std::string(publisher::kDueIndexName));
}
std::string DueMarkerKey() {
  return absl::StrCat("carecast:marker:", std::string(publisher::kDueIndexMarker));
}

class RedisFaultTest : public FaultTest {
 protected:
  void SetUp() override {
    FaultTest::SetUp();
    if (HasFatalFailure()) return;
    auto planner = Start(kPlannerBinary);
    ASSERT_TRUE(planner.ok()) << planner.status();
    planner_ = *std::move(planner);
    stub_ = v1::PlannerService::NewStub(ChannelTo(planner_));
    ASSERT_TRUE(CreateSandboxAccount(*stub_).ok());
    absl::Status lukes = CreateSpokeWithSandboxAccount(*stub_, "st-lukes", "St Luke Clinic");
    ASSERT_TRUE(lukes.ok()) << lukes;
    auto publisher = Start(kPublisherBinary, {{"CARECAST_PUBLISHER_ID", "publisher-1"},
                                              {"CARECAST_PUBLISHER_CLAIM_LEASE", "5s"}});
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    publisher_ = *std::move(publisher);
  }

  // The reply of one Redis command, or "" (the failure recorded) when none came.
  std::string Redis(const std::vector<std::string>& words) {
    absl::StatusOr<std::string> reply = redis_server_->Command(words);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *reply : "";
  }
  bool RedisHas(std::string_view key) {
    return absl::StartsWith(Redis({"EXISTS", std::string(key)}), ":1");
  }
  // Whether the due index holds `post` (its id, the name without "posts/").
  bool DueIndexHolds(const std::string& post) {
    const std::string id(absl::StripPrefix(post, "posts/"));
    const std::string score = Redis({"ZSCORE", DueIndexKey(), id});
    return absl::StartsWith(score, "$") && !absl::StartsWith(score, "$-1");
  }

  // A person holds (or resumes) the held spoke, retrying while a call fails.
  void SetSpokeHeld(bool held) {
    grpc::Status status;
    PollUntil(
        [&] {
          if (held) {
            v1::HoldPublishingRequest request;
            request.set_reason("drill: the clinic's review");
            request.set_request_id("drill-hold-lukes");
            request.set_spoke(kHeldSpoke);
            v1::HoldPublishingResponse response;
            status = stub_->HoldPublishing(Context(sam_).get(), request, &response);
          } else {
            v1::ResumePublishingRequest request;
            request.set_request_id("drill-resume-lukes");
            request.set_spoke(kHeldSpoke);
            v1::ResumePublishingResponse response;
            status = stub_->ResumePublishing(Context(sam_).get(), request, &response);
          }
          return status.ok();
        },
        absl::Seconds(20));
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // The story around `fault`: the held spoke's posts and a burst on the other
  // spoke scheduled to fall due together, `fault` run once the first post of
  // the burst is out, then what a user sees.
  void RunBurstThrough(const std::function<void()>& fault) {
    ASSERT_NO_FATAL_FAILURE(SetSpokeHeld(true));
    const absl::Time first = absl::Now() + absl::Seconds(3);
    const std::vector<std::string> held =
        ScheduleBurst(*stub_, kHeld, first, kSpacing, "held", kHeldAccount);
    ASSERT_EQ(held.size(), static_cast<size_t>(kHeld));
    const std::vector<std::string> posts = ScheduleBurst(*stub_, kBurst, first, kSpacing);
    ASSERT_EQ(posts.size(), static_cast<size_t>(kBurst));
    std::cout << "did: held " << kHeldSpoke << " and scheduled " << kHeld << " posts on it and "
              << kBurst << " on spokes/st-marys, one due every " << absl::FormatDuration(kSpacing)
              << "\n";
    ASSERT_EQ(WaitForPostState(*stub_, posts.front(), v1::POST_STATE_PUBLISHED, absl::Seconds(15))
                  .state(),
              v1::POST_STATE_PUBLISHED);
    ASSERT_NO_FATAL_FAILURE(fault());

    const BurstOutcome outcome = ExpectEachPublishedOnceOrVisible(*stub_, posts, absl::Seconds(60));
    EXPECT_EQ(outcome.lost, 0);
    ExpectHeldAndIndexed(held);

    ASSERT_NO_FATAL_FAILURE(SetSpokeHeld(false));
    std::cout << "did: resumed " << kHeldSpoke << "\n";
    const BurstOutcome resumed = ExpectEachPublishedOnceOrVisible(*stub_, held, absl::Seconds(30));
    EXPECT_EQ(resumed.published, kHeld) << "held posts lost";
    ExpectAPostScheduledNowGoesOut(*stub_);
  }

  // The held posts are still SCHEDULED with no call at the sandbox, and the due
  // index holds each again (within a due sweep period and a little).
  void ExpectHeldAndIndexed(const std::vector<std::string>& held) {
    int sent = 0;
    int scheduled = 0;
    for (const std::string& post : held) {
      sent += static_cast<int>(SandboxCallsFor(post).size());
      const v1::Post seen =
          WaitForPostState(*stub_, post, v1::POST_STATE_SCHEDULED, absl::Seconds(5));
      EXPECT_EQ(seen.state(), v1::POST_STATE_SCHEDULED) << post << ": " << seen.ShortDebugString();
      if (seen.state() == v1::POST_STATE_SCHEDULED) ++scheduled;
    }
    EXPECT_EQ(sent, 0) << "a held post was sent";
    std::cout << "found: " << scheduled << " of " << held.size() << " held posts still SCHEDULED, "
              << sent << " calls at the sandbox for them\n";
    const absl::Time asked = absl::Now();
    const bool indexed = PollUntil(
        [&] {
          for (const std::string& post : held)
            if (!DueIndexHolds(post)) return false;
          return true;
        },
        absl::Seconds(20));
    EXPECT_TRUE(indexed) << "the due index did not heal: held posts missing from it";
    std::cout << "found: the due index "
              << (indexed ? "holds every held post" : "still lacks held posts") << " ("
              << absl::FormatDuration(absl::Trunc(absl::Now() - asked, absl::Milliseconds(100)))
              << " after the check began), its marker "
              << (RedisHas(DueMarkerKey()) ? "set" : "missing") << "\n";
  }

  ServiceProcess planner_;
  ServiceProcess publisher_;
  std::unique_ptr<v1::PlannerService::Stub> stub_;
};

TEST_F(RedisFaultTest, RedisKilledAndRestartedEmptyDuringABurstLosesNothing) {
  RunBurstThrough([&] {
    redis_server_->Kill();
    std::cout << "did: SIGKILLed redis-server with the burst falling due\n";
    absl::SleepFor(absl::Seconds(3));
    absl::Status up = redis_server_->Restart();
    ASSERT_TRUE(up.ok()) << up;
    std::cout << "did: restarted redis-server, empty, on the same port after 3s\n";
  });
}

TEST_F(RedisFaultTest, RedisWipedDuringABurstLosesNothing) {
  RunBurstThrough([&] {
    absl::Status wiped = redis_server_->FlushAll();
    ASSERT_TRUE(wiped.ok()) << wiped;
    std::cout << "did: FLUSHALL with the burst falling due\n";
  });
}

// What eviction does to the one key that matters most, made certain: the due
// index's sorted set gone while its marker stays, so nothing says "rebuild"
// (the old hole: indexes healed only when their marker was missing).
TEST_F(RedisFaultTest, TheDueIndexEvictedBehindItsMarkerHealsAndLosesNothing) {
  RunBurstThrough([&] {
    ASSERT_TRUE(RedisHas(DueMarkerKey()));
    ASSERT_TRUE(absl::StartsWith(Redis({"DEL", DueIndexKey()}), ":1"));
    std::cout << "did: deleted the due index's sorted set alone, its marker left set, with the "
                 "burst falling due\n";
  });
}

// Redis at its memory limit evicts keys at random: the service's own (the due
// index, its marker, the calendar) as readily as the filler a noisy neighbour
// writes.
class RedisEvictionFaultTest : public RedisFaultTest {
 protected:
  std::vector<std::string> RedisArgs() const override {
    return {"--maxmemory", "4mb", "--maxmemory-policy", "allkeys-random"};
  }

  int64_t EvictedKeys() {
    const std::string info = Redis({"INFO", "stats"});
    for (absl::string_view line : absl::StrSplit(info, "\r\n")) {
      int64_t n = 0;
      if (absl::ConsumePrefix(&line, "evicted_keys:") && absl::SimpleAtoi(line, &n)) return n;
    }
    return -1;
  }
};

TEST_F(RedisEvictionFaultTest, RedisEvictingUnderMaxmemoryDuringABurstLosesNothing) {
  RunBurstThrough([&] {
    // Rounds of 2 MB of filler until the due index itself has been seen
    // evicted (the held posts keep it non-empty, so a missing key is an
    // eviction), then one more second of pressure.
    const std::string value(size_t{100} * 1024, 'x');  // 100 KiB a key
    int rounds = 0;
    int index_gone = 0;
    int marker_survived = 0;
    absl::Time stop = absl::InfiniteFuture();
    const absl::Time give_up = absl::Now() + absl::Seconds(15);
    while (absl::Now() < std::min(stop, give_up)) {
      std::vector<std::string> mset = {"MSET"};
      for (int i = 0; i < 20; ++i) {
        mset.push_back(absl::StrCat("filler:", rounds, ":", i));
        mset.push_back(value);
      }
      ASSERT_TRUE(absl::StartsWith(Redis(mset), "+OK"));
      ++rounds;
      if (!RedisHas(DueIndexKey())) {
        ++index_gone;
        if (RedisHas(DueMarkerKey())) ++marker_survived;
        if (stop == absl::InfiniteFuture()) stop = absl::Now() + absl::Seconds(1);
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    std::cout << "did: wrote " << rounds << " rounds of 2 MB of filler into a redis-server "
              << "limited to 4 MB (allkeys-random) with the burst falling due\n";
    std::cout << "found: " << EvictedKeys() << " keys evicted; the due index found evicted "
              << index_gone << " times, its marker surviving " << marker_survived << " of them\n";
    EXPECT_GT(index_gone, 0) << "the due index was never evicted: the test shows nothing";
  });
}

}  // namespace
}  // namespace carecast::testing
