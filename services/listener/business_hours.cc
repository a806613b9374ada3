#include "services/listener/business_hours.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"

#include "services/common/base/strings.h"
#include "services/common/base/weekday.h"

namespace carecast::listener {
namespace {

using common::AsAbsl;

// A search that finds no opening in ten years has no openings at all (the
// parser refuses such hours; this only bounds the loops).
constexpr int kMaxDaysSearched = 3660;
constexpr int kMaxBusinessDays = 60;
constexpr std::array<std::string_view, 7> kDayNames = {"mon", "tue", "wed", "thu",
                                                       "fri", "sat", "sun"};

// The instant of `minute` after local midnight of `day`, DST-safe: a skipped
// local time maps to the transition, a repeated one to its first occurrence.
absl::Time LocalInstant(absl::CivilDay day, int minute, const absl::TimeZone& zone) {
  const absl::CivilSecond local = absl::CivilSecond(day) + int64_t{minute} * 60;
  const absl::TimeZone::TimeInfo info = zone.At(local);
  return info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
}

struct Window {
  absl::Time open;
  absl::Time close;
};

std::optional<Window> WindowOf(absl::CivilDay day, const BusinessHours& hours) {
  const std::optional<OpenInterval>& interval = hours.week[common::DaysSinceMonday(day)];
  if (!interval) return std::nullopt;
  return Window{LocalInstant(day, interval->open_minute, hours.zone),
                LocalInstant(day, interval->close_minute, hours.zone)};
}

absl::CivilDay LocalDay(absl::Time t, const absl::TimeZone& zone) {
  return absl::CivilDay(absl::ToCivilSecond(t, zone));
}

absl::StatusOr<int> ParseDay(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(AsAbsl(text));
  for (size_t i = 0; i < kDayNames.size(); ++i) {
    if (lower == kDayNames[i]) return static_cast<int>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", AsAbsl(text), "\" is not a day (Mon, Tue, ... Sun)"));
}

absl::StatusOr<int> ParseClock(std::string_view text) {
  const std::vector<std::string> parts = absl::StrSplit(AsAbsl(text), ':');
  int h = 0;
  int m = 0;
  if (parts.size() != 2 || parts[0].size() != 2 || parts[1].size() != 2 ||
      !absl::SimpleAtoi(parts[0], &h) || !absl::SimpleAtoi(parts[1], &m) || h < 0 || h > 24 ||
      m < 0 || m > 59 || (h == 24 && m != 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", AsAbsl(text), "\" is not a time (HH:MM, 00:00 to 24:00)"));
  }
  return h * 60 + m;
}

// "Mon-Fri 08:00-17:00" into `hours`.
absl::Status ParseGroup(std::string_view group, BusinessHours& hours) {
  const std::vector<std::string> words = absl::StrSplit(AsAbsl(group), ' ', absl::SkipWhitespace());
  if (words.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", AsAbsl(group), "\" must look like \"Mon-Fri 08:00-17:00\""));
  }
  const std::vector<std::string> days = absl::StrSplit(words[0], '-');
  const std::vector<std::string> times = absl::StrSplit(words[1], '-');
  if (days.size() > 2 || times.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", AsAbsl(group), "\" must look like \"Mon-Fri 08:00-17:00\""));
  }
  absl::StatusOr<int> first = ParseDay(days[0]);
  if (!first.ok()) return first.status();
  absl::StatusOr<int> last = days.size() == 2 ? ParseDay(days[1]) : first;
  if (!last.ok()) return last.status();
  absl::StatusOr<int> open = ParseClock(times[0]);
  if (!open.ok()) return open.status();
  absl::StatusOr<int> close = ParseClock(times[1]);
  if (!close.ok()) return close.status();
  if (*open >= *close) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", words[1], "\": the opening must come before the closing"));
  }
  for (int d = *first;; d = (d + 1) % 7) {
    if (hours.week[d].has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          AsAbsl(kDayNames[d]), " is given more than once in \"", AsAbsl(group), "\""));
    }
    hours.week[d] = OpenInterval{*open, *close};
    if (d == *last) break;
  }
  return absl::OkStatus();
}

}  // namespace

BusinessHours::BusinessHours() : zone(absl::UTCTimeZone()) {
  for (int d = 0; d < 5; ++d) week[d] = OpenInterval{9 * 60, 17 * 60};
}

