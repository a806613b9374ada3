// The due index heals without its marker going missing: the due sweep puts back
// posts due within the horizon, the periodic reconciliation adds, re-scores and
// removes, both driven by the injected clock.
#include <gtest/gtest.h>

#include "services/publisher/publisher.h"
#include "services/publisher/publisher_config.h"
#include "tests/support/metric_values.h"
#include "tests/unit/publisher/publisher_harness.h"

namespace carecast::publisher::testing {
namespace {

using carecast::v1::POST_STATE_PUBLISHED;
using carecast::v1::POST_STATE_SCHEDULED;

constexpr double kInf = std::numeric_limits<double>::infinity();

class DueIndexHealingTest : public ::testing::Test {
 protected:
  PublisherUnderTest& Start() {
    PublisherOptions options = h_.DefaultOptions("pub-a", /*run_loop=*/false);
    options.due_sweep_period = absl::Seconds(10);
    options.due_sweep_horizon = absl::Seconds(60);
    options.index_reconcile_period = absl::Seconds(60);
    PublisherUnderTest& p = h_.Add(options);
    absl::Status s = p.publisher->Start();
    EXPECT_TRUE(s.ok()) << s;
    return p;
  }

  // What a DEL of the sorted set does: every member gone, the marker kept.
  void DeleteDueSet() {
    absl::StatusOr<std::vector<common::ScoredMember>> members =
        h_.index_.RangeByScore(kDueIndexName, -kInf, kInf, 0, 100000);
    ASSERT_TRUE(members.ok());
    for (const auto& m : *members) ASSERT_TRUE(h_.index_.Remove(kDueIndexName, m.member).ok());
    ASSERT_EQ(*h_.index_.Count(kDueIndexName, -kInf, kInf), 0);
    ASSERT_TRUE(*h_.index_.HasMarker(kDueIndexMarker));
  }

  int64_t DueMembers() { return *h_.index_.Count(kDueIndexName, -kInf, kInf); }

  static int LinesSaying(const common::CapturingLogger& logger, std::string_view message) {
    int n = 0;
    for (const auto& line : logger.lines())
      if (line.message == message) ++n;
    return n;
  }

