#include "services/common/rpc/principal.h"

#include <algorithm>

namespace carecast::common {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kContributor:
      return "contributor";
    case Role::kContentDeveloper:
      return "content_developer";
    case Role::kClinicalReviewer:
      return "clinical_reviewer";
    case Role::kComplianceReviewer:
      return "compliance_reviewer";
    case Role::kPublisher:
      return "publisher";
    case Role::kResponder:
      return "responder";
    case Role::kStrategist:
      return "strategist";
    case Role::kAdmin:
      return "admin";
    case Role::kService:
      return "service";
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role role : {Role::kContributor, Role::kContentDeveloper, Role::kClinicalReviewer,
                    Role::kComplianceReviewer, Role::kPublisher, Role::kResponder,
                    Role::kStrategist, Role::kAdmin, Role::kService}) {
    if (name == RoleName(role)) return role;
  }
  return std::nullopt;
}

bool Principal::HasRole(Role role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

}  // namespace carecast::common
