#include "services/metrics/program_figures.h"

#include <map>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "tests/unit/metrics/metrics_test_events.h"

namespace carecast::metrics {
namespace {

using test_events::Failed;
using test_events::Inbox;
using test_events::Mention;
using test_events::Objective;
using test_events::Published;
using test_events::T0;

constexpr char kStMarysX[] = "spokes/stmarys/accounts/x-main";
constexpr char kStMarysFb[] = "spokes/stmarys/accounts/fb-main";
constexpr char kClinicX[] = "spokes/clinic/accounts/x-clinic";

TEST(ProgramFiguresTest, CountsASequenceOfEvents) {
  ProgramFigures f;
  ASSERT_TRUE(
      f.ApplyPostPublished("e1", T0(), Published("posts/p1", kStMarysX, v1::NETWORK_X, T0())).ok());
  ASSERT_TRUE(
      f.ApplyPostPublished("e2", T0(), Published("posts/p2", kStMarysX, v1::NETWORK_X, T0())).ok());
  ASSERT_TRUE(f.ApplyPostPublished("e3", T0(),
                                   Published("posts/p3", kStMarysFb, v1::NETWORK_FACEBOOK, T0()))
                  .ok());
  ASSERT_TRUE(
      f.ApplyPostFailed("e4", T0(), Failed("posts/p4", v1::NETWORK_X, v1::POST_STATE_FAILED)).ok());
  ASSERT_TRUE(
      f.ApplyPostFailed("e5", T0(), Failed("posts/p5", v1::NETWORK_X, v1::POST_STATE_NEEDS_HUMAN))
          .ok());
  ASSERT_TRUE(f.ApplyMentionClassified(
                   "e6", T0(), Mention("mentions/m1", v1::NETWORK_X, v1::SENTIMENT_POSITIVE, T0()))
                  .ok());
  ASSERT_TRUE(f.ApplyMentionClassified(
                   "e7", T0(), Mention("mentions/m2", v1::NETWORK_X, v1::SENTIMENT_NEGATIVE, T0()))
                  .ok());
  ASSERT_TRUE(
      f.ApplyInboxCreated("e8", T0(), Inbox("inboxItems/i1", v1::INBOX_ITEM_STATE_OPEN, T0()))
          .ok());

  SummaryFigures s = f.Summary();
  EXPECT_EQ(s.posts_published[v1::NETWORK_X], 2);
  EXPECT_EQ(s.posts_published[v1::NETWORK_FACEBOOK], 1);
  EXPECT_EQ((s.posts_failed[{v1::NETWORK_X, v1::POST_STATE_FAILED}]), 1);
  EXPECT_EQ((s.posts_failed[{v1::NETWORK_X, v1::POST_STATE_NEEDS_HUMAN}]), 1);
  EXPECT_EQ(s.mentions[v1::SENTIMENT_POSITIVE], 1);
  EXPECT_EQ(s.mentions[v1::SENTIMENT_NEGATIVE], 1);
  EXPECT_EQ(s.open_inbox_items, 1);
  EXPECT_EQ(s.closed_inbox_items, 0);
  EXPECT_EQ(s.events_applied, 8);
}

TEST(ProgramFiguresTest, DuplicateDeliveryCountsOnce) {
  ProgramFigures f;
  auto post = Published("posts/p1", kStMarysX, v1::NETWORK_X, T0());
  EXPECT_EQ(*f.ApplyPostPublished("e1", T0(), post), ApplyResult::kApplied);
  // The same event redelivered.
  EXPECT_EQ(*f.ApplyPostPublished("e1", T0(), post), ApplyResult::kDuplicate);
  // The same fact re-published under another event id.
  EXPECT_EQ(*f.ApplyPostPublished("e1-again", T0(), post), ApplyResult::kDuplicate);
  auto mention = Mention("mentions/m1", v1::NETWORK_X, v1::SENTIMENT_POSITIVE, T0());
  EXPECT_EQ(*f.ApplyMentionClassified("e2", T0(), mention), ApplyResult::kApplied);
  EXPECT_EQ(*f.ApplyMentionClassified("e2", T0(), mention), ApplyResult::kDuplicate);
  auto failed = Failed("posts/p9", v1::NETWORK_X, v1::POST_STATE_FAILED);
  EXPECT_EQ(*f.ApplyPostFailed("e3", T0(), failed), ApplyResult::kApplied);
  EXPECT_EQ(*f.ApplyPostFailed("e3b", T0(), failed), ApplyResult::kDuplicate);

  SummaryFigures s = f.Summary();
  EXPECT_EQ(s.posts_published[v1::NETWORK_X], 1);
  EXPECT_EQ(s.mentions[v1::SENTIMENT_POSITIVE], 1);
  EXPECT_EQ((s.posts_failed[{v1::NETWORK_X, v1::POST_STATE_FAILED}]), 1);
}

// Records what the figures tell their observer about posts needing a human.
class NeedsHumanRecorder final : public FiguresObserver {
 public:
  void PostPublished(v1::Network) override {}
  void PostFailed(v1::Network, v1::PostState) override {}
  void NeedsHumanChanged(v1::Network network, int64_t posts) override { last[network] = posts; }
  void MentionClassified(v1::Sentiment) override {}
  void InboxOpenChanged(int64_t) override {}
  void InboxClosed(std::optional<absl::Duration>) override {}
  void ObjectiveChanged(const ObjectiveFigure&) override {}
  std::map<v1::Network, int64_t> last;
};

TEST(ProgramFiguresTest, PostsNeedingAHumanUntilPublished) {
  NeedsHumanRecorder recorder;
  ProgramFigures f(&recorder);
  const auto nh = [](const std::string& post, v1::Network network) {
    return Failed(post, network, v1::POST_STATE_NEEDS_HUMAN);
  };
  ASSERT_TRUE(f.ApplyPostFailed("e1", T0(), nh("posts/a", v1::NETWORK_X)).ok());
  ASSERT_TRUE(f.ApplyPostFailed("e2", T0(), nh("posts/b", v1::NETWORK_X)).ok());
  ASSERT_TRUE(f.ApplyPostFailed("e3", T0(), nh("posts/c", v1::NETWORK_FACEBOOK)).ok());
  // FAILED is an answer, not an open question: it does not count.
  ASSERT_TRUE(
      f.ApplyPostFailed("e4", T0(), Failed("posts/d", v1::NETWORK_X, v1::POST_STATE_FAILED)).ok());
  EXPECT_EQ(f.Summary().posts_needing_human,
            (std::map<v1::Network, int64_t>{{v1::NETWORK_X, 2}, {v1::NETWORK_FACEBOOK, 1}}));
  EXPECT_EQ(recorder.last[v1::NETWORK_X], 2);

  // Redelivered, or re-announced under another event id: still counted once.
  EXPECT_EQ(*f.ApplyPostFailed("e1", T0(), nh("posts/a", v1::NETWORK_X)), ApplyResult::kDuplicate);
  EXPECT_EQ(*f.ApplyPostFailed("e1-again", T0(), nh("posts/a", v1::NETWORK_X)),
            ApplyResult::kDuplicate);
  EXPECT_EQ(f.Summary().posts_needing_human[v1::NETWORK_X], 2);

  // A human sorted posts/a out and it went out: it no longer needs anyone.
  ASSERT_TRUE(
      f.ApplyPostPublished("e5", T0(), Published("posts/a", kStMarysX, v1::NETWORK_X, T0())).ok());
  EXPECT_EQ(f.Summary().posts_needing_human[v1::NETWORK_X], 1);
  EXPECT_EQ(recorder.last[v1::NETWORK_X], 1);
  // Its published event again changes nothing.
  EXPECT_EQ(
      *f.ApplyPostPublished("e5b", T0(), Published("posts/a", kStMarysX, v1::NETWORK_X, T0())),
      ApplyResult::kDuplicate);
  EXPECT_EQ(f.Summary().posts_needing_human[v1::NETWORK_X], 1);
  ASSERT_TRUE(
      f.ApplyPostPublished("e6", T0(), Published("posts/b", kStMarysX, v1::NETWORK_X, T0())).ok());
  SummaryFigures s = f.Summary();
  EXPECT_EQ(s.posts_needing_human.count(v1::NETWORK_X), 0u);  // no zero entries
  EXPECT_EQ(s.posts_needing_human[v1::NETWORK_FACEBOOK], 1);
  EXPECT_EQ(recorder.last[v1::NETWORK_X], 0);
  // The failure counters keep their history.
  EXPECT_EQ((s.posts_failed[{v1::NETWORK_X, v1::POST_STATE_NEEDS_HUMAN}]), 2);
}

TEST(ProgramFiguresTest, NeedsHumanIsTheSameInAnyReplayOrder) {
  // Published seen before the NEEDS_HUMAN event of the same post (another
  // order of the same facts): the post never counts as needing a human.
  ProgramFigures f;
  ASSERT_TRUE(
      f.ApplyPostPublished("e1", T0(), Published("posts/a", kStMarysX, v1::NETWORK_X, T0())).ok());
  ASSERT_TRUE(
      f.ApplyPostFailed("e2", T0(), Failed("posts/a", v1::NETWORK_X, v1::POST_STATE_NEEDS_HUMAN))
          .ok());
  EXPECT_TRUE(f.Summary().posts_needing_human.empty());

  ProgramFigures g;
  ASSERT_TRUE(
      g.ApplyPostFailed("e2", T0(), Failed("posts/a", v1::NETWORK_X, v1::POST_STATE_NEEDS_HUMAN))
          .ok());
  ASSERT_TRUE(
      g.ApplyPostPublished("e1", T0(), Published("posts/a", kStMarysX, v1::NETWORK_X, T0())).ok());
  EXPECT_EQ(f.Summary().posts_needing_human, g.Summary().posts_needing_human);
}

// A post's state change as the planner (schedule, cancel) or the publisher (a
// person's reschedule of a NEEDS_HUMAN post) announces it, at `at`.
v1::PostChanged Changed(const std::string& post, v1::PostState state, absl::Time at) {
  v1::PostChanged m;
  m.mutable_post()->set_name(post);
  m.mutable_post()->set_network(v1::NETWORK_X);
  m.mutable_post()->set_state(state);
  *m.mutable_post()->mutable_update_time() = ToProto(at);
  m.set_actor("paula");
  return m;
}
v1::PostFailed NeedsHumanAt(const std::string& post, absl::Time at) {
  v1::PostFailed m = Failed(post, v1::NETWORK_X, v1::POST_STATE_NEEDS_HUMAN);
  *m.mutable_post()->mutable_update_time() = ToProto(at);
  return m;
}

TEST(ProgramFiguresTest, APersonsRescheduleOrCancelEndsTheNeedForAHuman) {
  NeedsHumanRecorder recorder;
  ProgramFigures f(&recorder);
  const absl::Time t = T0();
  // Both scheduled first, then handed to a human by the publisher.
  ASSERT_TRUE(f.ApplyPostChanged("s-a", t, Changed("posts/a", v1::POST_STATE_SCHEDULED, t)).ok());
  ASSERT_TRUE(f.ApplyPostChanged("s-b", t, Changed("posts/b", v1::POST_STATE_SCHEDULED, t)).ok());
  ASSERT_TRUE(f.ApplyPostFailed("nh-a", t, NeedsHumanAt("posts/a", t + absl::Minutes(1))).ok());
  ASSERT_TRUE(f.ApplyPostFailed("nh-b", t, NeedsHumanAt("posts/b", t + absl::Minutes(1))).ok());
  EXPECT_EQ(f.Summary().posts_needing_human[v1::NETWORK_X], 2);

  // A person reschedules posts/a and cancels posts/b.
  ASSERT_TRUE(f.ApplyPostChanged("r-a", t,
                                 Changed("posts/a", v1::POST_STATE_SCHEDULED, t + absl::Minutes(9)))
                  .ok());
  EXPECT_EQ(recorder.last[v1::NETWORK_X], 1);
  ASSERT_TRUE(f.ApplyPostChanged("c-b", t,
                                 Changed("posts/b", v1::POST_STATE_CANCELLED, t + absl::Minutes(9)))
                  .ok());
  EXPECT_EQ(recorder.last[v1::NETWORK_X], 0);
  EXPECT_TRUE(f.Summary().posts_needing_human.empty());
  // The same change again (redelivered) changes nothing.
  EXPECT_EQ(*f.ApplyPostChanged("c-b", t, Changed("posts/b", v1::POST_STATE_CANCELLED, t)),
            ApplyResult::kDuplicate);

  // The rescheduled post fails again: it needs a human again, though its
  // NEEDS_HUMAN failure was counted the first time.
  EXPECT_EQ(*f.ApplyPostFailed("nh-a-2", t, NeedsHumanAt("posts/a", t + absl::Minutes(20))),
            ApplyResult::kApplied);
  EXPECT_EQ(f.Summary().posts_needing_human[v1::NETWORK_X], 1);
  EXPECT_EQ((f.Summary().posts_failed[{v1::NETWORK_X, v1::POST_STATE_NEEDS_HUMAN}]), 2);
  // An old NEEDS_HUMAN event replayed late does not reopen a cancelled post.
  EXPECT_EQ(*f.ApplyPostFailed("nh-b-old", t, NeedsHumanAt("posts/b", t + absl::Minutes(1))),
            ApplyResult::kDuplicate);
  EXPECT_EQ(f.Summary().posts_needing_human[v1::NETWORK_X], 1);
}

TEST(ProgramFiguresTest, AResolutionCountsInAnyReplayOrder) {
  const absl::Time t = T0();
  const v1::PostChanged scheduled = Changed("posts/a", v1::POST_STATE_SCHEDULED, t);
  const v1::PostFailed needs_human = NeedsHumanAt("posts/a", t + absl::Minutes(1));
  const v1::PostChanged cancelled =
      Changed("posts/a", v1::POST_STATE_CANCELLED, t + absl::Minutes(5));

  // In order, and with the cancellation seen before the outcome it answers.
  ProgramFigures in_order;
  ASSERT_TRUE(in_order.ApplyPostChanged("e1", t, scheduled).ok());
  ASSERT_TRUE(in_order.ApplyPostFailed("e2", t, needs_human).ok());
  ASSERT_TRUE(in_order.ApplyPostChanged("e3", t, cancelled).ok());
  ProgramFigures reversed;
  ASSERT_TRUE(reversed.ApplyPostChanged("e3", t, cancelled).ok());
  ASSERT_TRUE(reversed.ApplyPostFailed("e2", t, needs_human).ok());
  ASSERT_TRUE(reversed.ApplyPostChanged("e1", t, scheduled).ok());
  EXPECT_TRUE(in_order.Summary().posts_needing_human.empty());
  EXPECT_TRUE(reversed.Summary().posts_needing_human.empty());

  // The schedule that came before the outcome, replayed late, answers nothing.
  ProgramFigures late_schedule;
  ASSERT_TRUE(late_schedule.ApplyPostFailed("e2", t, needs_human).ok());
  ASSERT_TRUE(late_schedule.ApplyPostChanged("e1", t, scheduled).ok());
  EXPECT_EQ(late_schedule.Summary().posts_needing_human[v1::NETWORK_X], 1);

  v1::PostChanged nameless;
  EXPECT_EQ(late_schedule.ApplyPostChanged("e9", t, nameless).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ProgramFiguresTest, RejectsPayloadsWithoutNamesAndChangesNothing) {
  ProgramFigures f;
  v1::PostPublished nameless;
  nameless.mutable_post()->set_network(v1::NETWORK_X);
  EXPECT_EQ(f.ApplyPostPublished("e1", T0(), nameless).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.ApplyMentionClassified("e2", T0(), v1::MentionClassified()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.ApplyInboxCreated("e3", T0(), v1::InboxItemChanged()).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::ObjectiveCreated bad = Objective("goals/x", v1::KPI_POSTS_PUBLISHED, 1, T0(), T0());
  EXPECT_EQ(f.ApplyObjectiveCreated("e4", T0(), bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  SummaryFigures s = f.Summary();
  EXPECT_EQ(s.events_applied, 0);
  EXPECT_TRUE(s.posts_published.empty());
  EXPECT_TRUE(s.objectives.empty());
  // A rejected id is not remembered: the fixed event can still be applied.
  EXPECT_EQ(*f.ApplyPostPublished("e1", T0(), Published("posts/p", kClinicX, v1::NETWORK_X, T0())),
            ApplyResult::kApplied);
}

TEST(ProgramFiguresTest, PostsPublishedObjectiveHonoursWindowSpokeAndNetwork) {
  ProgramFigures f;
  absl::Time start = T0();
  absl::Time end = T0() + absl::Hours(24 * 7);
  ASSERT_TRUE(f.ApplyObjectiveCreated("o1", T0(),
                                      Objective("objectives/stmarys-x", v1::KPI_POSTS_PUBLISHED, 4,
                                                start, end, "spokes/stmarys", v1::NETWORK_X))
                  .ok());
  // Counted: in window, right spoke and network (start is inclusive).
  ASSERT_TRUE(
      f.ApplyPostPublished("e1", T0(), Published("posts/a", kStMarysX, v1::NETWORK_X, start)).ok());
  ASSERT_TRUE(
      f.ApplyPostPublished("e2", T0(),
                           Published("posts/b", kStMarysX, v1::NETWORK_X, start + absl::Hours(30)))
          .ok());
  // Not counted: before the window, at its (exclusive) end, other network, other spoke.
  ASSERT_TRUE(
      f.ApplyPostPublished("e3", T0(),
                           Published("posts/c", kStMarysX, v1::NETWORK_X, start - absl::Seconds(1)))
          .ok());
  ASSERT_TRUE(
      f.ApplyPostPublished("e4", T0(), Published("posts/d", kStMarysX, v1::NETWORK_X, end)).ok());
  ASSERT_TRUE(f.ApplyPostPublished(
                   "e5", T0(),
                   Published("posts/e", kStMarysFb, v1::NETWORK_FACEBOOK, start + absl::Hours(1)))
                  .ok());
  ASSERT_TRUE(
      f.ApplyPostPublished("e6", T0(),
                           Published("posts/f", kClinicX, v1::NETWORK_X, start + absl::Hours(1)))
          .ok());

  std::optional<ObjectiveFigure> o = f.Objective("objectives/stmarys-x");
  ASSERT_TRUE(o.has_value());
  EXPECT_TRUE(o->measured);
  EXPECT_EQ(o->id, "stmarys-x");
  EXPECT_DOUBLE_EQ(o->current, 2);
  EXPECT_DOUBLE_EQ(o->target, 4);
  EXPECT_DOUBLE_EQ(o->ratio, 0.5);
  EXPECT_EQ(f.Summary().posts_published[v1::NETWORK_X], 5);
}

TEST(ProgramFiguresTest, ObjectiveCreatedAfterItsPostsCountsThem) {
  ProgramFigures f;
  ASSERT_TRUE(
      f.ApplyPostPublished("e1", T0(),
                           Published("posts/a", kStMarysX, v1::NETWORK_X, T0() + absl::Hours(1)))
          .ok());
  ASSERT_TRUE(f.ApplyPostPublished(
                   "e2", T0(), Published("posts/b", kClinicX, v1::NETWORK_X, T0() + absl::Hours(2)))
                  .ok());
  // Whole system, every network: the spoke is optional.
  ASSERT_TRUE(f.ApplyObjectiveCreated("o1", T0(),
                                      Objective("objectives/all", v1::KPI_POSTS_PUBLISHED, 1, T0(),
                                                T0() + absl::Hours(24)))
                  .ok());
  // A bare spoke id is accepted as scope too.
  ASSERT_TRUE(f.ApplyObjectiveCreated("o2", T0(),
                                      Objective("objectives/clinic", v1::KPI_POSTS_PUBLISHED, 4,
                                                T0(), T0() + absl::Hours(24), "clinic"))
                  .ok());
  EXPECT_DOUBLE_EQ(f.Objective("objectives/all")->current, 2);
  EXPECT_DOUBLE_EQ(f.Objective("objectives/all")->ratio, 2);  // not capped at 1
  EXPECT_DOUBLE_EQ(f.Objective("objectives/clinic")->current, 1);
  EXPECT_DOUBLE_EQ(f.Objective("objectives/clinic")->ratio, 0.25);
}

TEST(ProgramFiguresTest, CampaignScopedObjectiveCountsOnlyThatCampaignsPosts) {
  ProgramFigures f;
  auto in_campaign = [](const std::string& post, const std::string& campaign, absl::Time when) {
    v1::PostPublished m = Published(post, kStMarysX, v1::NETWORK_X, when);
    m.mutable_post()->set_campaign(campaign);
    return m;
  };
  const absl::Time t = T0() + absl::Hours(1);
  // One post of the campaign before the objective exists, one after; one of
  // another campaign and one of none, which the objective does not count.
  ASSERT_TRUE(f.ApplyPostPublished("e1", T0(), in_campaign("posts/a", "campaigns/flu", t)).ok());
  v1::ObjectiveCreated objective =
      Objective("objectives/flu", v1::KPI_POSTS_PUBLISHED, 4, T0(), T0() + absl::Hours(24));
  objective.mutable_objective()->set_campaign("campaigns/flu");
  ASSERT_TRUE(f.ApplyObjectiveCreated("o1", T0(), objective).ok());
  ASSERT_TRUE(f.ApplyPostPublished("e2", T0(), in_campaign("posts/b", "campaigns/flu", t)).ok());
  ASSERT_TRUE(f.ApplyPostPublished("e3", T0(), in_campaign("posts/c", "campaigns/spring", t)).ok());
  ASSERT_TRUE(f.ApplyPostPublished("e4", T0(), in_campaign("posts/d", "", t)).ok());
  EXPECT_DOUBLE_EQ(f.Objective("objectives/flu")->current, 2);
  EXPECT_DOUBLE_EQ(f.Objective("objectives/flu")->ratio, 0.5);
}

TEST(ProgramFiguresTest, PositiveMentionRatio) {
  ProgramFigures f;
  absl::Time start = T0();
  absl::Time end = T0() + absl::Hours(24);
  ASSERT_TRUE(f.ApplyObjectiveCreated("o1", T0(),
                                      Objective("objectives/sentiment",
                                                v1::KPI_POSITIVE_MENTION_RATIO, 0.8, start, end))
                  .ok());
  EXPECT_DOUBLE_EQ(f.Objective("objectives/sentiment")->current, 0);  // no mentions yet
  ASSERT_TRUE(f.ApplyMentionClassified("e1", T0(),
                                       Mention("mentions/1", v1::NETWORK_X, v1::SENTIMENT_POSITIVE,
                                               start + absl::Minutes(1)))
                  .ok());
  ASSERT_TRUE(f.ApplyMentionClassified("e2", T0(),
                                       Mention("mentions/2", v1::NETWORK_X, v1::SENTIMENT_POSITIVE,
                                               start + absl::Minutes(2)))
                  .ok());
  ASSERT_TRUE(f.ApplyMentionClassified("e3", T0(),
                                       Mention("mentions/3", v1::NETWORK_FACEBOOK,
                                               v1::SENTIMENT_POSITIVE, start + absl::Minutes(3)))
                  .ok());
  ASSERT_TRUE(f.ApplyMentionClassified("e4", T0(),
                                       Mention("mentions/4", v1::NETWORK_X, v1::SENTIMENT_NEGATIVE,
                                               start + absl::Minutes(4)))
                  .ok());
  // Outside the window and unclassified mentions do not count.
  ASSERT_TRUE(f.ApplyMentionClassified("e5", T0(),
                                       Mention("mentions/5", v1::NETWORK_X, v1::SENTIMENT_NEGATIVE,
                                               end + absl::Minutes(1)))
                  .ok());
  ASSERT_TRUE(
      f.ApplyMentionClassified(
           "e6", T0(), Mention("mentions/6", v1::NETWORK_X, v1::SENTIMENT_UNSPECIFIED, start))
          .ok());
  std::optional<ObjectiveFigure> o = f.Objective("objectives/sentiment");
  ASSERT_TRUE(o);
  EXPECT_DOUBLE_EQ(o->current, 0.75);
  EXPECT_DOUBLE_EQ(o->ratio, 0.75 / 0.8);
}

TEST(ProgramFiguresTest, InboxOpenItemsInAnyOrder) {
  ProgramFigures f;
  absl::Time created = T0();
  absl::Time closed = T0() + absl::Minutes(30);
  // i1: created then closed; i2: closed arrives first; i3: created twice, never closed.
  ASSERT_TRUE(
      f.ApplyInboxCreated("c1", T0(), Inbox("inboxItems/1", v1::INBOX_ITEM_STATE_OPEN, created))
          .ok());
  EXPECT_EQ(f.Summary().open_inbox_items, 1);
  ASSERT_TRUE(f.ApplyInboxClosed(
                   "x1", T0(), Inbox("inboxItems/1", v1::INBOX_ITEM_STATE_CLOSED, created, closed))
                  .ok());
  EXPECT_EQ(f.Summary().open_inbox_items, 0);
  ASSERT_TRUE(f.ApplyInboxClosed(
                   "x2", T0(), Inbox("inboxItems/2", v1::INBOX_ITEM_STATE_CLOSED, created, closed))
                  .ok());
  ASSERT_TRUE(
      f.ApplyInboxCreated("c2", T0(), Inbox("inboxItems/2", v1::INBOX_ITEM_STATE_OPEN, created))
          .ok());
  EXPECT_EQ(f.Summary().open_inbox_items, 0);
  ASSERT_TRUE(
      f.ApplyInboxCreated("c3", T0(), Inbox("inboxItems/3", v1::INBOX_ITEM_STATE_OPEN, created))
          .ok());
  EXPECT_EQ(*f.ApplyInboxCreated("c3-again", T0(),
                                 Inbox("inboxItems/3", v1::INBOX_ITEM_STATE_OPEN, created)),
            ApplyResult::kDuplicate);
  EXPECT_EQ(
      *f.ApplyInboxClosed("x1-again", T0(),
                          Inbox("inboxItems/1", v1::INBOX_ITEM_STATE_CLOSED, created, closed)),
      ApplyResult::kDuplicate);
  SummaryFigures s = f.Summary();
  EXPECT_EQ(s.open_inbox_items, 1);
  EXPECT_EQ(s.closed_inbox_items, 2);
}

TEST(ProgramFiguresTest, InboxItemsClosedObjective) {
  ProgramFigures f;
  ASSERT_TRUE(f.ApplyInboxClosed("x0", T0(),
                                 Inbox("inboxItems/0", v1::INBOX_ITEM_STATE_CLOSED, T0(),
                                       T0() + absl::Minutes(5)))
                  .ok());
  ASSERT_TRUE(f.ApplyObjectiveCreated("o1", T0(),
                                      Objective("objectives/answer", v1::KPI_INBOX_ITEMS_CLOSED, 10,
                                                T0(), T0() + absl::Hours(1)))
                  .ok());
  ASSERT_TRUE(f.ApplyInboxClosed("x1", T0(),
                                 Inbox("inboxItems/1", v1::INBOX_ITEM_STATE_CLOSED, T0(),
                                       T0() + absl::Minutes(10)))
                  .ok());
  ASSERT_TRUE(f.ApplyInboxClosed(
                   "x2", T0(),
                   Inbox("inboxItems/2", v1::INBOX_ITEM_STATE_CLOSED, T0(), T0() + absl::Hours(2)))
                  .ok());
  EXPECT_DOUBLE_EQ(f.Objective("objectives/answer")->current, 2);
  EXPECT_DOUBLE_EQ(f.Objective("objectives/answer")->ratio, 0.2);
}

// A spoke's mention and inbox objectives count only what addresses that spoke:
// the mention's account, the spoke the item is routed to. Counted live and when
// the objective is created after its facts.
TEST(ProgramFiguresTest, SpokeScopedMentionAndInboxObjectivesCountOnlyTheirSpoke) {
  for (bool objectives_first : {true, false}) {
    SCOPED_TRACE(objectives_first ? "objectives first" : "facts first");
    ProgramFigures f;
    const absl::Time start = T0();
    const absl::Time end = T0() + absl::Hours(24);
    auto create_objectives = [&] {
      ASSERT_TRUE(f.ApplyObjectiveCreated(
                       "o1", T0(),
                       Objective("objectives/stmarys-positive", v1::KPI_POSITIVE_MENTION_RATIO, 0.8,
                                 start, end, "spokes/stmarys"))
                      .ok());
      ASSERT_TRUE(
          f.ApplyObjectiveCreated("o2", T0(),
                                  Objective("objectives/stmarys-closed", v1::KPI_INBOX_ITEMS_CLOSED,
                                            10, start, end, "stmarys"))
              .ok());
    };
    if (objectives_first) create_objectives();
    auto mention = [&](const char* id, const char* account, v1::Sentiment sentiment) {
      v1::MentionClassified m = Mention(absl::StrCat("mentions/", id), v1::NETWORK_X, sentiment,
                                        start + absl::Minutes(1));
      m.mutable_mention()->set_account(account);
      ASSERT_TRUE(f.ApplyMentionClassified(id, T0(), m).ok());
    };
    mention("m1", kStMarysX, v1::SENTIMENT_POSITIVE);
    mention("m2", kStMarysFb, v1::SENTIMENT_NEGATIVE);
    mention("m3", kClinicX, v1::SENTIMENT_NEGATIVE);  // another spoke's
    mention("m4", kClinicX, v1::SENTIMENT_NEGATIVE);
    auto closed = [&](const char* id, const char* spoke) {
      v1::InboxItemChanged item = Inbox(absl::StrCat("inboxItems/", id),
                                        v1::INBOX_ITEM_STATE_CLOSED, start, start + absl::Hours(1));
      item.mutable_inbox_item()->set_spoke(spoke);
      ASSERT_TRUE(f.ApplyInboxClosed(id, T0(), item).ok());
    };
    closed("i1", "stmarys");
    closed("i2", "spokes/stmarys");
    closed("i3", "clinic");
    if (!objectives_first) create_objectives();
    EXPECT_DOUBLE_EQ(f.Objective("objectives/stmarys-positive")->current, 0.5);
    EXPECT_DOUBLE_EQ(f.Objective("objectives/stmarys-closed")->current, 2);
  }
}

// A past week's report shows its objectives as they stood when the week ended:
// counted up to then, judged at then, with their own window kept.
TEST(ProgramFiguresTest, ObjectivesAsOfCountUpToThatTime) {
  ProgramFigures f;
  const absl::Time start = T0();
  const absl::Time end = T0() + absl::Hours(24 * 28);
  const absl::Time week_end = T0() + absl::Hours(24 * 7);
  ASSERT_TRUE(
      f.ApplyObjectiveCreated(
           "o1", T0(), Objective("objectives/posts", v1::KPI_POSTS_PUBLISHED, 40, start, end))
          .ok());
  ASSERT_TRUE(
      f.ApplyObjectiveCreated(
           "o2", T0(), Objective("objectives/answered", v1::KPI_INBOX_ITEMS_CLOSED, 10, start, end))
          .ok());
  int n = 0;
  for (absl::Time at : {start, week_end - absl::Seconds(1), week_end, week_end + absl::Hours(30)}) {
    ++n;
    ASSERT_TRUE(
        f.ApplyPostPublished(absl::StrCat("p", n), T0(),
                             Published(absl::StrCat("posts/", n), kStMarysX, v1::NETWORK_X, at))
            .ok());
    ASSERT_TRUE(f.ApplyInboxClosed(
                     absl::StrCat("i", n), T0(),
                     Inbox(absl::StrCat("inboxItems/", n), v1::INBOX_ITEM_STATE_CLOSED, start, at))
                    .ok());
  }
  std::map<std::string, ObjectiveFigure> then;
  for (ObjectiveFigure& figure : f.ObjectivesAsOf(week_end)) then[figure.name] = figure;
  ASSERT_EQ(then.size(), 2u);
  EXPECT_DOUBLE_EQ(then["objectives/posts"].current, 2);
  EXPECT_DOUBLE_EQ(then["objectives/posts"].ratio, 2.0 / 40);
  EXPECT_EQ(then["objectives/posts"].end, end);
  EXPECT_DOUBLE_EQ(then["objectives/answered"].current, 2);
  // Now, all four count; before the window, none.
  EXPECT_DOUBLE_EQ(f.Objective("objectives/posts")->current, 4);
  for (const ObjectiveFigure& figure : f.ObjectivesAsOf(start - absl::Hours(1)))
    EXPECT_DOUBLE_EQ(figure.current, 0) << figure.name;
}

TEST(ProgramFiguresTest, OnlyAKpiOutsideTheEnumIsUnmeasured) {
  ProgramFigures f;
  ASSERT_TRUE(f.ApplyObjectiveCreated(
                   "o1", T0(),
                   Objective("objectives/reach", v1::KPI_REACH, 1000, T0(), T0() + absl::Hours(1)))
                  .ok());
  EXPECT_TRUE(f.Objective("objectives/reach")->measured);
  ASSERT_TRUE(f.ApplyObjectiveCreated("o3", T0(),
                                      Objective("objectives/later", static_cast<v1::Kpi>(999), 1,
                                                T0(), T0() + absl::Hours(1)))
                  .ok());
  EXPECT_FALSE(f.Objective("objectives/later")->measured);
  EXPECT_FALSE(f.Objective("objectives/unknown").has_value());
  // A second definition of the same name does not replace the first.
  EXPECT_EQ(*f.ApplyObjectiveCreated("o2", T0(),
                                     Objective("objectives/reach", v1::KPI_POSTS_PUBLISHED, 1, T0(),
                                               T0() + absl::Hours(1))),
            ApplyResult::kDuplicate);
  EXPECT_EQ(f.Objective("objectives/reach")->kpi, v1::KPI_REACH);
}

TEST(ProgramFiguresTest, LowerIsBetterRatiosAreOnTrackAtOneOrMore) {
  ProgramFigures f;
  ASSERT_TRUE(f.ApplyObjectiveCreated("o1", T0(),
                                      Objective("objectives/calm", v1::KPI_NEGATIVE_MENTION_RATIO,
                                                0.25, T0(), T0() + absl::Hours(1)))
                  .ok());
  // Nothing measured yet: current 0 is on track.
  EXPECT_DOUBLE_EQ(f.Objective("objectives/calm")->ratio, 1.0);
  ASSERT_TRUE(f.ApplyMentionClassified(
                   "m1", T0(), Mention("mentions/1", v1::NETWORK_X, v1::SENTIMENT_NEGATIVE, T0()))
                  .ok());
  ASSERT_TRUE(f.ApplyMentionClassified(
                   "m2", T0(), Mention("mentions/2", v1::NETWORK_X, v1::SENTIMENT_POSITIVE, T0()))
                  .ok());
  EXPECT_DOUBLE_EQ(f.Objective("objectives/calm")->current, 0.5);
  EXPECT_DOUBLE_EQ(f.Objective("objectives/calm")->ratio, 0.5);  // 0.25 / 0.5: off track
}

TEST(ProgramFiguresTest, SpokeOfAccount) {
  EXPECT_EQ(SpokeOfAccount("spokes/stmarys/accounts/x-main"), "spokes/stmarys");
  EXPECT_EQ(SpokeOfAccount("spokes/stmarys"), "");
  EXPECT_EQ(SpokeOfAccount("accounts/x"), "");
  EXPECT_EQ(SpokeOfAccount("spokes//accounts/x"), "");
  EXPECT_EQ(SpokeOfAccount(""), "");
}

}  // namespace
}  // namespace carecast::metrics
