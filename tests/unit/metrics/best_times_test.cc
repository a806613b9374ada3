// ComputeBestTimes on synthetic histories whose truth is known: the hours that
// engage three times as much come first and surely, a noisy hour of two posts
// is not ranked, local hours survive daylight saving, and the suggested cadence
// keeps the weekly slot count, respects the daily cap, passes the cadence
// library's checks (the ones SetCadence runs) and carries a deterministic
// request_id.
#include "services/metrics/best_times.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include <gtest/gtest.h>

#include "services/common/cadence/cadence.h"
#include "tests/unit/metrics/best_times_history.h"

namespace carecast::metrics {
namespace {

using testing::kAccount;
using testing::kBaseRate;
using testing::kZone;

absl::TimeZone Zone(const std::string& name = kZone) {
  absl::TimeZone zone;
  absl::LoadTimeZone(name, &zone);
  return zone;
}

BestTimesInput HistoryOnly(std::vector<PostEngagementSample> posts) {
  BestTimesInput input;
  input.account = kAccount;
  input.time_zone = kZone;
  input.posts = std::move(posts);
  input.now = absl::FromCivil(absl::CivilSecond(2027, 3, 1, 10, 0, 0), Zone());
  return input;
}

// The cadence's instances in the local week from `monday`, as local times.
std::vector<absl::CivilMinute> WeekOf(const v1::Cadence& cadence, absl::CivilDay monday) {
  common::cadence::CadenceSpec spec;
  spec.time_zone = kZone;
  for (const v1::CadenceSlot& slot : cadence.slots()) {
    absl::CivilSecond start;
    absl::CivilMinute minute;
    if (!absl::ParseCivilTime(slot.start_local_time(), &start)) {
      EXPECT_TRUE(absl::ParseCivilTime(slot.start_local_time(), &minute))
          << slot.start_local_time();
      start = absl::CivilSecond(minute);
    }
    spec.slots.push_back({.rrule = slot.rrule(), .start_local = start});
  }
  spec.min_spacing = absl::Seconds(cadence.min_spacing().seconds());
  spec.daily_cap = cadence.daily_cap();
  absl::StatusOr<common::cadence::Cadence> built = common::cadence::Cadence::Create(spec);
  EXPECT_TRUE(built.ok()) << built.status();
  if (!built.ok()) return {};
  std::vector<absl::CivilMinute> out;
  for (absl::Time at : built->Slots(absl::FromCivil(absl::CivilSecond(monday), Zone()),
                                    absl::FromCivil(absl::CivilSecond(monday + 7), Zone()), 1000)) {
    out.push_back(absl::ToCivilMinute(at, Zone()));
  }
  return out;
}

// "moves 2 of 5 weekly slots to Tue 12:00, Thu 12:00 where engagement runs
// 1.7x the account's usual rate": the lift, about 6% over 3.4%, is jittered.
void ExpectMoveReason(const std::string& reason) {
  constexpr absl::string_view kHead =
      "moves 2 of 5 weekly slots to Tue 12:00, Thu 12:00 where engagement runs ";
  constexpr absl::string_view kTail = "x the account's usual rate";
  ASSERT_TRUE(absl::StartsWith(reason, kHead) && absl::EndsWith(reason, kTail)) << reason;
  const std::string lift(reason.substr(kHead.size(), reason.size() - kHead.size() - kTail.size()));
  EXPECT_GE(std::stod(lift), 1.5) << reason;
  EXPECT_LE(std::stod(lift), 2.0) << reason;
}

TEST(BestTimesTest, FindsTheHourThatEngagesThreeTimesAsMuch) {
  const BestTimesInput input = HistoryOnly(testing::WeeklyHistory(
      absl::CivilDay(2027, 1, 4), 8, testing::SevenWeeklyHours(),
      [](int day, int hour) { return day == 2 && hour == 12 ? 3 * kBaseRate : kBaseRate; }));
  absl::StatusOr<v1::GetBestTimesResponse> response = ComputeBestTimes(input);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->account(), kAccount);
  EXPECT_EQ(response->time_zone(), kZone);
  EXPECT_EQ(response->posts(), 56);
  EXPECT_NEAR(response->engagement_rate(), kBaseRate * 9 / 7, 0.003);
  ASSERT_GE(response->best_hours_size(), 1);
  const v1::HourOfWeek& best = response->best_hours(0);
  EXPECT_EQ(best.day_of_week(), 2);
  EXPECT_EQ(best.hour(), 12);
  EXPECT_EQ(best.posts(), 8);
  EXPECT_NEAR(best.engagement_rate(), 3 * kBaseRate, 0.006);
  EXPECT_NEAR(best.lift(), 3.0 * 7 / 9, 0.3);
  EXPECT_GT(best.confidence(), 0.99);
  for (const v1::HourOfWeek& hour : response->best_hours()) {
    EXPECT_GT(hour.lift(), 1.0);
    EXPECT_GE(hour.posts(), kMinPostsPerHour);
    // The ordinary hours never look surely better.
    if (hour.day_of_week() != 2 || hour.hour() != 12) {
      EXPECT_LT(hour.confidence(), 0.8);
    }
  }
  // No cadence: no suggestion, and it says so.
  EXPECT_FALSE(response->has_suggested_cadence());
  EXPECT_EQ(response->suggestion_reason(), "the account has no cadence to change");
}

TEST(BestTimesTest, NoisyHourOfTwoPostsIsNotRanked) {
  BestTimesInput input = HistoryOnly(testing::WeeklyHistory(
      absl::CivilDay(2027, 1, 4), 8, testing::SevenWeeklyHours(),
      [](int day, int hour) { return day == 2 && hour == 12 ? 3 * kBaseRate : kBaseRate; }));
  // Sunday 20:00 twice: ten times the usual rate, then about the usual rate.
  std::mt19937 rng(3);
  input.posts.push_back(
      testing::MakePost(absl::CivilSecond(2027, 1, 10, 20, 0, 0), kZone, 10 * kBaseRate, rng));
  input.posts.push_back(
      testing::MakePost(absl::CivilSecond(2027, 2, 14, 20, 0, 0), kZone, kBaseRate, rng));
  input.top = kMaxTop;
  absl::StatusOr<v1::GetBestTimesResponse> response = ComputeBestTimes(input);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->posts(), 58);
  ASSERT_GE(response->best_hours_size(), 1);
  EXPECT_EQ(response->best_hours(0).day_of_week(), 2);
  EXPECT_EQ(response->best_hours(0).hour(), 12);
  for (const v1::HourOfWeek& hour : response->best_hours()) {
    EXPECT_FALSE(hour.day_of_week() == 7 && hour.hour() == 20) << "a bucket of 2 posts ranked";
  }
}

