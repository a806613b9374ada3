// Posting slots as an RFC 5545 recurrence rule on wall-clock time in an IANA
// time zone: "FREQ=DAILY;BYHOUR=9;BYMINUTE=0" from a DTSTART of 09:00 stays at
// 09:00 local on both sides of a daylight-saving change.
//
// The rule is expanded by libical on floating (zone-less) local times and each
// local time is then placed in the zone by LocalToInstant, which follows RFC 5545
// section 3.3.5:
//   - a local time that does not exist (the spring-forward gap) is read with the
//     UTC offset in force before the gap: 02:30 on a night that jumps from 02:00
//     to 03:00 becomes 03:30 after the jump;
//   - a local time that happens twice (the fall-back hour) is the first of the
//     two: 01:30 on a night that goes from 02:00 back to 01:00 is the 01:30
//     before the change.
// Two rule instances that land on the same instant count once.
//
// Immutable after Create; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace carecast::common::cadence {

// The wall-clock instant of `local` in `zone`, by the rule above.
absl::Time LocalToInstant(absl::CivilSecond local, const absl::TimeZone& zone);

// Loads an IANA zone name ("America/Chicago"); INVALID_ARGUMENT naming `field`
// when the name is empty or unknown to this machine's time zone database.
absl::StatusOr<absl::TimeZone> LoadZone(std::string_view field, std::string_view name);

struct RecurrenceSpec {
  // RFC 5545 RRULE value, without "RRULE:". FREQ=SECONDLY and rules whose
  // instances come closer than kMinSlotGap are refused.
  std::string rrule;
  // DTSTART as wall-clock time in the zone: the rule's first instance and the
  // source of any part the rule does not give (e.g. the minute).
  absl::CivilSecond start_local;
};

// Instances of one rule closer together than this are refused at Create.
inline constexpr absl::Duration kMinSlotGap = absl::Minutes(5);

class Recurrence {
 public:
  // INVALID_ARGUMENT naming `field` for a rule libical cannot read, an
  // unsupported frequency or instances closer than kMinSlotGap.
  static absl::StatusOr<Recurrence> Create(std::string_view field, const RecurrenceSpec& spec,
                                           const absl::TimeZone& zone);

  // Instances in [from, to), earliest first, at most `limit` of them.
  std::vector<absl::Time> Between(absl::Time from, absl::Time to, size_t limit) const;

  const RecurrenceSpec& spec() const { return spec_; }

 private:
  Recurrence(RecurrenceSpec spec, absl::TimeZone zone) : spec_(std::move(spec)), zone_(zone) {}

  RecurrenceSpec spec_;
  absl::TimeZone zone_;
};

}  // namespace carecast::common::cadence
