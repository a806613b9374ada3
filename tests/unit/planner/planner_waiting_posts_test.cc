// Posts left AWAITING_APPROVAL by a crash between a review decision and its
// cascade: the sweep releases them when the content was approved, cancels
// them when it was rejected or edited, and leaves alone content still in
// review or changed within the grace period.
#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

constexpr char kAccount[] = "spokes/st-marys/accounts/x-main";

class PlannerWaitingPostsTest : public PlannerFixture {
 protected:
  void SetUp() override {
    PlannerFixture::SetUp();
    MakeSpoke("st-marys");
    MakeAccount(v1::NETWORK_X, "x-main");
  }

  // Content in review with one post waiting for its approval.
  std::pair<v1::Content, v1::Post> Waiting(const std::string& post_id) {
    v1::Content c = Submit(DraftContent("Free flu shots this Saturday."));
    auto post = Schedule(c, kAccount, absl::Hours(24), post_id);
    EXPECT_TRUE(post.ok()) << post.status();
    EXPECT_EQ(post.ok() ? post->state() : v1::POST_STATE_UNSPECIFIED,
              v1::POST_STATE_AWAITING_APPROVAL);
    return {c, post.ok() ? *post : v1::Post()};
  }

  v1::Post Get(const std::string& name) {
    v1::GetPostRequest req;
    req.set_name(name);
    auto resp = planner_->GetPost(strategist_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->post() : v1::Post();
  }
};

TEST_F(PlannerWaitingPostsTest, APostStrandedByACrashAfterTheFinalApprovalIsReleased) {
  auto [content, post] = Waiting("stranded");
  Approve(content);
  ASSERT_EQ(Get(post.name()).state(), v1::POST_STATE_SCHEDULED);
  // As if the approval was saved and the process died before the cascade.
  MarkPublished(post.name(), clock_.Now(), v1::POST_STATE_AWAITING_APPROVAL);
  const size_t scheduled_events = Subjects("carecast.post.scheduled").size();

  // Within the grace period nothing moves: the decision may be in flight.
  clock_.Advance(absl::Seconds(30));
  auto early = planner_->SettleWaitingPosts();
  ASSERT_TRUE(early.ok()) << early.status();
  EXPECT_EQ(*early, 0);
  EXPECT_EQ(Get(post.name()).state(), v1::POST_STATE_AWAITING_APPROVAL);

  clock_.Advance(kWaitingPostGrace);
  auto settled = planner_->SettleWaitingPosts();
  ASSERT_TRUE(settled.ok()) << settled.status();
  EXPECT_EQ(*settled, 1);
  EXPECT_EQ(Get(post.name()).state(), v1::POST_STATE_SCHEDULED);
  // Publishers index it from this event.
  EXPECT_EQ(Subjects("carecast.post.scheduled").size(), scheduled_events + 1);
  // A second pass finds nothing.
  EXPECT_EQ(*planner_->SettleWaitingPosts(), 0);
}

TEST_F(PlannerWaitingPostsTest, APostStrandedAfterARejectionIsCancelled) {
  auto [content, post] = Waiting("rejected");
  v1::RejectContentRequest reject;
  reject.set_name(content.name());
  reject.set_version(content.version());
  reject.set_reason("needs the clinic hours");
  ASSERT_TRUE(planner_->RejectContent(reviewer_, reject).ok());
  MarkPublished(post.name(), clock_.Now(), v1::POST_STATE_AWAITING_APPROVAL);
  clock_.Advance(kWaitingPostGrace + absl::Seconds(1));
  auto settled = planner_->SettleWaitingPosts();
  ASSERT_TRUE(settled.ok()) << settled.status();
  EXPECT_EQ(*settled, 1);
  EXPECT_EQ(Get(post.name()).state(), v1::POST_STATE_CANCELLED);
}

TEST_F(PlannerWaitingPostsTest, PostsOfContentStillInReviewKeepWaiting) {
  auto [content, post] = Waiting("in-review");
  clock_.Advance(absl::Hours(2));
  auto settled = planner_->SettleWaitingPosts();
  ASSERT_TRUE(settled.ok()) << settled.status();
  EXPECT_EQ(*settled, 0);
  EXPECT_EQ(Get(post.name()).state(), v1::POST_STATE_AWAITING_APPROVAL);
}

}  // namespace
}  // namespace carecast::planner