TEST(BestTimesTest, TopDefaultsToFiveAndBoundsAreChecked) {
  // Every weekday hour from 9 to 16 engaging a little more each hour, 4 weeks.
  testing::WeeklyHours hours;
  for (int day = 1; day <= 5; ++day) {
    for (int hour = 9; hour <= 16; ++hour) hours.emplace_back(day, hour);
  }
  BestTimesInput input = HistoryOnly(
      testing::WeeklyHistory(absl::CivilDay(2027, 1, 4), 4, hours,
                             [](int day, int hour) { return kBaseRate * (1 + 0.2 * (hour - 9)); }));
  absl::StatusOr<v1::GetBestTimesResponse> response = ComputeBestTimes(input);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->best_hours_size(), kDefaultTop);
  for (int i = 1; i < response->best_hours_size(); ++i) {
    EXPECT_GE(response->best_hours(i - 1).lift(), response->best_hours(i).lift());
  }
  input.top = 1;
  ASSERT_TRUE(ComputeBestTimes(input).ok());
  EXPECT_EQ(ComputeBestTimes(input)->best_hours_size(), 1);
  input.top = kMaxTop;
  ASSERT_TRUE(ComputeBestTimes(input).ok());
  for (int bad : {-1, kMaxTop + 1}) {
    input.top = bad;
    EXPECT_TRUE(absl::IsInvalidArgument(ComputeBestTimes(input).status())) << bad;
  }
}

