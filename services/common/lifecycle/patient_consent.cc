#include "services/common/lifecycle/patient_consent.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "services/common/base/strings.h"

namespace carecast::lifecycle {

using common::AsAbsl;

std::string PatientAuthorizationKeyOf(std::string_view name) {
  if (name.size() <= kPatientAuthorizationCollection.size() ||
      name.substr(0, kPatientAuthorizationCollection.size()) != kPatientAuthorizationCollection) {
    return "";
  }
  std::string_view id = name.substr(kPatientAuthorizationCollection.size());
  if (id.find('/') != std::string_view::npos) return "";
  return absl::StrCat(AsAbsl(kPatientAuthorizationKeyPrefix), AsAbsl(id));
}

absl::Status CheckPatientAuthorizationInForce(const v1::PatientAuthorization& authorization,
                                              absl::Time at) {
  if (authorization.state() == v1::PATIENT_AUTHORIZATION_STATE_REVOKED) {
    return absl::FailedPreconditionError(
        absl::StrCat("patient authorization ", authorization.name(), " was revoked"));
  }
  if (authorization.state() != v1::PATIENT_AUTHORIZATION_STATE_ACTIVE) {
    return absl::FailedPreconditionError(
        absl::StrCat("patient authorization ", authorization.name(), " is not active"));
  }
  const absl::Time expires = absl::FromUnixSeconds(authorization.expire_time().seconds()) +
                             absl::Nanoseconds(authorization.expire_time().nanos());
  if (at >= expires) {
    return absl::FailedPreconditionError(
        absl::StrCat("patient authorization ", authorization.name(), " expires at ",
                     absl::FormatTime(expires, absl::UTCTimeZone()), ", before ",
                     absl::FormatTime(at, absl::UTCTimeZone())));
  }
  return absl::OkStatus();
}

absl::Status CheckPatientAuthorization(const v1::PatientAuthorization& authorization,
                                       v1::Network network, absl::Time at) {
  if (absl::Status in_force = CheckPatientAuthorizationInForce(authorization, at); !in_force.ok()) {
    return in_force;
  }
  const auto& networks = authorization.networks();
  if (std::find(networks.begin(), networks.end(), network) == networks.end()) {
    return absl::FailedPreconditionError(absl::StrCat("patient authorization ",
                                                      authorization.name(), " does not cover ",
                                                      v1::Network_Name(network)));
  }
  return absl::OkStatus();
}

}  // namespace carecast::lifecycle
