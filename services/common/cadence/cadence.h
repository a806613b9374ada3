// One account's cadence: when it posts (recurrence rules in its time zone),
// when it must not (blackout windows, organisation-wide or the spoke's), how
// close two of its posts may be (minimum spacing) and how many it makes in one
// local day (the daily cap). The queue asks it for the next free slots given
// the posts the account already has.
//
// A slot is free when it lies in no blackout, no post of the account (nor a
// slot already handed out by the same call) is closer than min_spacing, and
// the local calendar day of the slot, in the account's zone, holds fewer than
// daily_cap of them. Immutable after Create; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/cadence/recurrence.h"

namespace carecast::common::cadence {

// [start, end) in absolute time, so a blackout means the same to every zone.
struct BlackoutWindow {
  absl::Time start;
  absl::Time end;
};

struct CadenceSpec {
  std::string time_zone;              // IANA name, e.g. "Europe/London"
  std::vector<RecurrenceSpec> slots;  // 1..kMaxRules rules; their instances are merged
  std::vector<BlackoutWindow> blackouts;
  absl::Duration min_spacing = absl::ZeroDuration();  // 0..kMaxSpacing
  int daily_cap = 0;                                  // 0: no cap; else 1..kMaxDailyCap
};

inline constexpr int kMaxRules = 32;
inline constexpr int kMaxBlackouts = 500;
inline constexpr absl::Duration kMaxSpacing = absl::Hours(7 * 24);
inline constexpr int kMaxDailyCap = 288;  // one every five minutes

class Cadence {
 public:
  // INVALID_ARGUMENT naming the field ("time_zone", "slots[2].rrule",
  // "blackouts[0]", "min_spacing", "daily_cap") of the first problem.
  static absl::StatusOr<Cadence> Create(const CadenceSpec& spec);

  // Every slot instant in [from, to), earliest first, at most `limit`.
  std::vector<absl::Time> Slots(absl::Time from, absl::Time to, size_t limit) const;
  // Free slots in [from, to), earliest first, at most `limit`, given the
  // instants of the account's existing posts (any order).
  std::vector<absl::Time> FreeSlots(const std::vector<absl::Time>& occupied, absl::Time from,
                                    absl::Time to, size_t limit) const;
  // Whether `at` lies in a blackout window.
  bool InBlackout(absl::Time at) const;

  const absl::TimeZone& zone() const { return zone_; }
  const CadenceSpec& spec() const { return spec_; }

 private:
  Cadence(CadenceSpec spec, absl::TimeZone zone, std::vector<Recurrence> rules)
      : spec_(std::move(spec)), zone_(zone), rules_(std::move(rules)) {}

  CadenceSpec spec_;
  absl::TimeZone zone_;
  std::vector<Recurrence> rules_;
};

}  // namespace carecast::common::cadence