TEST(BestTimesTest, RefusesMalformedAccountsAndUnknownZones) {
  BestTimesInput input = HistoryOnly({});
  for (const char* bad : {"", "accounts/a", "spokes/north/accounts/", "spokes/North/accounts/a",
                          "spokes/north/accounts/a/cadence", "spokes/north/users/a"}) {
    input.account = bad;
    EXPECT_TRUE(absl::IsInvalidArgument(ComputeBestTimes(input).status())) << bad;
  }
  input.account = kAccount;
  for (const char* bad : {"", "Mars/Olympus_Mons", "not a zone"}) {
    input.time_zone = bad;
    EXPECT_TRUE(absl::IsInvalidArgument(ComputeBestTimes(input).status())) << bad;
  }
  input.time_zone = kZone;
  v1::Cadence other = testing::FiveSlotCadence();
  other.set_name("spokes/north/accounts/other/cadence");
  input.current_cadence = other;
  EXPECT_TRUE(absl::IsInvalidArgument(ComputeBestTimes(input).status()));
  // An empty history is no error: nothing to rank, nothing to suggest.
  input.current_cadence.reset();
  absl::StatusOr<v1::GetBestTimesResponse> response = ComputeBestTimes(input);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->posts(), 0);
  EXPECT_EQ(response->engagement_rate(), 0);
  EXPECT_EQ(response->best_hours_size(), 0);
}

TEST(BestTimesTest, PostsWithoutImpressionsOrInteractionsAreIgnored) {
  BestTimesInput input = testing::SuggestionInput();
  const absl::StatusOr<v1::GetBestTimesResponse> clean = ComputeBestTimes(input);
  ASSERT_TRUE(clean.ok()) << clean.status();
  const absl::Time tue_noon = absl::FromCivil(absl::CivilSecond(2027, 2, 2, 12, 0, 0), Zone());
  const absl::Time sun_night = absl::FromCivil(absl::CivilSecond(2027, 2, 7, 23, 0, 0), Zone());
  // Impressions not reported, zero impressions, interactions not reported: the
  // Tuesday ones would drag the best hour down, the Sunday ones would rank.
  input.posts.push_back({.publish_time = tue_noon, .impressions = -1, .interactions = 0});
  input.posts.push_back({.publish_time = tue_noon, .impressions = 0, .interactions = 0});
  input.posts.push_back({.publish_time = tue_noon, .impressions = 5000, .interactions = -1});
  for (int i = 0; i < 5; ++i) {
    input.posts.push_back({.publish_time = sun_night, .impressions = -1, .interactions = 900});
  }
  const absl::StatusOr<v1::GetBestTimesResponse> noisy = ComputeBestTimes(input);
  ASSERT_TRUE(noisy.ok()) << noisy.status();
  EXPECT_EQ(noisy->posts(), clean->posts());
  EXPECT_EQ(noisy->engagement_rate(), clean->engagement_rate());
  ASSERT_EQ(noisy->best_hours_size(), clean->best_hours_size());
  for (int i = 0; i < noisy->best_hours_size(); ++i) {
    EXPECT_EQ(noisy->best_hours(i).SerializeAsString(), clean->best_hours(i).SerializeAsString());
  }
  EXPECT_EQ(noisy->suggested_cadence().SerializeAsString(),
            clean->suggested_cadence().SerializeAsString());
}

