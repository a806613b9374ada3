#include "services/metrics/event_ingest.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "services/common/base/logger.h"
#include "services/common/bus/topology.h"
#include "services/common/rpc/metrics_text.h"
#include "tests/support/fake_event_bus.h"
#include "tests/unit/metrics/metrics_test_events.h"

namespace carecast::metrics {
namespace {

using test_events::Envelope;
using test_events::Inbox;
using test_events::Mention;
using test_events::Objective;
using test_events::Published;
using test_events::T0;

constexpr char kAccount[] = "spokes/stmarys/accounts/x-main";
constexpr absl::Duration kDeadline = absl::Seconds(10);

// Polls `done` until it holds or the deadline passes.
template <class Pred>
bool Eventually(Pred done) {
  absl::Time until = absl::Now() + kDeadline;
  while (absl::Now() < until) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return done();
}

// One metrics process: its own registry, figures and ingest over a shared bus.
struct Instance {
  explicit Instance(common::EventBus& bus, int64_t progress_every = 1000)
      : figures(&exposition),
        ingest(EventIngest::Create(EventIngestOptions{.progress_every = progress_every,
                                                      .poll_interval = absl::Milliseconds(10)},
                                   {bus, figures, exposition, logger})
                   .value()) {}
  bool Has(const std::string& message) const {
    for (const auto& line : logger.lines())
      if (line.message == message) return true;
    return false;
  }
  prometheus::Registry registry;
  common::SeriesTable series;
  MetricsExposition exposition{registry, series};
  common::CapturingLogger logger;
  ProgramFigures figures;
  std::unique_ptr<EventIngest> ingest;
};

class EventIngestTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(common::EnsureStreams(bus_, {}).ok()); }
  void Publish(const common::Event& e) { ASSERT_TRUE(bus_.Publish(e).ok()); }
  void PublishStory() {
    Publish(Envelope(
        common::subjects::kObjectiveCreated,
        Objective("objectives/launch", v1::KPI_POSTS_PUBLISHED, 2, T0(), T0() + absl::Hours(24)),
        "ev-objective"));
    Publish(Envelope(common::subjects::kContentCreated, v1::ContentChanged(), "ev-content"));
    Publish(Envelope(common::subjects::kPostPublished,
                     Published("posts/1", kAccount, v1::NETWORK_SANDBOX, T0() + absl::Hours(1)),
                     "ev-post-1"));
    // The same fact published again under another id (a publisher retry that lost its id).
    Publish(Envelope(common::subjects::kPostPublished,
                     Published("posts/1", kAccount, v1::NETWORK_SANDBOX, T0() + absl::Hours(1)),
                     "ev-post-1-retry"));
    Publish(Envelope(common::subjects::kMentionClassified,
                     Mention("mentions/1", v1::NETWORK_X, v1::SENTIMENT_POSITIVE, T0()),
                     "ev-mention-1"));
    Publish(Envelope(common::subjects::kInboxCreated,
                     Inbox("inboxItems/1", v1::INBOX_ITEM_STATE_OPEN, T0()), "ev-inbox-1"));
  }

  testing::FakeEventBus bus_;
};

TEST_F(EventIngestTest, ReplaysTheStreamThenFollowsLiveEvents) {
  PublishStory();
  Instance m(bus_);
  ASSERT_TRUE(m.ingest->Start().ok());
  ASSERT_TRUE(m.ingest->WaitCaughtUp(kDeadline));
  EXPECT_TRUE(m.Has("replay complete"));
  SummaryFigures s = m.figures.Summary();
  EXPECT_EQ(s.posts_published[v1::NETWORK_SANDBOX], 1);
  EXPECT_EQ(s.mentions[v1::SENTIMENT_POSITIVE], 1);
  EXPECT_EQ(s.open_inbox_items, 1);
  EXPECT_DOUBLE_EQ(m.figures.Objective("objectives/launch")->current, 1);
  EXPECT_EQ(m.ingest->events_handled(), 6);  // the content event is acked and ignored

  // Live: a second post and the inbox item's close.
  Publish(Envelope(common::subjects::kPostPublished,
                   Published("posts/2", kAccount, v1::NETWORK_SANDBOX, T0() + absl::Hours(2)),
                   "ev-post-2"));
  Publish(
      Envelope(common::subjects::kInboxClosed,
               Inbox("inboxItems/1", v1::INBOX_ITEM_STATE_CLOSED, T0(), T0() + absl::Minutes(3)),
               "ev-inbox-1-closed"));
  ASSERT_TRUE(Eventually([&] { return m.figures.Summary().open_inbox_items == 0; }));
  EXPECT_DOUBLE_EQ(m.figures.Objective("objectives/launch")->ratio, 1.0);
  EXPECT_TRUE(bus_.WaitUntilDrained(kDeadline));
  EXPECT_TRUE(Eventually([&] {
    std::string text = common::ScrapeText(m.registry, &m.series);
    return absl::StrContains(text, "carecast_metrics_consumer_pending 0") &&
           absl::StrContains(text, "carecast_metrics_events_consumed_total{domain=\"content\"} 1");
  }));
}

