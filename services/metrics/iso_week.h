// ISO 8601 weeks in UTC: Monday 00:00 to the next Monday 00:00, numbered in the
// year that holds the week's Thursday ("2027-W01" starts 2027-01-04; the week of
// 2026-12-31 is "2026-W53"). What roll-ups and weekly reports group by.
#pragma once

#include <string>

#include "absl/time/time.h"

namespace carecast::metrics {

struct IsoWeek {
  int year = 0;      // the ISO week-numbering year
  int week = 0;      // 1..53
  absl::Time start;  // Monday 00:00 UTC
  absl::Time end() const { return start + absl::Hours(24 * 7); }
  // "2027-W01".
  std::string Label() const;
};

// The week `t` falls in.
IsoWeek IsoWeekOf(absl::Time t);

}  // namespace carecast::metrics