TEST(BestTimesTest, DaylightSavingKeepsLocalHours) {
  // Tuesday 12:00 and Wednesday 08:00 in Chicago from January to the end of
  // April 2027: across the change of 14 March, 18:00 UTC becomes 17:00 UTC.
  const BestTimesInput input = HistoryOnly(testing::WeeklyHistory(
      absl::CivilDay(2027, 1, 4), 17, {{2, 12}, {3, 8}},
      [](int day, int hour) { return day == 2 ? 3 * kBaseRate : kBaseRate; }));
  absl::StatusOr<v1::GetBestTimesResponse> response = ComputeBestTimes(input);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->best_hours_size(), 1);
  EXPECT_EQ(response->best_hours(0).day_of_week(), 2);
  EXPECT_EQ(response->best_hours(0).hour(), 12);
  EXPECT_EQ(response->best_hours(0).posts(), 17);
  EXPECT_GT(response->best_hours(0).confidence(), 0.99);

  // The same posts read in UTC split across two hours (18:00 before the change,
  // 17:00 after it): local time is what counts.
  BestTimesInput utc = input;
  utc.time_zone = "UTC";
  response = ComputeBestTimes(utc);
  ASSERT_TRUE(response.ok()) << response.status();
  std::map<int, int64_t> tuesday_posts;
  for (const v1::HourOfWeek& hour : response->best_hours()) {
    if (hour.day_of_week() == 2) tuesday_posts[hour.hour()] = hour.posts();
  }
  EXPECT_EQ(tuesday_posts[18], 10);  // 5 January to 9 March
  EXPECT_EQ(tuesday_posts[17], 7);   // 16 March to 27 April
}

TEST(BestTimesTest, NoSuggestionBelowTheHistoryThreshold) {
  BestTimesInput input = testing::SuggestionInput();
  input.posts.resize(12);
  absl::StatusOr<v1::GetBestTimesResponse> response = ComputeBestTimes(input);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_FALSE(response->has_suggested_cadence());
  EXPECT_EQ(response->suggestion_reason(), "12 posts with readings; 20 are needed");

  // Enough posts, but all in one local week.
  input.posts = testing::WeeklyHistory(
      absl::CivilDay(2027, 1, 4), 1,
      {{1, 9},  {1, 10}, {2, 9},  {2, 10}, {3, 9},  {3, 10}, {4, 9},  {4, 10},
       {5, 9},  {5, 10}, {6, 9},  {6, 10}, {7, 9},  {7, 10}, {1, 11}, {2, 11},
       {3, 11}, {4, 11}, {5, 11}, {6, 11}, {7, 11}, {7, 12}},
      testing::ThreeGoodHours);
  response = ComputeBestTimes(input);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_FALSE(response->has_suggested_cadence());
  EXPECT_EQ(response->suggestion_reason(), "the 22 posts with readings span 1 week; 2 are needed");

  // Enough history where no hour is better than another: nothing to move.
  input.posts = testing::WeeklyHistory(absl::CivilDay(2027, 1, 4), 8, testing::SevenWeeklyHours(),
                                       [](int, int) { return kBaseRate; });
  response = ComputeBestTimes(input);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_FALSE(response->has_suggested_cadence());
  EXPECT_TRUE(absl::StartsWith(response->suggestion_reason(), "no hour of the week beats"))
      << response->suggestion_reason();
}