TEST_F(EventIngestTest, ConsumesEngagementFollowersAndFirstResponses) {
  Publish(Envelope(common::subjects::kObjectiveCreated,
                   Objective("objectives/reach", v1::KPI_REACH, 100, T0(), T0() + absl::Hours(24)),
                   "ev-obj-reach"));
  Publish(Envelope(
      common::subjects::kObjectiveCreated,
      Objective("objectives/growth", v1::KPI_FOLLOWER_GROWTH, 10, T0(), T0() + absl::Hours(24)),
      "ev-obj-growth"));
  Publish(Envelope(common::subjects::kObjectiveCreated,
                   Objective("objectives/answer", v1::KPI_INBOX_FIRST_RESPONSE_SECONDS, 600, T0(),
                             T0() + absl::Hours(24)),
                   "ev-obj-answer"));
  v1::EngagementObserved reading;
  reading.set_post("posts/1");
  reading.set_account(kAccount);
  reading.set_network(v1::NETWORK_X);
  *reading.mutable_published_time() = ToProto(T0() + absl::Hours(1));
  *reading.mutable_observe_time() = ToProto(T0() + absl::Hours(2));
  reading.set_impressions(40);
  reading.set_likes(-1);
  reading.set_shares(-1);
  reading.set_replies(-1);
  reading.set_clicks(-1);
  Publish(Envelope(common::subjects::kEngagementObserved, reading, "ev-eng-1"));
  for (int i = 0; i < 2; ++i) {
    v1::FollowersObserved count;
    count.set_account(kAccount);
    count.set_network(v1::NETWORK_X);
    *count.mutable_observe_time() = ToProto(T0() + absl::Hours(1 + i));
    count.set_followers(100 + 7 * i);
    Publish(Envelope(common::subjects::kFollowersObserved, count, absl::StrCat("ev-fol-", i)));
  }
  v1::InboxItemChanged waiting = Inbox("inboxItems/9", v1::INBOX_ITEM_STATE_WAITING, T0());
  *waiting.mutable_inbox_item()->mutable_first_response_time() = ToProto(T0() + absl::Minutes(4));
  Publish(Envelope(common::subjects::kInboxWaiting, waiting, "ev-inbox-9-waiting"));
  Instance m(bus_);
  ASSERT_TRUE(m.ingest->Start().ok());
  ASSERT_TRUE(m.ingest->WaitCaughtUp(kDeadline));
  EXPECT_DOUBLE_EQ(m.figures.Objective("objectives/reach")->current, 40);
  EXPECT_DOUBLE_EQ(m.figures.Objective("objectives/growth")->current, 7);
  EXPECT_DOUBLE_EQ(m.figures.Objective("objectives/answer")->current, 240);
  EXPECT_DOUBLE_EQ(m.figures.Objective("objectives/answer")->ratio, 2.5);  // 600 / 240
}

TEST_F(EventIngestTest, AFreshInstanceRebuildsTheSameFigures) {
  PublishStory();
  Instance first(bus_);
  ASSERT_TRUE(first.ingest->Start().ok());
  ASSERT_TRUE(first.ingest->WaitCaughtUp(kDeadline));
  first.ingest->Stop();

  Instance second(bus_);
  ASSERT_TRUE(second.ingest->Start().ok());
  ASSERT_TRUE(second.ingest->WaitCaughtUp(kDeadline));
  SummaryFigures a = first.figures.Summary();
  SummaryFigures b = second.figures.Summary();
  EXPECT_EQ(a.posts_published, b.posts_published);
  EXPECT_EQ(a.posts_failed, b.posts_failed);
  EXPECT_EQ(a.posts_needing_human, b.posts_needing_human);
  EXPECT_EQ(a.mentions, b.mentions);
  EXPECT_EQ(a.open_inbox_items, b.open_inbox_items);
  EXPECT_EQ(a.events_applied, b.events_applied);
  ASSERT_EQ(a.objectives.size(), 1u);
  ASSERT_EQ(b.objectives.size(), 1u);
  EXPECT_DOUBLE_EQ(a.objectives[0].current, b.objectives[0].current);
  EXPECT_EQ(common::ScrapeText(first.registry, &first.series).size() > 0, true);
}

