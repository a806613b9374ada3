// The rule that content featuring a patient goes out only under that patient's
// authorization, shared by the planner (approval, scheduling) and the
// publisher (the last check before a network call). Authorizations live in the
// contents bucket under "authorizations.<id>", beside the content that names
// them, so the publisher reads both from the one bucket it already has.
// Pure functions: thread-safe, no I/O.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

#include "carecast/v1/resources.pb.h"

namespace carecast::lifecycle {

// "patientAuthorizations/": the collection of the resource names.
inline constexpr std::string_view kPatientAuthorizationCollection = "patientAuthorizations/";
// "authorizations.": the prefix of their keys in the contents bucket.
inline constexpr std::string_view kPatientAuthorizationKeyPrefix = "authorizations.";

// "authorizations.<id>" for "patientAuthorizations/<id>"; empty when `name` is
// not of that form (the id itself is checked where the name is parsed).
std::string PatientAuthorizationKeyOf(std::string_view name);

// OK when `authorization` is ACTIVE, not expired at `at` and covers `network`;
// otherwise FAILED_PRECONDITION saying which (no patient detail in the text).
absl::Status CheckPatientAuthorization(const v1::PatientAuthorization& authorization,
                                       v1::Network network, absl::Time at);

// As above without a network: ACTIVE and not expired at `at`.
absl::Status CheckPatientAuthorizationInForce(const v1::PatientAuthorization& authorization,
                                              absl::Time at);

}  // namespace carecast::lifecycle
