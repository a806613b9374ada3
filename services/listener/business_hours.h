// Business-hours arithmetic for the inbox's first-response SLA, in a spoke's
// IANA time zone. Each weekday has at most one opening interval [open, close)
// in local wall time (close may be 24:00). Local times are converted to
// instants per day, so days that are 23 or 25 hours long (DST changes) count
// the business time they really have; an opening that falls in a skipped hour
// opens at the transition, one in a repeated hour at its first occurrence.
// Everything here is pure (no clock, no I/O) and thread-safe.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace carecast::listener {

// Minutes after local midnight: 0 <= open_minute < close_minute <= 1440.
struct OpenInterval {
  int open_minute = 0;
  int close_minute = 0;
};

// A zone and its weekly hours. The default is UTC, Monday to Friday 09:00-17:00.
struct BusinessHours {
  BusinessHours();

  std::string zone_name = "UTC";
  absl::TimeZone zone;
  // Monday first (absl::Weekday order); nullopt is a closed day.
  std::array<std::optional<OpenInterval>, 7> week;
};

// Parses "<IANA zone> <days> <HH:MM>-<HH:MM>[, <days> <HH:MM>-<HH:MM>...]", days
// being "Mon", "Mon-Fri" or a wrapping range such as "Sat-Sun"; for example
// "America/Chicago Mon-Fri 08:00-17:00, Sat 09:00-12:00". The zone is loaded with
// absl::LoadTimeZone. INVALID_ARGUMENT names the problem (unknown zone, bad day
// or time, a day given twice, no open day at all).
absl::StatusOr<BusinessHours> ParseBusinessHours(std::string_view spec);

// The instant `amount` of business time after `start`: time outside the
// opening hours does not count. A start outside the hours begins at the next
// opening. `amount` <= 0 returns `start`.
absl::Time AddBusinessTime(absl::Time start, absl::Duration amount, const BusinessHours& hours);

// `days` business days after `start`: the same business time of day on the
// `days`-th following open day (or its closing, when that day is shorter). A
// start outside the hours is due at the close of the `days`-th open day from
// the next opening, so Friday evening plus one business day is Monday's close.
// `days` <= 0 returns `start`.
absl::Time AddBusinessDays(absl::Time start, int days, const BusinessHours& hours);

// How a first-response target is counted.
enum class SlaClock {
  kWall,           // around the clock
  kBusinessHours,  // business time only
  kBusinessDays,   // whole business days (AddBusinessDays)
};

struct SlaTarget {
  SlaClock clock = SlaClock::kWall;
  // kWall and kBusinessHours.
  absl::Duration amount = absl::ZeroDuration();
  // kBusinessDays.
  int days = 0;
};

// "15m", "1h", "90s" (around the clock, absl::ParseDuration), "4bh" (business
// hours, a positive number of hours such as "4" or "1.5"), "1bd" (a positive
// whole number of business days, at most 60). INVALID_ARGUMENT otherwise; the
// target must be longer than zero.
absl::StatusOr<SlaTarget> ParseSlaTarget(std::string_view text);

// The due time of a target started at `start` under `hours`.
absl::Time DueTime(absl::Time start, const SlaTarget& target, const BusinessHours& hours);

}  // namespace carecast::listener