TEST_F(EventIngestTest, APersonsCancellationOfANeedsHumanPostLowersTheFigure) {
  v1::PostFailed needs_human;
  needs_human.mutable_post()->set_name("posts/9");
  needs_human.mutable_post()->set_network(v1::NETWORK_X);
  needs_human.mutable_post()->set_state(v1::POST_STATE_NEEDS_HUMAN);
  *needs_human.mutable_post()->mutable_update_time() = ToProto(T0());
  Publish(Envelope(common::subjects::kPostFailed, needs_human, "ev-nh-9"));
  Instance m(bus_);
  ASSERT_TRUE(m.ingest->Start().ok());
  ASSERT_TRUE(m.ingest->WaitCaughtUp(kDeadline));
  EXPECT_EQ(m.figures.Summary().posts_needing_human[v1::NETWORK_X], 1);

  v1::PostChanged cancelled;
  *cancelled.mutable_post() = needs_human.post();
  cancelled.mutable_post()->set_state(v1::POST_STATE_CANCELLED);
  *cancelled.mutable_post()->mutable_update_time() = ToProto(T0() + absl::Minutes(10));
  cancelled.set_actor("paula");
  Publish(Envelope(common::subjects::kPostCancelled, cancelled, "ev-cancel-9"));
  EXPECT_TRUE(Eventually([&] { return m.figures.Summary().posts_needing_human.empty(); }));
  EXPECT_TRUE(Eventually([&] {
    std::string text = common::ScrapeText(m.registry, &m.series);
    return absl::StrContains(text, "carecast_posts_needing_human{network=\"x\"} 0");
  }));
}

TEST_F(EventIngestTest, UndecodablePayloadsAreRejectedAndCounted) {
  common::Event garbage =
      Envelope(common::subjects::kPostPublished, v1::PostPublished(), "ev-garbage");
  garbage.data = "\xff\xff\xff not a protobuf";
  Publish(garbage);
  // Right subject, wrong message.
  Publish(Envelope(common::subjects::kMentionClassified, v1::PostPublished(), "ev-wrong-schema"));
  Publish(Envelope(common::subjects::kPostPublished,
                   Published("posts/1", kAccount, v1::NETWORK_X, T0()), "ev-good"));
  Instance m(bus_);
  ASSERT_TRUE(m.ingest->Start().ok());
  ASSERT_TRUE(m.ingest->WaitCaughtUp(kDeadline));
  EXPECT_EQ(m.ingest->events_rejected(), 2);
  EXPECT_EQ(m.figures.Summary().posts_published[v1::NETWORK_X], 1);
  std::string text = common::ScrapeText(m.registry, &m.series);
  EXPECT_TRUE(absl::StrContains(text, "carecast_metrics_events_rejected_total 2")) << text;
  bool logged = false;
  for (const auto& line : m.logger.lines()) {
    if (line.message != "event rejected") continue;
    logged = true;
    for (const auto& [key, value] : line.fields) EXPECT_NE(key, "data");
  }
  EXPECT_TRUE(logged);
}

TEST_F(EventIngestTest, LogsReplayProgress) {
  for (int i = 0; i < 5; ++i)
    Publish(Envelope(
        common::subjects::kMentionClassified,
        Mention("mentions/" + std::to_string(i), v1::NETWORK_X, v1::SENTIMENT_NEUTRAL, T0()),
        "ev-" + std::to_string(i)));
  Instance m(bus_, /*progress_every=*/2);
  ASSERT_TRUE(m.ingest->Start().ok());
  ASSERT_TRUE(m.ingest->WaitCaughtUp(kDeadline));
  int progress = 0;
  for (const auto& line : m.logger.lines())
    if (line.message == "replay progress") ++progress;
  // Lines at 2 and 4 events, unless the poller declared the replay complete first.
  EXPECT_GE(progress, 1);
  EXPECT_LE(progress, 2);
  EXPECT_TRUE(m.Has("replay started"));
  EXPECT_TRUE(m.Has("replay complete"));
}

TEST_F(EventIngestTest, EmptyStreamIsCaughtUpAtOnce) {
  Instance m(bus_);
  bool called = false;
  auto ingest =
      EventIngest::Create(EventIngestOptions{.poll_interval = absl::Milliseconds(10),
                                             .on_caught_up = [&called] { called = true; }},
                          {bus_, m.figures, m.exposition, m.logger});
  ASSERT_TRUE(ingest.ok()) << ingest.status();
  ASSERT_TRUE((*ingest)->Start().ok());
  ASSERT_TRUE((*ingest)->WaitCaughtUp(kDeadline));
  (*ingest)->Stop();
  EXPECT_TRUE(called);
}

TEST_F(EventIngestTest, StartFailsWithoutTheStream) {
  testing::FakeEventBus empty;
  Instance m(empty);
  EXPECT_FALSE(m.ingest->Start().ok());
}

}  // namespace
}  // namespace carecast::metrics
