// MetricsService.GetBestTimes and the weekly report's cadence suggestions, from
// events applied to ProgramFigures: the account's zone and cadence from its
// events, its posts' engagement from their readings.
#include "absl/strings/str_cat.h"
#include <gtest/gtest.h>

#include "services/common/base/clock.h"
#include "services/metrics/best_times.h"
#include "services/metrics/figure_labels.h"
#include "services/metrics/metrics_service.h"
#include "tests/unit/metrics/best_times_history.h"

namespace carecast::metrics {
namespace {

class BestTimesServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    input_ = testing::SuggestionInput();
    v1::SpokeCreated spoke;
    spoke.mutable_spoke()->set_name("spokes/north");
    ASSERT_TRUE(figures_.ApplySpokeCreated("spoke", input_.now, spoke).ok());
    v1::AccountCreated account;
    account.mutable_account()->set_name(testing::kAccount);
    account.mutable_account()->set_time_zone(testing::kZone);
    ASSERT_TRUE(figures_.ApplyAccountCreated("account", input_.now, account).ok());
    v1::CadenceChanged cadence;
    *cadence.mutable_cadence() = *input_.current_cadence;
    ASSERT_TRUE(figures_.ApplyCadenceChanged("cadence", input_.now, cadence).ok());
    // An older version arriving late changes nothing.
    v1::CadenceChanged older = cadence;
    older.mutable_cadence()->set_version(1);
    older.mutable_cadence()->clear_slots();
    ASSERT_EQ(*figures_.ApplyCadenceChanged("cadence-old", input_.now, older),
              ApplyResult::kDuplicate);
    for (size_t i = 0; i < input_.posts.size(); ++i) {
      const PostEngagementSample& sample = input_.posts[i];
      const std::string name = absl::StrCat("posts/b", i);
      v1::PostPublished published;
      published.mutable_post()->set_name(name);
      published.mutable_post()->set_account(testing::kAccount);
      published.mutable_post()->set_network(v1::NETWORK_FACEBOOK);
      *published.mutable_post()->mutable_published_time() = ToProto(sample.publish_time);
      ASSERT_TRUE(
          figures_.ApplyPostPublished(absl::StrCat("p", i), sample.publish_time, published).ok());
      v1::EngagementObserved reading;
      reading.set_post(name);
      reading.set_account(testing::kAccount);
      reading.set_network(v1::NETWORK_FACEBOOK);
      *reading.mutable_published_time() = ToProto(sample.publish_time);
      *reading.mutable_observe_time() = ToProto(sample.publish_time + absl::Hours(24));
      reading.set_impressions(sample.impressions);
      reading.set_likes(sample.interactions);
      reading.set_shares(0);
      reading.set_replies(0);
      reading.set_clicks(-1);
      ASSERT_TRUE(
          figures_.ApplyEngagementObserved(absl::StrCat("r", i), sample.publish_time, reading)
              .ok());
    }
  }

  BestTimesInput input_;
  ProgramFigures figures_;
};

TEST_F(BestTimesServiceTest, TheAnswerIsComputedFromTheAccountsEvents) {
  common::FakeClock clock(input_.now);
  MetricsService service(figures_, clock);
  v1::GetBestTimesRequest request;
  request.set_account(testing::kAccount);
  absl::StatusOr<v1::GetBestTimesResponse> best =
      service.GetBestTimes(request, common::SpokeScope::Only({"spokes/north"}));
  ASSERT_TRUE(best.ok()) << best.status();
  absl::StatusOr<v1::GetBestTimesResponse> direct = ComputeBestTimes(input_);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(best->SerializeAsString(), direct->SerializeAsString());
  EXPECT_EQ(best->time_zone(), testing::kZone);
  ASSERT_TRUE(best->has_suggested_cadence()) << best->suggestion_reason();
  EXPECT_EQ(best->suggested_cadence().expected_version(), input_.current_cadence->version());
  ASSERT_GE(best->best_hours_size(), 1);
  EXPECT_GT(best->best_hours(0).lift(), 1.5);  // 3x the base rate against a pooled 1.6x
}

TEST_F(BestTimesServiceTest, BadRequestsAreRefused) {
  common::FakeClock clock(input_.now);
  MetricsService service(figures_, clock);
  v1::GetBestTimesRequest request;
  for (const char* bad :
       {"", "north/clinic-fb", "spokes/north/accounts/", "spokes/North/accounts/a"}) {
    request.set_account(bad);
    EXPECT_EQ(service.GetBestTimes(request, common::SpokeScope::Hub()).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  request.set_account("spokes/north/accounts/unknown");
  EXPECT_EQ(service.GetBestTimes(request, common::SpokeScope::Hub()).status().code(),
            absl::StatusCode::kNotFound);
  request.set_account(testing::kAccount);
  EXPECT_EQ(
      service.GetBestTimes(request, common::SpokeScope::Only({"spokes/south"})).status().code(),
      absl::StatusCode::kPermissionDenied);
  request.set_top(169);
  EXPECT_EQ(service.GetBestTimes(request, common::SpokeScope::Hub()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(BestTimesServiceTest, TheWeeklyReportSuggestsTheCadenceChange) {
  common::FakeClock clock(input_.now);
  MetricsService service(figures_, clock);
  v1::GetWeeklyReportRequest request;
  request.set_spoke("spokes/north");
  absl::StatusOr<v1::WeeklyReport> report =
      service.GetWeeklyReport(request, common::SpokeScope::Hub());
  ASSERT_TRUE(report.ok()) << report.status();
  int moves = 0;
  for (const v1::ReportSuggestion& s : report->suggestions()) {
    if (s.kind() != v1::ReportSuggestion::KIND_MOVE_CADENCE) continue;
    ++moves;
    EXPECT_EQ(s.subject(), testing::kAccount);
    EXPECT_NE(s.text().find("moves"), std::string::npos) << s.text();
  }
  EXPECT_EQ(moves, 1);
}

}  // namespace
}  // namespace carecast::metrics
