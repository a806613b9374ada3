// Recurrence rules on wall-clock time across the daylight-saving changes of
// America/Chicago, Europe/London and Australia/Sydney (2027 transitions),
// including local times that do not exist and times that happen twice.
#include "services/common/cadence/recurrence.h"

#include <gtest/gtest.h>

namespace carecast::common::cadence {
namespace {

absl::TimeZone Zone(const char* name) {
  absl::StatusOr<absl::TimeZone> zone = LoadZone("time_zone", name);
  EXPECT_TRUE(zone.ok()) << zone.status();
  return zone.ok() ? *zone : absl::UTCTimeZone();
}

absl::Time Utc(int y, int m, int d, int hh, int mm) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), absl::UTCTimeZone());
}

Recurrence Rule(const std::string& rrule, absl::CivilSecond start, const absl::TimeZone& zone) {
  absl::StatusOr<Recurrence> rule = Recurrence::Create("slots[0].rrule", {rrule, start}, zone);
  EXPECT_TRUE(rule.ok()) << rule.status();
  return *std::move(rule);
}

TEST(RecurrenceTest, NineInTheMorningStaysNineAcrossChicagosChanges) {
  absl::TimeZone chicago = Zone("America/Chicago");
  Recurrence daily = Rule("FREQ=DAILY", absl::CivilSecond(2027, 1, 1, 9, 0, 0), chicago);
  // DST starts 2027-03-14, ends 2027-11-07.
  std::vector<absl::Time> march = daily.Between(Utc(2027, 3, 13, 0, 0), Utc(2027, 3, 16, 0, 0), 10);
  EXPECT_EQ(march, (std::vector<absl::Time>{Utc(2027, 3, 13, 15, 0), Utc(2027, 3, 14, 14, 0),
                                            Utc(2027, 3, 15, 14, 0)}));
  std::vector<absl::Time> nov = daily.Between(Utc(2027, 11, 6, 0, 0), Utc(2027, 11, 9, 0, 0), 10);
  EXPECT_EQ(nov, (std::vector<absl::Time>{Utc(2027, 11, 6, 14, 0), Utc(2027, 11, 7, 15, 0),
                                          Utc(2027, 11, 8, 15, 0)}));
  for (absl::Time t : march) EXPECT_EQ(absl::ToCivilHour(t, chicago).hour(), 9);
}

TEST(RecurrenceTest, AMissingLocalTimeUsesTheOffsetBeforeTheGap) {
  absl::TimeZone chicago = Zone("America/Chicago");
  Recurrence daily = Rule("FREQ=DAILY", absl::CivilSecond(2027, 1, 1, 2, 30, 0), chicago);
  std::vector<absl::Time> got = daily.Between(Utc(2027, 3, 13, 0, 0), Utc(2027, 3, 16, 0, 0), 10);
  // 02:30 CST = 08:30Z; on the 14th 02:30 does not exist: 08:30Z is 03:30 CDT.
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], Utc(2027, 3, 13, 8, 30));
  EXPECT_EQ(got[1], Utc(2027, 3, 14, 8, 30));
  EXPECT_EQ(absl::ToCivilMinute(got[1], chicago), absl::CivilMinute(2027, 3, 14, 3, 30));
  EXPECT_EQ(got[2], Utc(2027, 3, 15, 7, 30));  // 02:30 CDT
}

TEST(RecurrenceTest, ARepeatedLocalTimeIsItsFirstOccurrence) {
  absl::TimeZone chicago = Zone("America/Chicago");
  Recurrence daily = Rule("FREQ=DAILY", absl::CivilSecond(2027, 1, 1, 1, 30, 0), chicago);
  std::vector<absl::Time> got = daily.Between(Utc(2027, 11, 7, 0, 0), Utc(2027, 11, 8, 0, 0), 10);
  // 01:30 happens at 06:30Z (CDT) and again at 07:30Z (CST): only the first.
  EXPECT_EQ(got, std::vector<absl::Time>{Utc(2027, 11, 7, 6, 30)});
}

TEST(RecurrenceTest, LondonsGapAndFold) {
  absl::TimeZone london = Zone("Europe/London");
  Recurrence daily = Rule("FREQ=DAILY", absl::CivilSecond(2027, 1, 1, 1, 30, 0), london);
  // 2027-03-28: 01:00 GMT jumps to 02:00 BST, so 01:30 is read as GMT: 01:30Z = 02:30 BST.
  EXPECT_EQ(daily.Between(Utc(2027, 3, 28, 0, 0), Utc(2027, 3, 29, 0, 0), 5),
            std::vector<absl::Time>{Utc(2027, 3, 28, 1, 30)});
  // 2027-10-31: 02:00 BST goes back to 01:00 GMT; 01:30 BST (00:30Z) comes first.
  EXPECT_EQ(daily.Between(Utc(2027, 10, 31, 0, 0), Utc(2027, 11, 1, 0, 0), 5),
            std::vector<absl::Time>{Utc(2027, 10, 31, 0, 30)});
}

