// The calendar: a Redis index over the posts bucket that survives a wipe.
#include "services/planner/calendar_index.h"
#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

class PlannerCalendarTest : public PlannerFixture {
 protected:
  void SetUp() override {
    PlannerFixture::SetUp();
    MakeSpoke();
    x_ = MakeAccount(v1::NETWORK_X, "x-main");
    approved_ = ApprovedContent();
  }

  std::vector<std::string> Names(absl::Duration from, absl::Duration to, int page_size = 0) {
    std::vector<std::string> names;
    v1::ListCalendarRequest req;
    *req.mutable_start_time() = In(from);
    *req.mutable_end_time() = In(to);
    req.set_page_size(page_size);
    for (int pages = 0; pages < 100; ++pages) {
      auto resp = planner_->ListCalendar(writer_, req);
      EXPECT_TRUE(resp.ok()) << resp.status();
      if (!resp.ok()) break;
      for (const auto& p : resp->posts()) names.push_back(p.name());
      if (resp->next_page_token().empty()) break;
      req.set_page_token(resp->next_page_token());
    }
    return names;
  }

  v1::Account x_;
  v1::Content approved_;
};

TEST_F(PlannerCalendarTest, ListsARangeEarliestFirstAcrossPages) {
  for (int hours : {5, 1, 3, 2, 4}) {
    ASSERT_TRUE(
        Schedule(approved_, x_.name(), absl::Hours(hours), "h" + std::to_string(hours)).ok());
  }
  EXPECT_EQ(Names(absl::ZeroDuration(), absl::Hours(24), 2),
            (std::vector<std::string>{"posts/h1", "posts/h2", "posts/h3", "posts/h4", "posts/h5"}));
  // [start, end): a post exactly at end_time is outside, one at start_time inside.
  EXPECT_EQ(Names(absl::Hours(2), absl::Hours(4)),
            (std::vector<std::string>{"posts/h2", "posts/h3"}));
  EXPECT_TRUE(Names(absl::Hours(6), absl::Hours(7)).empty());
}

TEST_F(PlannerCalendarTest, RebuildsTheIndexAfterRedisIsWiped) {
  for (int hours : {3, 1, 2}) {
    ASSERT_TRUE(
        Schedule(approved_, x_.name(), absl::Hours(hours), "h" + std::to_string(hours)).ok());
  }
  index_.Wipe();
  EXPECT_EQ(Names(absl::ZeroDuration(), absl::Hours(24)),
            (std::vector<std::string>{"posts/h1", "posts/h2", "posts/h3"}));
  EXPECT_TRUE(*index_.HasMarker(kCalendarMarker));
  // A second planner replica sees the rebuilt index without rebuilding again.
  auto count = index_.Count(kCalendarIndex, 0, 1e18);
  EXPECT_EQ(*count, 3);
}

TEST_F(PlannerCalendarTest, RedisDownRefusesSchedulingBeforeAnythingChanges) {
  index_.FailAll(absl::UnavailableError("redis down"));
  auto before = Take();
  auto post = Schedule(approved_, x_.name(), absl::Hours(1));
  EXPECT_EQ(post.status().code(), absl::StatusCode::kUnavailable);
  ExpectUnchanged(before, "schedule with Redis down");
  v1::ListCalendarRequest req;
  *req.mutable_start_time() = In(absl::ZeroDuration());
  *req.mutable_end_time() = In(absl::Hours(2));
  EXPECT_EQ(planner_->ListCalendar(writer_, req).status().code(), absl::StatusCode::kUnavailable);
  index_.FailAll(absl::OkStatus());
  EXPECT_TRUE(Schedule(approved_, x_.name(), absl::Hours(1)).ok());
}

TEST_F(PlannerCalendarTest, SkipsIndexedIdsThatNeverReachedTheBucket) {
  ASSERT_TRUE(Schedule(approved_, x_.name(), absl::Hours(1), "real").ok());
  ASSERT_TRUE(
      index_
          .Add(kCalendarIndex, {{"ghost", CalendarIndex::Score(clock_.Now() + absl::Minutes(90))}})
          .ok());
  EXPECT_EQ(Names(absl::ZeroDuration(), absl::Hours(24)), std::vector<std::string>{"posts/real"});
}

TEST_F(PlannerCalendarTest, AFailedScheduleWithATakenIdDoesNotMoveTheExistingPost) {
  ASSERT_TRUE(Schedule(approved_, x_.name(), absl::Hours(1), "p").ok());
  EXPECT_EQ(Schedule(approved_, x_.name(), absl::Hours(9), "p").status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Names(absl::ZeroDuration(), absl::Hours(2)), std::vector<std::string>{"posts/p"});
}

TEST_F(PlannerCalendarTest, ARetriedScheduleWithTheSameRequestIdMakesOnePost) {
  v1::SchedulePostRequest req = ScheduleRequest(approved_, x_.name(), absl::Hours(1), "sched-1");
  auto first = planner_->SchedulePost(publisher_, req);
  auto second = planner_->SchedulePost(publisher_, req);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->post().name(), second->post().name());
  EXPECT_EQ(bus_.Published("carecast.post.scheduled").size(), 1u);
  EXPECT_EQ(Names(absl::ZeroDuration(), absl::Hours(2)).size(), 1u);
}

}  // namespace
}  // namespace carecast::planner
