// The libical adapter of the cadence: the only file that includes libical.
#include "services/common/cadence/recurrence.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

extern "C" {
#include <libical/ical.h>
}

namespace carecast::common::cadence {
namespace {

// A gap shift is at most a day (Samoa skipped one in 2011): an instance whose
// instant lies this far past what is wanted cannot be followed by an earlier one.
constexpr absl::Duration kReorderMargin = absl::Hours(26);
// Expansion steps one call may take: a five-minute rule over a year and more.
constexpr int kMaxSteps = 400'000;
// Instances from DTSTART checked for spacing at Create.
constexpr int kSpacingProbe = 500;

struct IteratorDeleter {
  void operator()(icalrecur_iterator* it) const { icalrecur_iterator_free(it); }
};
using Iterator = std::unique_ptr<icalrecur_iterator, IteratorDeleter>;

icaltimetype ToIcal(absl::CivilSecond local) {
  icaltimetype t = icaltime_null_time();
  t.year = static_cast<int>(local.year());
  t.month = local.month();
  t.day = local.day();
  t.hour = local.hour();
  t.minute = local.minute();
  t.second = local.second();
  t.is_date = 0;
  t.zone = nullptr;  // floating: the zone is applied afterwards, by LocalToInstant
  return t;
}

absl::CivilSecond FromIcal(const icaltimetype& t) {
  return absl::CivilSecond(t.year, t.month, t.day, t.hour, t.minute, t.second);
}

// Parses `rrule`; nullopt when libical cannot read all of it.
std::optional<icalrecurrencetype> ParseRule(const std::string& rrule) {
  static std::once_flag quiet;
  // Malformed input is reported through icalerrno, never by aborting.
  std::call_once(quiet, [] { icalerror_set_errors_are_fatal(0); });
  icalerror_clear_errno();
  icalrecurrencetype rule = icalrecurrencetype_from_string(rrule.c_str());
  if (rule.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
    icalerror_clear_errno();
    return std::nullopt;
  }
  return rule;
}

}  // namespace

absl::Time LocalToInstant(absl::CivilSecond local, const absl::TimeZone& zone) {
  // For a skipped time `pre` uses the offset before the transition; for a
  // repeated one it is the first occurrence (RFC 5545 section 3.3.5).
  return zone.At(local).pre;
}

absl::StatusOr<absl::TimeZone> LoadZone(std::string_view field, std::string_view name) {
  absl::TimeZone zone;
  if (name.empty() || !absl::LoadTimeZone(std::string(name), &zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), ": \"", AsAbsl(name), "\" is not a known IANA time zone"));
  }
  return zone;
}

absl::StatusOr<Recurrence> Recurrence::Create(std::string_view field, const RecurrenceSpec& spec,
                                              const absl::TimeZone& zone) {
  const auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(field), ": ", AsAbsl(why)));
  };
  if (spec.rrule.empty()) return invalid("the recurrence rule is empty");
  if (absl::StartsWith(spec.rrule, "RRULE:")) return invalid("give the rule without \"RRULE:\"");
  std::optional<icalrecurrencetype> rule = ParseRule(spec.rrule);
  if (!rule)
    return invalid(absl::StrCat("\"", spec.rrule, "\" is not an RFC 5545 recurrence rule"));
  if (rule->freq == ICAL_SECONDLY_RECURRENCE) return invalid("FREQ=SECONDLY is not a posting slot");
  Iterator it(icalrecur_iterator_new(*rule, ToIcal(spec.start_local)));
  if (it == nullptr) return invalid("the rule can never occur from its start");
  // Instances too close together would make a slot of every few seconds.
  std::optional<absl::CivilSecond> previous;
  for (int i = 0; i < kSpacingProbe; ++i) {
    icaltimetype next = icalrecur_iterator_next(it.get());
    if (icaltime_is_null_time(next)) break;
    absl::CivilSecond local = FromIcal(next);
    if (previous && local - *previous < absl::ToInt64Seconds(kMinSlotGap)) {
      return invalid(
          absl::StrCat("instances come closer than ", absl::FormatDuration(kMinSlotGap), " apart"));
    }
    previous = local;
  }
  return Recurrence(spec, zone);
}

std::vector<absl::Time> Recurrence::Between(absl::Time from, absl::Time to, size_t limit) const {
  std::vector<absl::Time> out;
  if (limit == 0 || from >= to) return out;
  std::optional<icalrecurrencetype> rule = ParseRule(spec_.rrule);
  if (!rule) return out;  // checked at Create; cannot happen
  Iterator it(icalrecur_iterator_new(*rule, ToIcal(spec_.start_local)));
  if (it == nullptr) return out;
  // Jump close to `from` (a day early, for the zone's offset and any gap
  // shift); a rule with COUNT cannot jump and is walked from its start.
  const absl::CivilSecond jump = absl::ToCivilSecond(from - kReorderMargin, zone_);
  if (jump > spec_.start_local) (void)icalrecur_iterator_set_start(it.get(), ToIcal(jump));
  std::optional<absl::Time> latest;
  for (int step = 0; step < kMaxSteps; ++step) {
    icaltimetype next = icalrecur_iterator_next(it.get());
    if (icaltime_is_null_time(next)) break;
    const absl::Time at = LocalToInstant(FromIcal(next), zone_);
    if (at >= to + kReorderMargin) break;
    if (out.size() >= limit && latest && at > *latest + kReorderMargin) break;
    if (at < from || at >= to) continue;
    out.push_back(at);
    latest = latest ? std::max(*latest, at) : at;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace carecast::common::cadence
