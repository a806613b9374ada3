// Every suggested cadence is one the planner's SetCadence accepts: its name,
// rules (BuildCadence, the very check SetCadence runs) and request_id; and it
// keeps the number of slots a week. Over the fixed history of best_times_test
// and over 100 random histories and cadences (seeded, so the same every run).
#include <algorithm>
#include <cstdio>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include <gtest/gtest.h>

#include "services/metrics/best_times.h"
#include "services/planner/cadence_rules.h"
#include "services/planner/resource_names.h"
#include "services/planner/validation.h"
#include "tests/unit/metrics/best_times_history.h"

namespace carecast::metrics {
namespace {

using testing::kAccount;
using testing::kBaseRate;
using testing::kZone;

// Instances in the local week from `monday`.
size_t WeekCount(const v1::Cadence& cadence, absl::CivilDay monday) {
  absl::StatusOr<common::cadence::Cadence> built = planner::BuildCadence(cadence, kZone, {});
  EXPECT_TRUE(built.ok()) << built.status();
  if (!built.ok()) return 0;
  return built
      ->Slots(common::cadence::LocalToInstant(absl::CivilSecond(monday), built->zone()),
              common::cadence::LocalToInstant(absl::CivilSecond(monday + 7), built->zone()), 5000)
      .size();
}

void ExpectAccepted(const v1::SetCadenceRequest& request, const BestTimesInput& input) {
  EXPECT_TRUE(planner::ParseCadenceName("cadence.name", request.cadence().name()).ok());
  EXPECT_TRUE(planner::BuildCadence(request.cadence(), kZone, {}).ok())
      << planner::BuildCadence(request.cadence(), kZone, {}).status();
  EXPECT_TRUE(planner::CheckRequestId(request.request_id()).ok());
  EXPECT_FALSE(request.request_id().empty());
  EXPECT_EQ(request.expected_version(), input.current_cadence->version());
  // The week the suggestion starts: the Monday of its earliest series start,
  // after now.
  ASSERT_GT(request.cadence().slots_size(), 0);
  absl::CivilDay first = absl::CivilDay::max();
  for (const v1::CadenceSlot& slot : request.cadence().slots()) {
    absl::CivilDay day;
    ASSERT_TRUE(absl::ParseCivilTime(slot.start_local_time().substr(0, 10), &day));
    first = std::min(first, day);
  }
  const absl::CivilDay monday = absl::PrevWeekday(first + 1, absl::Weekday::monday);
  absl::TimeZone zone;
  absl::LoadTimeZone(kZone, &zone);
  EXPECT_GT(monday, absl::ToCivilDay(input.now, zone));
  EXPECT_EQ(WeekCount(request.cadence(), monday), WeekCount(*input.current_cadence, monday));
}

TEST(BestTimesPlannerCheckTest, SuggestionPassesSetCadenceChecks) {
  BestTimesInput input = testing::SuggestionInput();
  for (int cap : {0, 1, 3}) {
    input.current_cadence->set_daily_cap(cap);
    absl::StatusOr<v1::GetBestTimesResponse> response = ComputeBestTimes(input);
    ASSERT_TRUE(response.ok()) << response.status();
    ASSERT_TRUE(response->has_suggested_cadence()) << response->suggestion_reason();
    ExpectAccepted(response->suggested_cadence(), input);
  }
}

// A random cadence of 1 to 4 rules from a few shapes, at odd minutes too.
v1::Cadence RandomCadence(std::mt19937& rng) {
  v1::Cadence cadence = testing::FiveSlotCadence(1 + static_cast<int64_t>(rng() % 9));
  cadence.clear_slots();
  const int rules = 1 + static_cast<int>(rng() % 4);
  static const char* kDays[] = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"};
  for (int i = 0; i < rules; ++i) {
    const int hour = 6 + static_cast<int>(rng() % 16);
    const int minute = static_cast<int>(rng() % 4) * 15;
    v1::CadenceSlot* slot = cadence.add_slots();
    switch (rng() % 3) {
      case 0:
        slot->set_rrule(absl::StrCat("FREQ=DAILY;BYHOUR=", hour, ";BYMINUTE=", minute));
        break;
      case 1:
        slot->set_rrule(absl::StrCat("FREQ=WEEKLY;BYDAY=", kDays[rng() % 7], ",", kDays[rng() % 7],
                                     ";BYHOUR=", hour, ",", hour + 2, ";BYMINUTE=", minute));
        break;
      default:
        slot->set_rrule(
            absl::StrCat("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=", hour, ";BYMINUTE=", minute));
        break;
    }
    slot->set_start_local_time(absl::StrCat("2027-01-04T", hour < 10 ? "0" : "", hour, ":",
                                            minute < 10 ? "0" : "", minute, ":00"));
  }
  cadence.mutable_min_spacing()->set_seconds(static_cast<int64_t>(rng() % 4) * 1800);
  cadence.set_daily_cap(static_cast<int>(rng() % 4));
  return cadence;
}

TEST(BestTimesPlannerCheckTest, RandomHistoriesAndCadences) {
  std::mt19937 rng(2027);
  int suggested = 0;
  for (int round = 0; round < 100; ++round) {
    // 20 posting hours, each with its own true multiplier; 3 to 10 weeks.
    testing::WeeklyHours hours;
    std::map<std::pair<int, int>, double> multiplier;
    for (int i = 0; i < 20; ++i) {
      const std::pair<int, int> at{1 + static_cast<int>(rng() % 7),
                                   6 + static_cast<int>(rng() % 16)};
      hours.push_back(at);
      multiplier[at] = 0.5 + static_cast<double>(rng() % 300) / 100;
    }
    BestTimesInput input = testing::SuggestionInput();
    input.posts = testing::WeeklyHistory(
        absl::CivilDay(2027, 1, 4), 3 + static_cast<int>(rng() % 8), hours,
        [&](int day, int hour) {
          return kBaseRate * multiplier[{day, hour}];
        },
        kZone, rng());
    input.current_cadence = RandomCadence(rng);
    absl::StatusOr<v1::GetBestTimesResponse> response = ComputeBestTimes(input);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_FALSE(response->suggestion_reason().empty());
    if (!response->has_suggested_cadence()) continue;
    ++suggested;
    SCOPED_TRACE(absl::StrCat("round ", round, ": ", response->suggestion_reason()));
    ExpectAccepted(response->suggested_cadence(), input);
  }
  // Most random histories have a surely better hour to move a slot to.
  EXPECT_GT(suggested, 25) << suggested;
  std::printf("%d of 100 random histories gave a suggestion\n", suggested);
}

}  // namespace
}  // namespace carecast::metrics
