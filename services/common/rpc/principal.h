// Who is calling: the verified identity from a bearer token.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace carecast::common {

// Roles of docs/security.md. kService is a CareCast service calling another.
enum class Role {
  kContributor,
  kContentDeveloper,
  kClinicalReviewer,
  kComplianceReviewer,
  kPublisher,
  kResponder,
  kStrategist,
  kAdmin,
  kService,
};

// "contributor", "content_developer", "clinical_reviewer", "compliance_reviewer",
// "publisher", "responder", "strategist", "admin", "service".
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

struct Principal {
  // JWT "sub".
  std::string subject;
  // JWT "roles" (array of role names; unknown names are dropped).
  std::vector<Role> roles;
  // JWT "spokes": spoke ids the caller may act for; "*" means every spoke, and
  // empty means none (SpokeScope: spoke roles fail closed; admin and service
  // act for every spoke).
  std::vector<std::string> spokes;

  bool HasRole(Role role) const;
};

}  // namespace carecast::common
