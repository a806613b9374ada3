#include "services/planner/cadence_rules.h"

#include "absl/strings/str_cat.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/planner/validation.h"

namespace carecast::planner {

using common::AsAbsl;

absl::StatusOr<absl::CivilSecond> ParseLocalTime(std::string_view field, std::string_view text) {
  absl::CivilSecond local;
  if (text.size() > 32 || !absl::ParseCivilTime(AsAbsl(text), &local)) {
    absl::CivilMinute minute;
    if (text.size() > 32 || !absl::ParseCivilTime(AsAbsl(text), &minute)) {
      return absl::InvalidArgumentError(absl::StrCat(
          AsAbsl(field), " must be a local time without an offset, like 2027-01-04T09:00:00"));
    }
    local = absl::CivilSecond(minute);
  }
  return local;
}

bool BlackoutApplies(const v1::Blackout& blackout, std::string_view spoke_name) {
  if (blackout.has_delete_time()) return false;
  return blackout.spoke().empty() || blackout.spoke() == spoke_name;
}

absl::StatusOr<common::cadence::Cadence> BuildCadence(const v1::Cadence& cadence,
                                                      std::string_view time_zone,
                                                      const std::vector<v1::Blackout>& blackouts) {
  common::cadence::CadenceSpec spec;
  spec.time_zone = std::string(time_zone);
  for (int i = 0; i < cadence.slots_size(); ++i) {
    const v1::CadenceSlot& slot = cadence.slots(i);
    ASSIGN_OR_RETURN(absl::CivilSecond start,
                     ParseLocalTime(absl::StrCat("cadence.slots[", i, "].start_local_time"),
                                    slot.start_local_time()));
    spec.slots.push_back({.rrule = slot.rrule(), .start_local = start});
  }
  const google::protobuf::Duration& spacing = cadence.min_spacing();
  if (spacing.seconds() < 0 || spacing.nanos() < 0 || spacing.nanos() >= 1'000'000'000) {
    return absl::InvalidArgumentError("cadence.min_spacing must not be negative");
  }
  spec.min_spacing = absl::Seconds(spacing.seconds()) + absl::Nanoseconds(spacing.nanos());
  spec.daily_cap = cadence.daily_cap();
  for (const v1::Blackout& b : blackouts) {
    spec.blackouts.push_back({.start = FromProto(b.start_time()), .end = FromProto(b.end_time())});
  }
  absl::StatusOr<common::cadence::Cadence> built = common::cadence::Cadence::Create(spec);
  if (!built.ok() && absl::IsInvalidArgument(built.status())) {
    // The library names its own fields ("slots[0].rrule ..."); say whose they are.
    return absl::InvalidArgumentError(absl::StrCat("cadence.", built.status().message()));
  }
  return built;
}

}  // namespace carecast::planner
