// A civil day's place in the ISO 8601 week: Monday 0 .. Sunday 6. One switch
// over absl::Weekday with no default, so a change there is a compile error here
// rather than a silent shift in every week-based figure.
#pragma once

#include "absl/time/civil_time.h"

namespace carecast::common {

constexpr int DaysSinceMonday(absl::Weekday weekday) {
  switch (weekday) {
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

inline int DaysSinceMonday(absl::CivilDay day) { return DaysSinceMonday(absl::GetWeekday(day)); }

}  // namespace carecast::common
