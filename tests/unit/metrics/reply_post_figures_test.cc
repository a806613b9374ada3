// A responder's reply is sent as a post (posts/reply-<id>, Post.reply set), but
// it is not one of the program's posts: its published, failed and scheduled
// events and any engagement reading of it move no figure, objective, roll-up
// fact or report, while a program post beside it still counts.
#include <string>

#include <gtest/gtest.h>

#include "services/common/bus/event_catalogue.h"
#include "services/metrics/program_figures.h"
#include "tests/unit/metrics/metrics_test_events.h"

namespace carecast::metrics {
namespace {

using test_events::Failed;
using test_events::Objective;
using test_events::Published;
using test_events::T0;

constexpr char kAccount[] = "spokes/stmarys/accounts/x-main";
constexpr char kReply[] = "inboxItems/i1/replies/r1";

v1::PostPublished ReplyPublished(const std::string& name, absl::Time when) {
  v1::PostPublished m = Published(name, kAccount, v1::NETWORK_X, when);
  m.mutable_post()->set_reply(kReply);
  m.mutable_post()->set_in_reply_to("1799000000000000042");
  m.mutable_post()->set_url("https://x.com/stmarys/status/1");
  return m;
}

v1::EngagementObserved Reading(const std::string& post, absl::Time published, int64_t impressions) {
  v1::EngagementObserved m;
  m.set_post(post);
  m.set_account(kAccount);
  m.set_network(v1::NETWORK_X);
  *m.mutable_published_time() = ToProto(published);
  *m.mutable_observe_time() = ToProto(published + absl::Minutes(10));
  m.set_impressions(impressions);
  m.set_likes(1);
  m.set_shares(0);
  m.set_replies(0);
  m.set_clicks(0);
  return m;
}

class ReplyPostFiguresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(f_.ApplyObjectiveCreated("o1", T0(),
                                         Objective("objectives/posts", v1::KPI_POSTS_PUBLISHED, 4,
                                                   T0(), T0() + absl::Hours(24)))
                    .ok());
    ASSERT_TRUE(f_.ApplyObjectiveCreated("o2", T0(),
                                         Objective("objectives/reach", v1::KPI_REACH, 1000, T0(),
                                                   T0() + absl::Hours(24)))
                    .ok());
  }
  ProgramFigures f_;
};

TEST_F(ReplyPostFiguresTest, APublishedReplyIsNotAProgramPost) {
  const absl::Time at = T0() + absl::Hours(1);
  ASSERT_TRUE(f_.ApplyPostPublished("e1", at, ReplyPublished("posts/reply-r1", at)).ok());
  // Even without the reply field, the publisher's name for it says what it is.
  v1::PostPublished unnamed = Published("posts/reply-r2", kAccount, v1::NETWORK_X, at);
  ASSERT_TRUE(f_.ApplyPostPublished("e2", at, unnamed).ok());

  SummaryFigures s = f_.Summary();
  EXPECT_EQ(s.posts_published[v1::NETWORK_X], 0);
  EXPECT_DOUBLE_EQ(f_.Objective("objectives/posts")->current, 0);
  FactsSnapshot facts = f_.Facts(FactsQuery{});
  EXPECT_TRUE(facts.published.empty()) << "no roll-up, best time or report sees it";

  // A program post beside it counts as always.
  ASSERT_TRUE(
      f_.ApplyPostPublished("e3", at, Published("posts/p1", kAccount, v1::NETWORK_X, at)).ok());
  s = f_.Summary();
  EXPECT_EQ(s.posts_published[v1::NETWORK_X], 1);
  EXPECT_DOUBLE_EQ(f_.Objective("objectives/posts")->current, 1);
  facts = f_.Facts(FactsQuery{});
  ASSERT_EQ(facts.published.size(), 1u);
  EXPECT_EQ(facts.published[0].name, "posts/p1");
}

TEST_F(ReplyPostFiguresTest, AFailedOrNeedsHumanReplyIsNotCounted) {
  v1::PostFailed failed = Failed("posts/reply-r1", v1::NETWORK_X, v1::POST_STATE_FAILED);
  failed.mutable_post()->set_reply(kReply);
  v1::PostFailed unknown = Failed("posts/reply-r2", v1::NETWORK_X, v1::POST_STATE_NEEDS_HUMAN);
  unknown.mutable_post()->set_reply("inboxItems/i1/replies/r2");
  ASSERT_TRUE(f_.ApplyPostFailed("e1", T0(), failed).ok());
  ASSERT_TRUE(f_.ApplyPostFailed("e2", T0(), unknown).ok());
  v1::PostChanged rescheduled;
  *rescheduled.mutable_post() = unknown.post();
  rescheduled.mutable_post()->set_state(v1::POST_STATE_SCHEDULED);
  ASSERT_TRUE(f_.ApplyPostChanged("e3", T0() + absl::Minutes(1), rescheduled).ok());

  SummaryFigures s = f_.Summary();
  EXPECT_EQ((s.posts_failed[{v1::NETWORK_X, v1::POST_STATE_FAILED}]), 0);
  EXPECT_EQ((s.posts_failed[{v1::NETWORK_X, v1::POST_STATE_NEEDS_HUMAN}]), 0);
  EXPECT_EQ(s.posts_needing_human[v1::NETWORK_X], 0);
  EXPECT_TRUE(f_.Facts(FactsQuery{}).failed.empty());

  ASSERT_TRUE(
      f_.ApplyPostFailed("e4", T0(), Failed("posts/p1", v1::NETWORK_X, v1::POST_STATE_FAILED))
          .ok());
  s = f_.Summary();
  EXPECT_EQ((s.posts_failed[{v1::NETWORK_X, v1::POST_STATE_FAILED}]), 1);
}

TEST_F(ReplyPostFiguresTest, AReadingOfAReplyPostAddsNoReach) {
  const absl::Time at = T0() + absl::Hours(1);
  ASSERT_TRUE(f_.ApplyEngagementObserved("g1", at, Reading("posts/reply-r1", at, 900)).ok());
  EXPECT_DOUBLE_EQ(f_.Objective("objectives/reach")->current, 0);

  ASSERT_TRUE(
      f_.ApplyPostPublished("e1", at, Published("posts/p1", kAccount, v1::NETWORK_X, at)).ok());
  ASSERT_TRUE(f_.ApplyEngagementObserved("g2", at, Reading("posts/p1", at, 300)).ok());
  EXPECT_DOUBLE_EQ(f_.Objective("objectives/reach")->current, 300);
}

TEST(ReplyPostNamesTest, OnlyThePublishersReplyNamesAreReplies) {
  EXPECT_TRUE(IsReplyPostName("posts/reply-abc"));
  EXPECT_FALSE(IsReplyPostName("posts/abc"));
  EXPECT_FALSE(IsReplyPostName("posts/replyabc"));
  EXPECT_FALSE(IsReplyPostName("replies/reply-abc"));
  v1::Post post;
  post.set_name("posts/p1");
  EXPECT_FALSE(IsReplyPost(post));
  post.set_reply(kReply);
  EXPECT_TRUE(IsReplyPost(post));
}

}  // namespace
}  // namespace carecast::metrics
