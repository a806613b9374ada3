// Business-hours arithmetic: within a day, overnight, weekends, starts outside
// the hours, DST changes (a 23-hour and a 25-hour day, an opening in the
// skipped hour), business days, and every parse error.
#include "services/listener/business_hours.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace carecast::listener {
namespace {

using ::testing::HasSubstr;

BusinessHours Hours(std::string_view spec) {
  absl::StatusOr<BusinessHours> hours = ParseBusinessHours(spec);
  EXPECT_TRUE(hours.ok()) << hours.status();
  return hours.ok() ? *hours : BusinessHours();
}

absl::Time At(const BusinessHours& h, int y, int mo, int d, int hh, int mm = 0) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, hh, mm), h.zone);
}

absl::Time Utc(int y, int mo, int d, int hh, int mm = 0) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, hh, mm), absl::UTCTimeZone());
}

class ChicagoWeekdays : public ::testing::Test {
 protected:
  // 2026-03-03 is a Tuesday; 2026-03-06 a Friday.
  const BusinessHours h_ = Hours("America/Chicago Mon-Fri 08:00-17:00");
};

TEST_F(ChicagoWeekdays, WithinOneDay) {
  EXPECT_EQ(AddBusinessTime(At(h_, 2026, 3, 3, 10), absl::Hours(4), h_), At(h_, 2026, 3, 3, 14));
  // Exactly to the close.
  EXPECT_EQ(AddBusinessTime(At(h_, 2026, 3, 3, 13), absl::Hours(4), h_), At(h_, 2026, 3, 3, 17));
}

TEST_F(ChicagoWeekdays, OvernightCarriesTheRestToTheNextOpening) {
  EXPECT_EQ(AddBusinessTime(At(h_, 2026, 3, 3, 15), absl::Hours(4), h_), At(h_, 2026, 3, 4, 10));
}

TEST_F(ChicagoWeekdays, WeekendsDoNotCount) {
  EXPECT_EQ(AddBusinessTime(At(h_, 2026, 3, 6, 16), absl::Hours(4), h_), At(h_, 2026, 3, 9, 11));
  // One hour on Friday and Monday's nine fill it exactly.
  EXPECT_EQ(AddBusinessTime(At(h_, 2026, 3, 6, 16), absl::Hours(10), h_), At(h_, 2026, 3, 9, 17));
  EXPECT_EQ(AddBusinessTime(At(h_, 2026, 3, 6, 16), absl::Hours(11), h_), At(h_, 2026, 3, 10, 9));
}

TEST_F(ChicagoWeekdays, StartsOutsideTheHoursBeginAtTheNextOpening) {
  EXPECT_EQ(AddBusinessTime(At(h_, 2026, 3, 7, 12), absl::Hours(1), h_), At(h_, 2026, 3, 9, 9));
  EXPECT_EQ(AddBusinessTime(At(h_, 2026, 3, 9, 6), absl::Hours(1), h_), At(h_, 2026, 3, 9, 9));
  EXPECT_EQ(AddBusinessTime(At(h_, 2026, 3, 9, 19), absl::Minutes(30), h_),
            At(h_, 2026, 3, 10, 8, 30));
}

TEST_F(ChicagoWeekdays, NothingToAddIsTheStart) {
  const absl::Time saturday = At(h_, 2026, 3, 7, 12);
  EXPECT_EQ(AddBusinessTime(saturday, absl::ZeroDuration(), h_), saturday);
  EXPECT_EQ(AddBusinessDays(saturday, 0, h_), saturday);
}

TEST_F(ChicagoWeekdays, BusinessDays) {
  // Same business time the next open day.
  EXPECT_EQ(AddBusinessDays(At(h_, 2026, 3, 3, 10), 1, h_), At(h_, 2026, 3, 4, 10));
  EXPECT_EQ(AddBusinessDays(At(h_, 2026, 3, 5, 10), 2, h_), At(h_, 2026, 3, 9, 10));
  // Friday evening: the close of the next open day, Monday.
  EXPECT_EQ(AddBusinessDays(At(h_, 2026, 3, 6, 18), 1, h_), At(h_, 2026, 3, 9, 17));
  // Before the opening: that day's close.
  EXPECT_EQ(AddBusinessDays(At(h_, 2026, 3, 9, 7), 1, h_), At(h_, 2026, 3, 9, 17));
}

TEST(BusinessHoursTest, BusinessDayOntoAShorterDayEndsAtItsClose) {
  const BusinessHours h = Hours("America/Chicago Mon-Fri 08:00-17:00, Sat 09:00-12:00");
  // Eight hours into Friday; Saturday has only three.
  EXPECT_EQ(AddBusinessDays(At(h, 2026, 3, 6, 16), 1, h), At(h, 2026, 3, 7, 12));
  EXPECT_EQ(AddBusinessDays(At(h, 2026, 3, 6, 9), 1, h), At(h, 2026, 3, 7, 10));
}

TEST(BusinessHoursTest, SpringForwardDayCountsTheHoursItReallyHas) {
  // 2026-03-08: Chicago skips 02:00-03:00 (CST, UTC-6, to CDT, UTC-5).
  const BusinessHours h = Hours("America/Chicago Mon-Sun 08:00-17:00");
  // One hour on Saturday, one on Sunday from its 08:00 CDT opening.
  EXPECT_EQ(AddBusinessTime(At(h, 2026, 3, 7, 16), absl::Hours(2), h), Utc(2026, 3, 8, 14));
  // Open around the clock: business time is elapsed time across the change.
  const BusinessHours always = Hours("America/Chicago Mon-Sun 00:00-24:00");
  const absl::Time start = At(always, 2026, 3, 7, 12);
  EXPECT_EQ(AddBusinessTime(start, absl::Hours(36), always), start + absl::Hours(36));
  EXPECT_EQ(AddBusinessTime(start, absl::Hours(36), always), At(always, 2026, 3, 9, 1));
}

