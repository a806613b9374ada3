// The calendar heals without its marker going missing: a reconciliation (at
// start, then every period) puts back posts, fixes scores and drops ids the
// posts bucket does not have.
#include <gtest/gtest.h>

#include "services/planner/calendar_index.h"
#include "tests/support/metric_values.h"
#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

class CalendarHealingTest : public PlannerFixture {
 protected:
  void SetUp() override {
    PlannerFixture::SetUp();
    MakeSpoke();
    x_ = MakeAccount(v1::NETWORK_X, "x-main");
    approved_ = ApprovedContent();
  }

  std::vector<std::string> Names() {
    v1::ListCalendarRequest req;
    *req.mutable_start_time() = In(absl::ZeroDuration());
    *req.mutable_end_time() = In(absl::Hours(24));
    req.set_page_size(100);
    auto resp = planner_->ListCalendar(writer_, req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    std::vector<std::string> names;
    if (resp.ok())
      for (const auto& p : resp->posts()) names.push_back(p.name());
    return names;
  }

  // What a DEL of the sorted set does: every member gone, the marker kept.
  void DeleteCalendarSet() {
    ASSERT_TRUE(planner_->WarmCalendar().ok());  // built, marker set
    auto members = index_.RangeByScore(kCalendarIndex, -kInf, kInf, 0, 100000);
    ASSERT_TRUE(members.ok());
    for (const auto& m : *members) ASSERT_TRUE(index_.Remove(kCalendarIndex, m.member).ok());
    ASSERT_TRUE(*index_.HasMarker(kCalendarMarker));
  }

  double Repairs(std::string_view kind) {
    return carecast::testing::SeriesValue(
               registry_, "carecast_index_repairs_total",
               {{"index", "planner_calendar"}, {"kind", std::string(kind)}})
        .value_or(-1);
  }

  v1::Account x_;
  v1::Content approved_;
};

TEST_F(CalendarHealingTest, ASetDeletedBehindItsMarkerIsListedAgainAfterOneReconciliation) {
  for (int hours : {3, 1, 2}) {
    ASSERT_TRUE(
        Schedule(approved_, x_.name(), absl::Hours(hours), "h" + std::to_string(hours)).ok());
  }
  DeleteCalendarSet();
  EXPECT_TRUE(Names().empty());  // the marker alone says "built"

  auto report = planner_->ReconcileCalendar();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->Total().added, 3);
  EXPECT_EQ(Names(), (std::vector<std::string>{"posts/h1", "posts/h2", "posts/h3"}));
  EXPECT_EQ(Repairs("added"), 3);
  EXPECT_EQ(Repairs("removed"), 0);
}

TEST_F(CalendarHealingTest, AnIdThePostsBucketDoesNotHaveIsRemovedAndAWrongScoreFixed) {
  ASSERT_TRUE(Schedule(approved_, x_.name(), absl::Hours(1), "h1").ok());
  ASSERT_TRUE(
      index_
          .Add(kCalendarIndex, {{"ghost", CalendarIndex::Score(clock_.Now())},
                                {"h1", CalendarIndex::Score(clock_.Now() + absl::Hours(9))}})
          .ok());
  auto report = planner_->ReconcileCalendar();
  ASSERT_TRUE(report.ok()) << report.status();
  auto members = index_.RangeByScore(kCalendarIndex, -kInf, kInf, 0, 10);
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ((*members)[0].member, "h1");
  EXPECT_EQ((*members)[0].score, CalendarIndex::Score(clock_.Now() + absl::Hours(1)));
  EXPECT_EQ(Repairs("removed"), 1);
  EXPECT_EQ(Repairs("fixed"), 1);
  bool logged = false;
  for (const auto& line : logger_.lines())
    logged = logged || line.message == "index reconciled with KV: repairs made";
  EXPECT_TRUE(logged);
}

TEST_F(CalendarHealingTest, WarmCalendarChecksTheSetEvenWhenItsMarkerIsThere) {
  ASSERT_TRUE(Schedule(approved_, x_.name(), absl::Hours(1), "h1").ok());
  DeleteCalendarSet();
  ASSERT_TRUE(planner_->WarmCalendar().ok());
  EXPECT_EQ(Names(), (std::vector<std::string>{"posts/h1"}));
}

TEST_F(CalendarHealingTest, TheBackgroundRunnerHealsWithinItsPeriod) {
  options_.index_reconcile_period = absl::Milliseconds(20);
  std::unique_ptr<Planner> planner = NewPlanner();
  ASSERT_TRUE(Schedule(approved_, x_.name(), absl::Hours(1), "h1").ok());
  DeleteCalendarSet();
  planner->StartIndexReconciliation();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (*index_.Count(kCalendarIndex, -kInf, kInf) == 0 && absl::Now() < deadline)
    absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(*index_.Count(kCalendarIndex, -kInf, kInf), 1);
  planner.reset();  // stops the runner
}

TEST_F(CalendarHealingTest, SeriesExistAtZeroFromTheStart) {
  for (std::string_view kind : {"added", "fixed", "removed"}) EXPECT_EQ(Repairs(kind), 0);
}

}  // namespace
}  // namespace carecast::planner
