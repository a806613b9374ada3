// BatchSchedulePosts: every entry goes through SchedulePost's checks on its
// own, a retried batch schedules nothing twice, and a malformed batch changes
// nothing.
#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

class PlannerBatchScheduleTest : public PlannerFixture {
 protected:
  void SetUp() override {
    PlannerFixture::SetUp();
    MakeSpoke();
    x_ = MakeAccount(v1::NETWORK_X, "x-main");
    approved_ = ApprovedContent();
  }

  v1::SchedulePostRequest Entry(absl::Duration in, const std::string& request_id) {
    return ScheduleRequest(approved_, x_.name(), in, request_id);
  }

  v1::Account x_;
  v1::Content approved_;
};

TEST_F(PlannerBatchScheduleTest, EachEntryIsScheduledOrRefusedOnItsOwn) {
  v1::BatchSchedulePostsRequest req;
  *req.add_requests() = Entry(absl::Hours(1), "b-1");
  *req.add_requests() = Entry(-absl::Hours(1), "b-2");  // in the past
  v1::SchedulePostRequest unapproved = Entry(absl::Hours(2), "b-3");
  unapproved.set_content("contents/nope");
  *req.add_requests() = unapproved;
  *req.add_requests() = Entry(absl::Hours(3), "b-4");

  auto resp = planner_->BatchSchedulePosts(publisher_, req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->results_size(), 4);
  EXPECT_EQ(resp->results(0).code(), 0);
  EXPECT_EQ(resp->results(0).post().state(), v1::POST_STATE_SCHEDULED);
  EXPECT_EQ(resp->results(1).code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_NE(resp->results(1).message().find("publish_time"), std::string::npos)
      << resp->results(1).message();
  EXPECT_FALSE(resp->results(1).has_post());
  EXPECT_EQ(resp->results(2).code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(resp->results(3).code(), 0);
  EXPECT_NE(resp->results(0).post().name(), resp->results(3).post().name());

  // Only the two accepted entries were written and announced.
  EXPECT_EQ(bus_.Published("carecast.post.scheduled").size(), 2u);
  for (int i : {0, 3}) {
    v1::GetPostRequest get;
    get.set_name(resp->results(i).post().name());
    auto stored = planner_->GetPost(publisher_, get);
    ASSERT_TRUE(stored.ok()) << stored.status();
    EXPECT_EQ(stored->post().publish_time().seconds(),
              resp->results(i).post().publish_time().seconds());
  }
}

TEST_F(PlannerBatchScheduleTest, ARetriedBatchSchedulesNothingTwice) {
  v1::BatchSchedulePostsRequest req;
  for (int i = 0; i < 40; ++i)
    *req.add_requests() = Entry(absl::Hours(1 + i), absl::StrCat("r-", i));
  auto first = planner_->BatchSchedulePosts(publisher_, req);
  auto second = planner_->BatchSchedulePosts(publisher_, req);
  ASSERT_TRUE(first.ok() && second.ok());
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(first->results(i).code(), 0) << first->results(i).message();
    EXPECT_EQ(first->results(i).post().name(), second->results(i).post().name());
  }
  EXPECT_EQ(bus_.Published("carecast.post.scheduled").size(), 40u);
}

TEST_F(PlannerBatchScheduleTest, AnEmptyOrOversizedBatchIsRefusedAndChangesNothing) {
  auto before = Take();
  EXPECT_EQ(planner_->BatchSchedulePosts(publisher_, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::BatchSchedulePostsRequest big;
  for (int i = 0; i <= kMaxBatchSchedule; ++i)
    *big.add_requests() = Entry(absl::Hours(1), absl::StrCat("big-", i));
  auto refused = planner_->BatchSchedulePosts(publisher_, big);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("at most 1000"), std::string::npos);
  ExpectUnchanged(before, "malformed batches");
}

}  // namespace
}  // namespace carecast::planner
