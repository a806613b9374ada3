#include "services/metrics/metrics_service.h"

#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "services/common/base/clock.h"
#include "tests/unit/metrics/metrics_test_events.h"

namespace carecast::metrics {
namespace {

using test_events::Failed;
using test_events::Mention;
using test_events::Objective;
using test_events::Published;
using test_events::T0;

class MetricsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(figures_
                    .ApplyObjectiveCreated("o1", T0(),
                                           Objective("objectives/posts", v1::KPI_POSTS_PUBLISHED, 2,
                                                     T0(), T0() + absl::Hours(1)))
                    .ok());
    ASSERT_TRUE(figures_
                    .ApplyObjectiveCreated("o2", T0(),
                                           Objective("objectives/reach", v1::KPI_REACH, 100, T0(),
                                                     T0() + absl::Hours(1)))
                    .ok());
    ASSERT_TRUE(
        figures_
            .ApplyPostPublished(
                "e1", T0(), Published("posts/1", "spokes/a/accounts/b", v1::NETWORK_SANDBOX, T0()))
            .ok());
    ASSERT_TRUE(
        figures_
            .ApplyPostFailed("e2", T0(), Failed("posts/2", v1::NETWORK_X, v1::POST_STATE_FAILED))
            .ok());
    ASSERT_TRUE(
        figures_
            .ApplyMentionClassified(
                "e3", T0(), Mention("mentions/1", v1::NETWORK_X, v1::SENTIMENT_NEUTRAL, T0()))
            .ok());
  }
  common::FakeClock clock_{T0() + absl::Minutes(5)};
  ProgramFigures figures_;
  MetricsService service_{figures_, clock_};
};

TEST_F(MetricsServiceTest, ObjectiveProgress) {
  absl::StatusOr<v1::ObjectiveProgress> p = service_.GetObjectiveProgress("objectives/posts");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->objective(), "objectives/posts");
  EXPECT_EQ(p->kpi(), v1::KPI_POSTS_PUBLISHED);
  EXPECT_DOUBLE_EQ(p->target(), 2);
  EXPECT_DOUBLE_EQ(p->current(), 1);
  EXPECT_DOUBLE_EQ(p->progress_ratio(), 0.5);
  EXPECT_EQ(ToTime(p->compute_time()), clock_.Now());
}

TEST_F(MetricsServiceTest, MalformedNamesAreInvalidArguments) {
  for (const char* name : {"", "objectives/", "objectives", "posts/1", "objectives/UPPER",
                           "objectives/a/b", "objectives/-x", " objectives/posts"}) {
    EXPECT_EQ(service_.GetObjectiveProgress(name).status().code(),
              absl::StatusCode::kInvalidArgument)
        << name;
  }
}

TEST_F(MetricsServiceTest, UnknownObjectiveIsNotFound) {
  EXPECT_EQ(service_.GetObjectiveProgress("objectives/nope").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(MetricsServiceTest, EveryValidKpiIsMeasured) {
  // Reach with no engagement read yet is 0, not UNIMPLEMENTED.
  absl::StatusOr<v1::ObjectiveProgress> reach = service_.GetObjectiveProgress("objectives/reach");
  ASSERT_TRUE(reach.ok()) << reach.status();
  EXPECT_DOUBLE_EQ(reach->current(), 0);
  for (int k = v1::Kpi_MIN + 1; k <= v1::Kpi_MAX; ++k) {
    const std::string name = absl::StrCat("objectives/kpi-", k);
    ASSERT_TRUE(figures_
                    .ApplyObjectiveCreated(
                        absl::StrCat("ok", k), T0(),
                        Objective(name, static_cast<v1::Kpi>(k), 1, T0(), T0() + absl::Hours(1)))
                    .ok());
    EXPECT_TRUE(service_.GetObjectiveProgress(name).ok()) << v1::Kpi_Name(k);
  }
}

TEST_F(MetricsServiceTest, KpiUnknownToThisBuildIsUnimplemented) {
  ASSERT_TRUE(figures_
                  .ApplyObjectiveCreated("o9", T0(),
                                         Objective("objectives/later", static_cast<v1::Kpi>(999), 1,
                                                   T0(), T0() + absl::Hours(1)))
                  .ok());
  EXPECT_EQ(service_.GetObjectiveProgress("objectives/later").status().code(),
            absl::StatusCode::kUnimplemented);
}

TEST_F(MetricsServiceTest, ProgramSummary) {
  v1::GetProgramSummaryResponse s = service_.GetProgramSummary();
  ASSERT_EQ(s.posts_published_size(), 1);
  EXPECT_EQ(s.posts_published(0).label(), "sandbox");
  EXPECT_EQ(s.posts_published(0).count(), 1);
  ASSERT_EQ(s.posts_failed_size(), 1);
  EXPECT_EQ(s.posts_failed(0).label(), "x/failed");
  ASSERT_EQ(s.mentions_size(), 1);
  EXPECT_EQ(s.mentions(0).label(), "neutral");
  EXPECT_EQ(s.open_inbox_items(), 0);
  ASSERT_EQ(s.objectives_size(), 2);  // sorted by name
  EXPECT_EQ(s.objectives(0).objective(), "objectives/posts");
  EXPECT_EQ(s.objectives(1).objective(), "objectives/reach");
}

}  // namespace
}  // namespace carecast::metrics