TEST(BestTimesTest, SuggestionMovesWeakSlotsKeepsCountAndValidates) {
  const BestTimesInput input = testing::SuggestionInput();
  absl::StatusOr<v1::GetBestTimesResponse> response = ComputeBestTimes(input);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_TRUE(response->has_suggested_cadence()) << response->suggestion_reason();
  // Wednesday and Friday 9:00, the worst hours, go to the best free ones;
  // Monday 9:00 is already among the best and stays, so do the afternoons.
  ExpectMoveReason(response->suggestion_reason());
  const v1::SetCadenceRequest& request = response->suggested_cadence();
  EXPECT_EQ(request.expected_version(), 4);
  EXPECT_EQ(request.cadence().name(), std::string(kAccount) + "/cadence");
  EXPECT_EQ(request.cadence().min_spacing().seconds(), 3600);
  EXPECT_EQ(request.cadence().daily_cap(), 0);
  ASSERT_EQ(request.cadence().slots_size(), 3);
  EXPECT_EQ(request.cadence().slots(0).rrule(), "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0");
  EXPECT_EQ(request.cadence().slots(0).start_local_time(), "2027-03-15T09:00:00");
  EXPECT_EQ(request.cadence().slots(1).rrule(), "FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=12;BYMINUTE=0");
  EXPECT_EQ(request.cadence().slots(1).start_local_time(), "2027-03-16T12:00:00");
  EXPECT_EQ(request.cadence().slots(2).rrule(), "FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=16;BYMINUTE=30");
  EXPECT_EQ(request.cadence().slots(2).start_local_time(), "2027-03-16T16:30:00");

  // Five a week, as before, from its first week to the week clocks go back.
  for (absl::CivilDay monday : {absl::CivilDay(2027, 3, 15), absl::CivilDay(2027, 11, 1)}) {
    const std::vector<absl::CivilMinute> week = WeekOf(request.cadence(), monday);
    ASSERT_EQ(week.size(), 5u) << monday;
    const auto at = [&](int days, int hour, int minute) {
      const absl::CivilDay day = monday + days;
      return absl::CivilMinute(day.year(), day.month(), day.day(), hour, minute);
    };
    const std::vector<absl::CivilMinute> want = {at(0, 9, 0), at(1, 12, 0), at(1, 16, 30),
                                                 at(3, 12, 0), at(3, 16, 30)};
    EXPECT_EQ(week, want) << monday;
  }
  // The old cadence gave five too.
  EXPECT_EQ(WeekOf(*input.current_cadence, absl::CivilDay(2027, 3, 15)).size(), 5u);
}

TEST(BestTimesTest, SuggestionKeepsTheDailyCap) {
  BestTimesInput input = testing::SuggestionInput();
  input.current_cadence->set_daily_cap(1);
  absl::StatusOr<v1::GetBestTimesResponse> response = ComputeBestTimes(input);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_TRUE(response->has_suggested_cadence()) << response->suggestion_reason();
  EXPECT_EQ(response->suggested_cadence().cadence().daily_cap(), 1);
  // Wednesday's slot cannot go to Thursday noon while Thursday 16:30 stays:
  // the Tuesday and Thursday afternoon slots move instead.
  const std::vector<absl::CivilMinute> week =
      WeekOf(response->suggested_cadence().cadence(), absl::CivilDay(2027, 3, 15));
  ASSERT_EQ(week.size(), 5u);
  std::set<absl::CivilDay> days;
  for (absl::CivilMinute m : week) EXPECT_TRUE(days.insert(absl::CivilDay(m)).second) << m;
  ExpectMoveReason(response->suggestion_reason());
  EXPECT_EQ(week[2], absl::CivilMinute(2027, 3, 17, 9, 0));  // Wednesday 9:00 kept
}

TEST(BestTimesTest, NoSuggestionWhenTheSlotsAlreadySitInTheBestHours) {
  BestTimesInput input = testing::SuggestionInput();
  v1::Cadence cadence = testing::FiveSlotCadence();
  cadence.clear_slots();
  v1::CadenceSlot* slot = cadence.add_slots();
  slot->set_rrule("FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=12;BYMINUTE=15");
  slot->set_start_local_time("2027-01-05T12:15:00");
  input.current_cadence = cadence;
  absl::StatusOr<v1::GetBestTimesResponse> response = ComputeBestTimes(input);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_FALSE(response->has_suggested_cadence());
  EXPECT_TRUE(absl::StartsWith(response->suggestion_reason(), "the 2 weekly slots already sit"))
      << response->suggestion_reason();
}

