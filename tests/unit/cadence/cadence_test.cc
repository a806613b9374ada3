// An account's cadence: blackouts, spacing and the daily cap (in the account's
// local day) decide which slots the queue may use.
#include "services/common/cadence/cadence.h"

#include <functional>

#include "absl/strings/match.h"
#include <gtest/gtest.h>

namespace carecast::common::cadence {
namespace {

absl::Time Utc(int y, int m, int d, int hh, int mm) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), absl::UTCTimeZone());
}

// Hourly 07:00-22:00 in Chicago, as the simulated week has it.
CadenceSpec Hourly() {
  CadenceSpec spec;
  spec.time_zone = "America/Chicago";
  spec.slots.push_back({"FREQ=DAILY;BYHOUR=7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22;BYMINUTE=0",
                        absl::CivilSecond(2027, 1, 1, 7, 0, 0)});
  return spec;
}

Cadence Make(const CadenceSpec& spec) {
  absl::StatusOr<Cadence> cadence = Cadence::Create(spec);
  EXPECT_TRUE(cadence.ok()) << cadence.status();
  return *std::move(cadence);
}

TEST(CadenceTest, TakenSlotsAreSkipped) {
  Cadence c = Make(Hourly());
  // 2027-06-01 is CDT (UTC-5): 07:00 local = 12:00Z.
  std::vector<absl::Time> free = c.FreeSlots({Utc(2027, 6, 1, 12, 0), Utc(2027, 6, 1, 13, 0)},
                                             Utc(2027, 6, 1, 11, 0), Utc(2027, 6, 2, 11, 0), 2);
  EXPECT_EQ(free, (std::vector<absl::Time>{Utc(2027, 6, 1, 14, 0), Utc(2027, 6, 1, 15, 0)}));
}

TEST(CadenceTest, BlackoutsAndSpacing) {
  CadenceSpec spec = Hourly();
  spec.blackouts.push_back({Utc(2027, 6, 1, 12, 0), Utc(2027, 6, 1, 14, 0)});  // 07:00-09:00 local
  spec.min_spacing = absl::Minutes(90);
  Cadence c = Make(spec);
  EXPECT_TRUE(c.InBlackout(Utc(2027, 6, 1, 13, 59)));
  EXPECT_FALSE(c.InBlackout(Utc(2027, 6, 1, 14, 0)));
  // A post at 10:10 local (15:10Z) keeps 09:00 and 10:00 and 11:00 away.
  std::vector<absl::Time> free =
      c.FreeSlots({Utc(2027, 6, 1, 15, 10)}, Utc(2027, 6, 1, 11, 0), Utc(2027, 6, 2, 11, 0), 3);
  // 14:00Z is 70 min before the post: too close. Next is 17:00Z (110 min after),
  // then 18:00Z is only 60 min after the slot just handed out: 19:00Z.
  EXPECT_EQ(free, (std::vector<absl::Time>{Utc(2027, 6, 1, 17, 0), Utc(2027, 6, 1, 19, 0),
                                           Utc(2027, 6, 1, 21, 0)}));
}

TEST(CadenceTest, TheDailyCapCountsTheAccountsLocalDay) {
  CadenceSpec spec = Hourly();
  spec.daily_cap = 2;
  Cadence c = Make(spec);
  // One post already on 2027-06-01 local (at 23:30 local = 04:30Z on the 2nd).
  std::vector<absl::Time> free =
      c.FreeSlots({Utc(2027, 6, 2, 4, 30)}, Utc(2027, 6, 1, 11, 0), Utc(2027, 6, 3, 11, 0), 10);
  // June 1: one more (07:00 local); June 2: two (07:00 and 08:00 local).
  EXPECT_EQ(free, (std::vector<absl::Time>{Utc(2027, 6, 1, 12, 0), Utc(2027, 6, 2, 12, 0),
                                           Utc(2027, 6, 2, 13, 0)}));
}

TEST(CadenceTest, RulesAreMergedAndCountedOnce) {
  CadenceSpec spec;
  spec.time_zone = "Europe/London";
  spec.slots.push_back({"FREQ=DAILY;BYHOUR=9;BYMINUTE=0", absl::CivilSecond(2027, 1, 1, 9, 0, 0)});
  spec.slots.push_back(
      {"FREQ=WEEKLY;BYDAY=MO;BYHOUR=9,17;BYMINUTE=0", absl::CivilSecond(2027, 1, 4, 9, 0, 0)});
  Cadence c = Make(spec);
  // Monday 2027-01-04 and Tuesday the 5th (GMT): 09:00 once, 17:00 on Monday.
  EXPECT_EQ(c.Slots(Utc(2027, 1, 4, 0, 0), Utc(2027, 1, 6, 0, 0), 10),
            (std::vector<absl::Time>{Utc(2027, 1, 4, 9, 0), Utc(2027, 1, 4, 17, 0),
                                     Utc(2027, 1, 5, 9, 0)}));
}

TEST(CadenceTest, EveryBadFieldIsNamed) {
  struct Case {
    const char* field;
    std::function<void(CadenceSpec&)> spoil;
  };
  const std::vector<Case> cases = {
      {"time_zone", [](CadenceSpec& s) { s.time_zone = "Chicago"; }},
      {"slots", [](CadenceSpec& s) { s.slots.clear(); }},
      {"slots[1].rrule",
       [](CadenceSpec& s) {
         s.slots.push_back({"FREQ=NEVER", absl::CivilSecond(2027, 1, 1)});
       }},
      {"blackouts[0]",
       [](CadenceSpec& s) {
         s.blackouts.push_back({Utc(2027, 1, 2, 0, 0), Utc(2027, 1, 1, 0, 0)});
       }},
      {"min_spacing", [](CadenceSpec& s) { s.min_spacing = -absl::Minutes(1); }},
      {"min_spacing", [](CadenceSpec& s) { s.min_spacing = absl::Hours(24 * 8); }},
      {"daily_cap", [](CadenceSpec& s) { s.daily_cap = -1; }},
      {"daily_cap", [](CadenceSpec& s) { s.daily_cap = kMaxDailyCap + 1; }},
  };
  for (const Case& c : cases) {
    CadenceSpec spec = Hourly();
    c.spoil(spec);
    absl::StatusOr<Cadence> made = Cadence::Create(spec);
    EXPECT_EQ(made.status().code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_TRUE(absl::StartsWith(made.status().message(), c.field))
        << c.field << ": " << made.status().message();
  }
}

}  // namespace
}  // namespace carecast::common::cadence
