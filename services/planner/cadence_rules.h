// The planner's cadence records turned into the cadence library's terms
// (services/common/cadence): a Cadence as written by a person, read in its
// account's time zone, with the blackout windows that apply to the account.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

#include "carecast/v1/resources.pb.h"

#include "services/common/cadence/cadence.h"

namespace carecast::planner {

// "2027-01-04T09:00:00" (seconds optional) as wall-clock time; INVALID_ARGUMENT
// naming `field` otherwise (an offset or a zone is refused: the account's zone
// applies).
absl::StatusOr<absl::CivilSecond> ParseLocalTime(std::string_view field, std::string_view text);

// Whether `blackout` (not deleted) applies to the accounts of `spoke_name`
// ("spokes/{spoke}"): organisation-wide windows apply to every spoke.
bool BlackoutApplies(const v1::Blackout& blackout, std::string_view spoke_name);

// The cadence of an account in `time_zone` with the windows that apply to it.
// INVALID_ARGUMENT naming the field ("cadence.slots[1].rrule",
// "cadence.min_spacing", ...) of the first problem.
absl::StatusOr<common::cadence::Cadence> BuildCadence(const v1::Cadence& cadence,
                                                      std::string_view time_zone,
                                                      const std::vector<v1::Blackout>& blackouts);

}  // namespace carecast::planner
