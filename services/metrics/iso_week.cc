#include "services/metrics/iso_week.h"

#include "absl/strings/str_format.h"

namespace carecast::metrics {
namespace {

// Days since Monday: Monday 0 .. Sunday 6.
int DaysSinceMonday(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return 0;
    case absl::Weekday::tuesday:
      return 1;
    case absl::Weekday::wednesday:
      return 2;
    case absl::Weekday::thursday:
      return 3;
    case absl::Weekday::friday:
      return 4;
    case absl::Weekday::saturday:
      return 5;
    case absl::Weekday::sunday:
      return 6;
  }
  return 0;
}

}  // namespace

std::string IsoWeek::Label() const { return absl::StrFormat("%04d-W%02d", year, week); }

IsoWeek IsoWeekOf(absl::Time t) {
  const absl::CivilDay day = absl::ToCivilDay(t, absl::UTCTimeZone());
  const absl::CivilDay monday = day - DaysSinceMonday(day);
  const absl::CivilDay thursday = monday + 3;
  IsoWeek w;
  w.year = static_cast<int>(thursday.year());
  w.week = (absl::GetYearDay(thursday) - 1) / 7 + 1;
  w.start = absl::FromCivil(monday, absl::UTCTimeZone());
  return w;
}

}  // namespace carecast::metrics