TEST(BestTimesTest, SuggestionSkipsTheWeekClocksChange) {
  // A 02:30 slot every day: on 14 March 2027 Chicago jumps from 02:00 to 03:00
  // and that slot is 03:30. Counted in that week it would become a Sunday
  // 03:30 slot for good; the suggestion is made for the week after.
  BestTimesInput input = testing::SuggestionInput();
  v1::Cadence cadence = testing::FiveSlotCadence();
  cadence.clear_slots();
  v1::CadenceSlot* slot = cadence.add_slots();
  slot->set_rrule("FREQ=DAILY;BYHOUR=2;BYMINUTE=30");
  slot->set_start_local_time("2027-01-04T02:30:00");
  input.current_cadence = cadence;
  absl::StatusOr<v1::GetBestTimesResponse> response = ComputeBestTimes(input);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_TRUE(response->has_suggested_cadence()) << response->suggestion_reason();
  EXPECT_TRUE(absl::StartsWith(response->suggestion_reason(), "moves 3 of 7 weekly slots to "))
      << response->suggestion_reason();
  const v1::Cadence& suggested = response->suggested_cadence().cadence();
  for (const v1::CadenceSlot& s : suggested.slots()) {
    EXPECT_FALSE(absl::StrContains(s.rrule(), "BYHOUR=3")) << s.rrule();
    EXPECT_GE(s.start_local_time(), "2027-03-15") << s.start_local_time();
  }
  const std::vector<absl::CivilMinute> week = WeekOf(suggested, absl::CivilDay(2027, 3, 15));
  ASSERT_EQ(week.size(), 7u);
  EXPECT_EQ(std::count_if(week.begin(), week.end(),
                          [](absl::CivilMinute m) { return m.hour() == 2 && m.minute() == 30; }),
            4);
}

TEST(BestTimesTest, RequestIdIsDeterministic) {
  const BestTimesInput input = testing::SuggestionInput();
  const absl::StatusOr<v1::GetBestTimesResponse> first = ComputeBestTimes(input);
  const absl::StatusOr<v1::GetBestTimesResponse> second = ComputeBestTimes(input);
  ASSERT_TRUE(first.ok() && second.ok());
  const std::string& id = first->suggested_cadence().request_id();
  EXPECT_TRUE(absl::StartsWith(id, "best-times-")) << id;
  EXPECT_EQ(id.size(), 11u + 32u);
  EXPECT_EQ(id, second->suggested_cadence().request_id());
  EXPECT_EQ(first->SerializeAsString(), second->SerializeAsString());
  EXPECT_EQ(id, SuggestionRequestId(kAccount, 4, first->suggested_cadence().cadence()));
  // Another version, or another cadence, is another change.
  EXPECT_NE(id, SuggestionRequestId(kAccount, 5, first->suggested_cadence().cadence()));
  v1::Cadence other = first->suggested_cadence().cadence();
  other.set_daily_cap(2);
  EXPECT_NE(id, SuggestionRequestId(kAccount, 4, other));
  BestTimesInput later = input;
  later.current_cadence->set_version(5);
  const absl::StatusOr<v1::GetBestTimesResponse> third = ComputeBestTimes(later);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->suggested_cadence().expected_version(), 5);
  EXPECT_NE(third->suggested_cadence().request_id(), id);
}

TEST(BestTimesTest, CadenceThatCannotBeReadGivesNoSuggestion) {
  BestTimesInput input = testing::SuggestionInput();
  input.current_cadence->mutable_slots(0)->set_start_local_time("next tuesday");
  absl::StatusOr<v1::GetBestTimesResponse> response = ComputeBestTimes(input);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_FALSE(response->has_suggested_cadence());
  EXPECT_TRUE(absl::StartsWith(response->suggestion_reason(), "the current cadence cannot be read"))
      << response->suggestion_reason();
  EXPECT_GE(response->best_hours_size(), 3);
}

}  // namespace
}  // namespace carecast::metrics