  PublisherHarness h_;
};

TEST_F(DueIndexHealingTest, ASetDeletedBehindItsMarkerIsRefilledByTheDueSweepAndPostsGoOut) {
  PublisherUnderTest& p = Start();
  h_.SchedulePost("soon", h_.clock_.Now() + absl::Seconds(30));
  h_.SchedulePost("now", h_.clock_.Now() + absl::Seconds(5));
  ASSERT_TRUE(h_.Drain());
  ASSERT_EQ(DueMembers(), 2);
  DeleteDueSet();

  // Within one sweep period both are back in the index, before they are due.
  h_.clock_.Advance(absl::Seconds(10));
  CycleStats stats = p.publisher->RunCycle();
  EXPECT_TRUE(stats.swept);
  EXPECT_FALSE(stats.rebuilt);  // the marker never went missing
  EXPECT_EQ(DueMembers(), 2);
  EXPECT_EQ(MetricValue(p.registry, "carecast_index_repairs_total",
                        {{"index", "publisher_due"}, {"kind", "added"}}),
            2);
  EXPECT_EQ(LinesSaying(p.logger, "index reconciled with KV: repairs made"), 1);

  stats = p.publisher->RunCycle();
  EXPECT_EQ(stats.published, 1);  // "now" was due at +5s
  h_.clock_.Advance(absl::Seconds(20));
  stats = p.publisher->RunCycle();
  EXPECT_EQ(stats.published, 1);
  EXPECT_EQ(h_.StateOf("soon"), POST_STATE_PUBLISHED);
  EXPECT_EQ(h_.StateOf("now"), POST_STATE_PUBLISHED);
  EXPECT_EQ(h_.channel_.delivery_count(), 2u);
}

TEST_F(DueIndexHealingTest, APostWhoseEventNeverArrivedIsFoundByTheSweep) {
  PublisherUnderTest& p = Start();
  h_.SchedulePost("silent", h_.clock_.Now() + absl::Seconds(1), carecast::v1::NETWORK_SANDBOX,
                  /*emit_event=*/false);
  h_.clock_.Advance(absl::Seconds(9));
  EXPECT_FALSE(p.publisher->RunCycle().swept);  // not yet a period
  EXPECT_EQ(h_.StateOf("silent"), POST_STATE_SCHEDULED);
  h_.clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(p.publisher->RunCycle().swept);
  EXPECT_EQ(p.publisher->RunCycle().published, 1);
  EXPECT_EQ(h_.StateOf("silent"), POST_STATE_PUBLISHED);
}

TEST_F(DueIndexHealingTest, TheSweepLeavesPostsBeyondItsHorizonToLaterSweeps) {
  PublisherUnderTest& p = Start();
  h_.SchedulePost("far", h_.clock_.Now() + absl::Minutes(10), carecast::v1::NETWORK_SANDBOX,
                  /*emit_event=*/false);
  h_.clock_.Advance(absl::Seconds(10));
  EXPECT_TRUE(p.publisher->RunCycle().swept);
  EXPECT_EQ(DueMembers(), 0);
  // Still ahead of its due time, a later pass (reconciliation here) puts it back.
  h_.clock_.Advance(absl::Seconds(50));
  EXPECT_TRUE(p.publisher->RunCycle().reconciled);
  EXPECT_EQ(DueMembers(), 1);
}

TEST_F(DueIndexHealingTest, ReconciliationRemovesMembersKvDoesNotHaveAndFixesLateScores) {
  PublisherUnderTest& p = Start();
  h_.SchedulePost("p1", h_.clock_.Now() + absl::Minutes(30));
  ASSERT_TRUE(h_.Drain());
  // A ghost (no such post, not yet due so dispatch does not meet it) and p1
  // scored a day late (a lost write).
  ASSERT_TRUE(h_.index_
                  .Add(kDueIndexName, {{"ghost", ScoreOf(h_.clock_.Now() + absl::Minutes(45))},
                                       {"p1", ScoreOf(h_.clock_.Now() + absl::Hours(24))}})
                  .ok());
  h_.clock_.Advance(absl::Seconds(10));
  EXPECT_TRUE(p.publisher->RunCycle().swept);  // a sweep never removes
  h_.clock_.Advance(absl::Seconds(50));
  CycleStats stats = p.publisher->RunCycle();
  EXPECT_TRUE(stats.reconciled);
  auto members = h_.index_.RangeByScore(kDueIndexName, -kInf, kInf, 0, 10);
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ((*members)[0].member, "p1");
  EXPECT_EQ(TimeOfScore((*members)[0].score), ToTime(h_.GetPost("p1").post.publish_time()));
  EXPECT_EQ(MetricValue(p.registry, "carecast_index_repairs_total",
                        {{"index", "publisher_due"}, {"kind", "removed"}}),
            1);
  EXPECT_EQ(MetricValue(p.registry, "carecast_index_repairs_total",
                        {{"index", "publisher_due"}, {"kind", "fixed"}}),
            1);
}

TEST_F(DueIndexHealingTest, StartChecksTheIndexEvenWhenItsMarkerIsThere) {
  ASSERT_TRUE(h_.index_.SetMarker(kDueIndexMarker).ok());
  h_.SchedulePost("p1", h_.clock_.Now(), carecast::v1::NETWORK_SANDBOX, /*emit_event=*/false);
  PublisherUnderTest& p = Start();
  EXPECT_EQ(DueMembers(), 1);
  EXPECT_EQ(p.publisher->RunCycle().published, 1);
}

TEST_F(DueIndexHealingTest, SeriesExistAtZeroFromTheStart) {
  PublisherUnderTest& p = Start();
  for (std::string_view kind : {"added", "fixed", "removed"}) {
    EXPECT_EQ(
        carecast::testing::SeriesValue(p.registry, "carecast_index_repairs_total",
                                       {{"index", "publisher_due"}, {"kind", std::string(kind)}}),
        0.0);
  }
}

TEST(DueSweepConfigTest, DefaultsAndBounds) {
  std::map<std::string, std::string, std::less<>> vars = {
      {"CARECAST_NATS_URL", "nats://127.0.0.1:4222"},
      {"CARECAST_REDIS_URL", "redis://127.0.0.1:6379"},
      {"CARECAST_JWT_PUBLIC_KEY_FILE", "/tmp/key.pem"}};
  absl::StatusOr<PublisherConfig> config = ReadPublisherConfig(common::MapEnv(vars));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->due_sweep_period, absl::Seconds(10));
  EXPECT_EQ(config->due_sweep_horizon, absl::Seconds(60));
  EXPECT_EQ(config->common.index_reconcile_period, absl::Seconds(60));

  vars["CARECAST_DUE_SWEEP_PERIOD"] = "30s";
  vars["CARECAST_DUE_SWEEP_HORIZON"] = "20s";
  vars["CARECAST_INDEX_RECONCILE_PERIOD"] = "0s";
  config = ReadPublisherConfig(common::MapEnv(vars));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("CARECAST_DUE_SWEEP_HORIZON"), std::string::npos);
  EXPECT_NE(config.status().message().find("CARECAST_INDEX_RECONCILE_PERIOD"), std::string::npos);

  vars["CARECAST_DUE_SWEEP_HORIZON"] = "2m";
  vars["CARECAST_INDEX_RECONCILE_PERIOD"] = "5m";
  config = ReadPublisherConfig(common::MapEnv(vars));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->due_sweep_period, absl::Seconds(30));
  EXPECT_EQ(config->due_sweep_horizon, absl::Minutes(2));
  EXPECT_EQ(config->common.index_reconcile_period, absl::Minutes(5));
}

}  // namespace
}  // namespace carecast::publisher::testing
