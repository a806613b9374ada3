// The dispatch lookahead: a post due soon is claimed before its time, but the
// network is called at the due time and never before; a hold or an edit that
// lands while the claimed post waits still stops it; a stopping publisher gives
// its waiting claims back unsent.
#include <gtest/gtest.h>

#include "tests/unit/publisher/publisher_harness.h"

namespace carecast::publisher::testing {
namespace {

using carecast::v1::POST_STATE_FAILED;
using carecast::v1::POST_STATE_PUBLISHED;
using carecast::v1::POST_STATE_PUBLISHING;
using carecast::v1::POST_STATE_SCHEDULED;

class LookaheadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.use_system_clock_ = true;
    h_.clock_.Set(absl::Now());
  }
  // A running publisher that looks `lookahead` ahead.
  PublisherUnderTest& Start(absl::Duration lookahead) {
    PublisherOptions options = h_.DefaultOptions("pub-a", /*run_loop=*/true);
    options.lookahead = lookahead;
    options.dispatch_concurrency = 4;
    PublisherUnderTest& p = h_.Add(options);
    EXPECT_TRUE(p.publisher->Start().ok());
    return p;
  }
  // Waits until the post is claimed; false if it was not claimed by `due`.
  bool ClaimedBefore(const std::string& id, absl::Time due) {
    return PublisherHarness::WaitFor([&] { return h_.StateOf(id) == POST_STATE_PUBLISHING; },
                                     due - absl::Now()) &&
           absl::Now() < due;
  }

  PublisherHarness h_;
};

TEST_F(LookaheadTest, APostIsClaimedAheadButSentAtItsDueTimeNeverBefore) {
  PublisherUnderTest& p = Start(absl::Milliseconds(500));
  const absl::Time due = absl::Now() + absl::Milliseconds(800);
  h_.SchedulePost("p1", due);
  ASSERT_TRUE(ClaimedBefore("p1", due)) << "not claimed ahead of its due time";
  EXPECT_EQ(h_.channel_.publish_calls(), 0) << "sent while it was not yet due";
  ASSERT_TRUE(PublisherHarness::WaitFor([&] { return h_.StateOf("p1") == POST_STATE_PUBLISHED; },
                                        absl::Seconds(5)));
  p.publisher->Stop();
  const std::vector<absl::Time> calls = h_.channel_.CallTimes();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_GE(calls[0], due) << "the network was called " << absl::FormatDuration(due - calls[0])
                           << " early";
  EXPECT_EQ(h_.GetPost("p1").post.attempt(), 1);
}

TEST_F(LookaheadTest, AHoldThatBeginsWhileAClaimedPostWaitsReleasesItUnsent) {
  PublisherUnderTest& p = Start(absl::Milliseconds(500));
  const absl::Time due = absl::Now() + absl::Milliseconds(800);
  h_.SchedulePost("p1", due);
  ASSERT_TRUE(ClaimedBefore("p1", due));
  // The hold reaches KV only (its event is late): the check at the due time
  // must still see it.
  h_.SetHold(true, /*emit_event=*/false);
  absl::SleepFor(due - absl::Now() + absl::Milliseconds(300));
  EXPECT_EQ(h_.channel_.publish_calls(), 0) << "sent under a hold";
  EXPECT_EQ(h_.StateOf("p1"), POST_STATE_SCHEDULED) << "the claim was not released";
  h_.SetHold(false);
  EXPECT_TRUE(PublisherHarness::WaitFor([&] { return h_.StateOf("p1") == POST_STATE_PUBLISHED; },
                                        absl::Seconds(5)));
  p.publisher->Stop();
  EXPECT_EQ(h_.channel_.publish_calls(), 1);
}

TEST_F(LookaheadTest, AnEditWhileAClaimedPostWaitsIsNeverPublished) {
  PublisherUnderTest& p = Start(absl::Milliseconds(500));
  const absl::Time due = absl::Now() + absl::Milliseconds(800);
  h_.SchedulePost("p1", due);
  ASSERT_TRUE(ClaimedBefore("p1", due));
  h_.EditContent("c-p1");
  EXPECT_TRUE(PublisherHarness::WaitFor([&] { return h_.StateOf("p1") == POST_STATE_FAILED; },
                                        absl::Seconds(5)));
  p.publisher->Stop();
  EXPECT_EQ(h_.channel_.publish_calls(), 0) << "the old text went out";
}

TEST_F(LookaheadTest, StoppingGivesWaitingClaimsBackUnsent) {
  PublisherUnderTest& p = Start(absl::Seconds(5));
  const absl::Time due = absl::Now() + absl::Seconds(3);
  for (int i = 0; i < 5; ++i) h_.SchedulePost(absl::StrCat("p", i), due);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(ClaimedBefore(absl::StrCat("p", i), due)) << i;
  p.publisher->Stop();
  EXPECT_EQ(h_.channel_.publish_calls(), 0);
  for (int i = 0; i < 5; ++i) {
    const carecast::v1::Post post = h_.GetPost(absl::StrCat("p", i)).post;
    EXPECT_EQ(post.state(), POST_STATE_SCHEDULED) << i << ": left claimed";
    EXPECT_EQ(post.attempt(), 0) << i << ": a released claim costs no attempt";
  }
  // Another publisher takes them at their time, once each.
  PublisherOptions options = h_.DefaultOptions("pub-b", /*run_loop=*/true);
  PublisherUnderTest& q = h_.Add(options);
  ASSERT_TRUE(q.publisher->Start().ok());
  auto all_out = [&] {
    for (int i = 0; i < 5; ++i)
      if (h_.StateOf(absl::StrCat("p", i)) != POST_STATE_PUBLISHED) return false;
    return true;
  };
  EXPECT_TRUE(PublisherHarness::WaitFor(all_out, absl::Seconds(8)));
  q.publisher->Stop();
  EXPECT_EQ(h_.channel_.publish_calls(), 5);
}

TEST_F(LookaheadTest, ALookaheadOverATenthOfTheLeaseIsRefused) {
  PublisherOptions options = h_.DefaultOptions("pub-a", /*run_loop=*/false);
  options.lookahead = options.policy.claim_lease / 5;
  PublisherUnderTest parts;
  PublisherDeps deps{.bus = h_.bus_,
                     .posts = *h_.posts_,
                     .contents = *h_.contents_,
                     .control = *h_.control_,
                     .index = h_.index_,
                     .channels = h_.channels_,
                     .clock = h_.system_clock_,
                     .logger = parts.logger,
                     .metrics = parts.metrics,
                     .outbox = *h_.outbox_};
  absl::StatusOr<std::unique_ptr<Publisher>> created = Publisher::Create(options, deps);
  EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace carecast::publisher::testing