TEST(BusinessHoursTest, AnOpeningInTheSkippedHourOpensAtTheChange) {
  const BusinessHours h = Hours("America/Chicago Sun 02:30-05:00");
  // 02:30 does not exist on 2026-03-08; the window is 03:00 CDT (08:00 UTC) to
  // 05:00 CDT (10:00 UTC).
  EXPECT_EQ(AddBusinessTime(Utc(2026, 3, 7, 12), absl::Minutes(30), h), Utc(2026, 3, 8, 8, 30));
  EXPECT_EQ(AddBusinessTime(Utc(2026, 3, 7, 12), absl::Hours(2), h), Utc(2026, 3, 8, 10));
}

TEST(BusinessHoursTest, FallBackDayCountsTheRepeatedHour) {
  // 2026-11-01: Chicago repeats 01:00-02:00; 00:00 CDT (05:00 UTC) to 04:00 CST
  // (10:00 UTC) is five hours.
  const BusinessHours h = Hours("America/Chicago Sun 00:00-04:00");
  EXPECT_EQ(AddBusinessTime(Utc(2026, 10, 31, 12), absl::Hours(5), h), Utc(2026, 11, 1, 10));
  EXPECT_EQ(AddBusinessTime(Utc(2026, 10, 31, 12), absl::Minutes(270), h), Utc(2026, 11, 1, 9, 30));
  // The sixth hour falls on the next Sunday.
  EXPECT_EQ(AddBusinessTime(Utc(2026, 10, 31, 12), absl::Hours(6), h), Utc(2026, 11, 8, 7));
}

TEST(BusinessHoursTest, TheDefaultIsUtcWeekdaysNineToFive) {
  const BusinessHours h;
  EXPECT_EQ(h.zone_name, "UTC");
  // 2027-01-15 is a Friday.
  EXPECT_EQ(AddBusinessTime(Utc(2027, 1, 15, 16), absl::Hours(2), h), Utc(2027, 1, 18, 10));
}

TEST(BusinessHoursTest, ParsesGroupsAndWrappingRanges) {
  const BusinessHours h = Hours("Europe/London Fri-Mon 10:00-14:00, wed 09:30-24:00");
  EXPECT_EQ(h.zone_name, "Europe/London");
  EXPECT_TRUE(h.week[0].has_value());   // Mon
  EXPECT_FALSE(h.week[1].has_value());  // Tue
  EXPECT_EQ(h.week[2]->open_minute, 9 * 60 + 30);
  EXPECT_EQ(h.week[2]->close_minute, 24 * 60);
  EXPECT_TRUE(h.week[4].has_value() && h.week[5].has_value() && h.week[6].has_value());
}

TEST(BusinessHoursTest, ParseErrorsNameTheProblem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "must look like"},
      {"America/Chicago", "must look like"},
      {"Mars/Olympus Mon-Fri 08:00-17:00", "not a known IANA time zone"},
      {"UTC Mon-Fry 08:00-17:00", "\"Fry\" is not a day"},
      {"UTC Mon-Fri 8:00-17:00", "is not a time"},
      {"UTC Mon-Fri 08:00-24:30", "is not a time"},
      {"UTC Mon-Fri 17:00-08:00", "opening must come before"},
      {"UTC Mon-Fri 08:00-17:00, Fri 18:00-19:00", "fri is given more than once"},
      {"UTC Mon-Fri", "must look like \"Mon-Fri 08:00-17:00\""},
  };
  for (const auto& [spec, message] : cases) {
    absl::StatusOr<BusinessHours> h = ParseBusinessHours(spec);
    EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument) << spec;
    EXPECT_THAT(std::string(h.status().message()), HasSubstr(message)) << spec;
  }
}

TEST(SlaTargetTest, ParsesEachClock) {
  absl::StatusOr<SlaTarget> wall = ParseSlaTarget("15m");
  ASSERT_TRUE(wall.ok());
  EXPECT_EQ(wall->clock, SlaClock::kWall);
  EXPECT_EQ(wall->amount, absl::Minutes(15));
  absl::StatusOr<SlaTarget> hours = ParseSlaTarget(" 1.5bh ");
  ASSERT_TRUE(hours.ok());
  EXPECT_EQ(hours->clock, SlaClock::kBusinessHours);
  EXPECT_EQ(hours->amount, absl::Minutes(90));
  absl::StatusOr<SlaTarget> days = ParseSlaTarget("2bd");
  ASSERT_TRUE(days.ok());
  EXPECT_EQ(days->clock, SlaClock::kBusinessDays);
  EXPECT_EQ(days->days, 2);
  for (std::string_view bad : {"", "soon", "0s", "-1h", "0bh", "xbh", "0bd", "61bd", "1.5bd"}) {
    EXPECT_EQ(ParseSlaTarget(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(SlaTargetTest, DueTimeUsesTheTargetsClock) {
  const BusinessHours h = Hours("America/Chicago Mon-Fri 08:00-17:00");
  const absl::Time friday_evening = At(h, 2026, 3, 6, 18);
  EXPECT_EQ(DueTime(friday_evening, {.clock = SlaClock::kWall, .amount = absl::Hours(1)}, h),
            friday_evening + absl::Hours(1));
  EXPECT_EQ(
      DueTime(friday_evening, {.clock = SlaClock::kBusinessHours, .amount = absl::Hours(4)}, h),
      At(h, 2026, 3, 9, 12));
  EXPECT_EQ(DueTime(friday_evening, {.clock = SlaClock::kBusinessDays, .days = 1}, h),
            At(h, 2026, 3, 9, 17));
}

}  // namespace
}  // namespace carecast::listener