TEST(RecurrenceTest, SydneysGapAndFold) {
  absl::TimeZone sydney = Zone("Australia/Sydney");
  Recurrence daily = Rule("FREQ=DAILY", absl::CivilSecond(2027, 1, 1, 2, 30, 0), sydney);
  // 2027-10-03: 02:00 AEST jumps to 03:00 AEDT; 02:30 AEST (+10) = 16:30Z on the 2nd.
  std::vector<absl::Time> oct = daily.Between(Utc(2027, 10, 2, 10, 0), Utc(2027, 10, 3, 10, 0), 5);
  ASSERT_EQ(oct.size(), 1u);
  EXPECT_EQ(oct[0], Utc(2027, 10, 2, 16, 30));
  EXPECT_EQ(absl::ToCivilMinute(oct[0], sydney), absl::CivilMinute(2027, 10, 3, 3, 30));
  // 2027-04-04: 03:00 AEDT goes back to 02:00 AEST; 02:30 AEDT (+11) = 15:30Z on the 3rd.
  EXPECT_EQ(daily.Between(Utc(2027, 4, 3, 10, 0), Utc(2027, 4, 4, 10, 0), 5),
            std::vector<absl::Time>{Utc(2027, 4, 3, 15, 30)});
}

TEST(RecurrenceTest, HourlySlotsKeepSixteenADayOnChangeDays) {
  absl::TimeZone chicago = Zone("America/Chicago");
  Recurrence hourly =
      Rule("FREQ=DAILY;BYHOUR=7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22;BYMINUTE=0",
           absl::CivilSecond(2027, 1, 1, 7, 0, 0), chicago);
  for (absl::CivilDay day : {absl::CivilDay(2027, 3, 14), absl::CivilDay(2027, 11, 7)}) {
    absl::Time start = absl::FromCivil(day, chicago);
    absl::Time end = absl::FromCivil(day + 1, chicago);
    std::vector<absl::Time> got = hourly.Between(start, end, 100);
    ASSERT_EQ(got.size(), 16u) << day;
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_EQ(absl::ToCivilHour(got[i], chicago).hour(), static_cast<int>(7 + i)) << day;
  }
}

TEST(RecurrenceTest, WeeklyRulesAndLimits) {
  absl::TimeZone london = Zone("Europe/London");
  Recurrence weekly = Rule("FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=12;BYMINUTE=15",
                           absl::CivilSecond(2027, 1, 4, 12, 15, 0), london);
  std::vector<absl::Time> got = weekly.Between(Utc(2027, 1, 4, 0, 0), Utc(2027, 12, 31, 0, 0), 3);
  EXPECT_EQ(got, (std::vector<absl::Time>{Utc(2027, 1, 4, 12, 15), Utc(2027, 1, 6, 12, 15),
                                          Utc(2027, 1, 11, 12, 15)}));
  // A window far from DTSTART is reached without walking every instance before it.
  got = weekly.Between(Utc(2030, 7, 1, 0, 0), Utc(2030, 7, 8, 0, 0), 10);
  EXPECT_EQ(got, (std::vector<absl::Time>{Utc(2030, 7, 1, 11, 15), Utc(2030, 7, 3, 11, 15)}));
  EXPECT_TRUE(weekly.Between(Utc(2027, 1, 5, 0, 0), Utc(2027, 1, 5, 0, 0), 10).empty());
}

TEST(RecurrenceTest, ARuleThatEndedGivesNothingAndOneThatCannotOccurIsRefused) {
  Recurrence ended =
      Rule("FREQ=DAILY;UNTIL=20270105T090000", absl::CivilSecond(2027, 1, 1, 9, 0, 0), Zone("UTC"));
  EXPECT_EQ(ended.Between(Utc(2027, 1, 1, 0, 0), Utc(2037, 1, 1, 0, 0), 10).size(), 5u);
  EXPECT_TRUE(ended.Between(Utc(2027, 2, 1, 0, 0), Utc(2037, 1, 1, 0, 0), 10).empty());
  absl::StatusOr<Recurrence> never = Recurrence::Create(
      "slots[0].rrule", {"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", absl::CivilSecond(2027, 1, 1)},
      absl::UTCTimeZone());
  EXPECT_EQ(never.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RecurrenceTest, BadRulesAndZonesAreInvalidArguments) {
  absl::TimeZone utc = absl::UTCTimeZone();
  const absl::CivilSecond start(2027, 1, 1, 9, 0, 0);
  for (const char* rrule : {"", "FREQ=SOMETIMES", "RRULE:FREQ=DAILY", "FREQ=SECONDLY",
                            "FREQ=MINUTELY", "FREQ=DAILY;BYHOUR=banana"}) {
    absl::StatusOr<Recurrence> rule = Recurrence::Create("slots[1].rrule", {rrule, start}, utc);
    EXPECT_EQ(rule.status().code(), absl::StatusCode::kInvalidArgument) << rrule;
    EXPECT_NE(rule.status().message().find("slots[1].rrule"), std::string::npos) << rrule;
  }
  EXPECT_TRUE(Recurrence::Create("r", {"FREQ=MINUTELY;INTERVAL=15", start}, utc).ok());
  for (const char* zone : {"", "Mars/Olympus_Mons", "America/Chicagoo"}) {
    absl::StatusOr<absl::TimeZone> loaded = LoadZone("time_zone", zone);
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument) << zone;
  }
}

}  // namespace
}  // namespace carecast::common::cadence
