#include "services/common/cadence/cadence.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"

namespace carecast::common::cadence {
namespace {

// Slots asked of the rules per FreeSlots call, beyond `limit`: most taken
// slots are skipped cheaply, and a call that needs more asks again later.
constexpr size_t kCandidateFactor = 64;
constexpr size_t kMinCandidates = 4096;

}  // namespace

absl::StatusOr<Cadence> Cadence::Create(const CadenceSpec& spec) {
  absl::StatusOr<absl::TimeZone> zone = LoadZone("time_zone", spec.time_zone);
  if (!zone.ok()) return zone.status();
  if (spec.slots.empty()) {
    return absl::InvalidArgumentError("slots: at least one recurrence rule is required");
  }
  if (spec.slots.size() > static_cast<size_t>(kMaxRules)) {
    return absl::InvalidArgumentError(absl::StrCat("slots: at most ", kMaxRules, " rules"));
  }
  std::vector<Recurrence> rules;
  rules.reserve(spec.slots.size());
  for (size_t i = 0; i < spec.slots.size(); ++i) {
    absl::StatusOr<Recurrence> rule =
        Recurrence::Create(absl::StrCat("slots[", i, "].rrule"), spec.slots[i], *zone);
    if (!rule.ok()) return rule.status();
    rules.push_back(*std::move(rule));
  }
  if (spec.blackouts.size() > static_cast<size_t>(kMaxBlackouts)) {
    return absl::InvalidArgumentError(absl::StrCat("blackouts: at most ", kMaxBlackouts));
  }
  for (size_t i = 0; i < spec.blackouts.size(); ++i) {
    if (spec.blackouts[i].end <= spec.blackouts[i].start) {
      return absl::InvalidArgumentError(
          absl::StrCat("blackouts[", i, "]: the end must come after the start"));
    }
  }
  if (spec.min_spacing < absl::ZeroDuration() || spec.min_spacing > kMaxSpacing) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_spacing: must be between 0 and ", absl::FormatDuration(kMaxSpacing)));
  }
  if (spec.daily_cap < 0 || spec.daily_cap > kMaxDailyCap) {
    return absl::InvalidArgumentError(
        absl::StrCat("daily_cap: must be between 0 (no cap) and ", kMaxDailyCap));
  }
  return Cadence(spec, *zone, std::move(rules));
}

std::vector<absl::Time> Cadence::Slots(absl::Time from, absl::Time to, size_t limit) const {
  std::vector<absl::Time> out;
  for (const Recurrence& rule : rules_) {
    std::vector<absl::Time> some = rule.Between(from, to, limit);
    out.insert(out.end(), some.begin(), some.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.size() > limit) out.resize(limit);
  return out;
}

bool Cadence::InBlackout(absl::Time at) const {
  return std::any_of(spec_.blackouts.begin(), spec_.blackouts.end(),
                     [at](const BlackoutWindow& w) { return w.start <= at && at < w.end; });
}

std::vector<absl::Time> Cadence::FreeSlots(const std::vector<absl::Time>& occupied, absl::Time from,
                                           absl::Time to, size_t limit) const {
  std::vector<absl::Time> out;
  if (limit == 0) return out;
  std::vector<absl::Time> taken = occupied;
  std::sort(taken.begin(), taken.end());
  // Posts per local day of the account's zone, counting what is handed out.
  std::map<absl::CivilDay, int> per_day;
  for (absl::Time t : taken) ++per_day[absl::ToCivilDay(t, zone_)];
  const auto too_close = [&](absl::Time at) {
    if (spec_.min_spacing <= absl::ZeroDuration()) {
      return std::binary_search(taken.begin(), taken.end(), at);  // never two at one instant
    }
    auto it = std::lower_bound(taken.begin(), taken.end(), at - spec_.min_spacing);
    return it != taken.end() && *it < at + spec_.min_spacing;
  };
  const size_t candidates = std::max(kMinCandidates, limit * kCandidateFactor);
  for (absl::Time at : Slots(from, to, candidates)) {
    if (InBlackout(at) || too_close(at)) continue;
    const absl::CivilDay day = absl::ToCivilDay(at, zone_);
    if (spec_.daily_cap > 0 && per_day[day] >= spec_.daily_cap) continue;
    out.push_back(at);
    taken.insert(std::upper_bound(taken.begin(), taken.end(), at), at);
    ++per_day[day];
    if (out.size() >= limit) break;
  }
  return out;
}

}  // namespace carecast::common::cadence