absl::StatusOr<BusinessHours> ParseBusinessHours(std::string_view spec) {
  const std::string_view trimmed = common::AsStd(absl::StripAsciiWhitespace(AsAbsl(spec)));
  const size_t space = trimmed.find(' ');
  if (space == std::string_view::npos) {
    return absl::InvalidArgumentError(
        "business hours must look like \"America/Chicago Mon-Fri 08:00-17:00\"");
  }
  BusinessHours hours;
  hours.week = {};
  hours.zone_name = std::string(trimmed.substr(0, space));
  if (!absl::LoadTimeZone(hours.zone_name, &hours.zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", hours.zone_name, "\" is not a known IANA time zone"));
  }
  for (absl::string_view group : absl::StrSplit(AsAbsl(trimmed.substr(space + 1)), ',')) {
    if (absl::Status s = ParseGroup(common::AsStd(group), hours); !s.ok()) return s;
  }
  if (std::none_of(hours.week.begin(), hours.week.end(),
                   [](const auto& day) { return day.has_value(); })) {
    return absl::InvalidArgumentError("business hours need at least one open day");
  }
  return hours;
}

absl::Time AddBusinessTime(absl::Time start, absl::Duration amount, const BusinessHours& hours) {
  if (amount <= absl::ZeroDuration()) return start;
  absl::Duration remaining = amount;
  absl::CivilDay day = LocalDay(start, hours.zone);
  for (int i = 0; i < kMaxDaysSearched; ++i, ++day) {
    const std::optional<Window> window = WindowOf(day, hours);
    if (!window) continue;
    const absl::Time from = std::max(start, window->open);
    if (from >= window->close) continue;
    const absl::Duration available = window->close - from;
    if (remaining <= available) return from + remaining;
    remaining -= available;
  }
  return absl::InfiniteFuture();
}

absl::Time AddBusinessDays(absl::Time start, int days, const BusinessHours& hours) {
  if (days <= 0) return start;
  absl::CivilDay day = LocalDay(start, hours.zone);
  // The business time already spent on the day the clock starts; zero when
  // the start is outside the hours (the clock starts at the next opening).
  absl::Duration offset = absl::ZeroDuration();
  int i = 0;
  for (; i < kMaxDaysSearched; ++i, ++day) {
    const std::optional<Window> window = WindowOf(day, hours);
    if (!window || start >= window->close) continue;
    offset = std::max(start, window->open) - window->open;
    break;
  }
  // Counting that day as the first: with no time spent the target is the close
  // of the days-th open day, otherwise the same offset into the days-th next one.
  int remaining = offset == absl::ZeroDuration() ? days - 1 : days;
  for (; i < kMaxDaysSearched; ++i, ++day) {
    const std::optional<Window> window = WindowOf(day, hours);
    if (!window) continue;
    if (remaining == 0) {
      if (offset == absl::ZeroDuration()) return window->close;
      return std::min(window->open + offset, window->close);
    }
    --remaining;
  }
  return absl::InfiniteFuture();
}

absl::StatusOr<SlaTarget> ParseSlaTarget(std::string_view text) {
  const std::string t(absl::StripAsciiWhitespace(AsAbsl(text)));
  const auto bad = [&t](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("\"", t, "\" ", AsAbsl(why)));
  };
  SlaTarget target;
  if (t.ends_with("bd")) {
    int days = 0;
    if (!absl::SimpleAtoi(t.substr(0, t.size() - 2), &days) || days < 1 ||
        days > kMaxBusinessDays) {
      return bad(absl::StrCat("must be 1 to ", kMaxBusinessDays, " business days, such as 1bd"));
    }
    target.clock = SlaClock::kBusinessDays;
    target.days = days;
    return target;
  }
  if (t.ends_with("bh")) {
    double h = 0;
    if (!absl::SimpleAtod(t.substr(0, t.size() - 2), &h) || !std::isfinite(h) || h <= 0 ||
        h > 24.0 * kMaxBusinessDays) {
      return bad("must be a positive number of business hours, such as 4bh");
    }
    target.clock = SlaClock::kBusinessHours;
    target.amount = absl::Seconds(std::llround(h * 3600));
    return target;
  }
  if (!absl::ParseDuration(t, &target.amount) || target.amount <= absl::ZeroDuration() ||
      target.amount == absl::InfiniteDuration()) {
    return bad("must be a duration (15m, 1h), business hours (4bh) or business days (1bd)");
  }
  return target;
}

absl::Time DueTime(absl::Time start, const SlaTarget& target, const BusinessHours& hours) {
  switch (target.clock) {
    case SlaClock::kWall:
      return start + target.amount;
    case SlaClock::kBusinessHours:
      return AddBusinessTime(start, target.amount, hours);
    case SlaClock::kBusinessDays:
      return AddBusinessDays(start, target.days, hours);
  }
  return start + target.amount;
}

}  // namespace carecast::listener
