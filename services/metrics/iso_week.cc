#include "services/metrics/iso_week.h"

#include "absl/strings/str_format.h"

#include "services/common/base/weekday.h"

namespace carecast::metrics {

std::string IsoWeek::Label() const { return absl::StrFormat("%04d-W%02d", year, week); }

IsoWeek IsoWeekOf(absl::Time t) {
  const absl::CivilDay day = absl::ToCivilDay(t, absl::UTCTimeZone());
  const absl::CivilDay monday = day - common::DaysSinceMonday(day);
  const absl::CivilDay thursday = monday + 3;
  IsoWeek w;
  w.year = static_cast<int>(thursday.year());
  w.week = (absl::GetYearDay(thursday) - 1) / 7 + 1;
  w.start = absl::FromCivil(monday, absl::UTCTimeZone());
  return w;
}

}  // namespace carecast::metrics
