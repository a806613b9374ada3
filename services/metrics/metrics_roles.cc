#include "services/metrics/metrics_roles.h"

#include <string>
#include <vector>

namespace carecast::metrics {

common::RoleTable MetricsRoleTable() {
  using common::Role;
  // The figures are program-level counts without PHI, so every staff role may read
  // them; services may too (e.g. a reporting job).
  const std::vector<Role> everyone = {Role::kStrategist,       Role::kAdmin,
                                      Role::kPublisher,        Role::kResponder,
                                      Role::kContributor,      Role::kContentDeveloper,
                                      Role::kClinicalReviewer, Role::kComplianceReviewer,
                                      Role::kService};
  return common::RoleTable({
      {std::string(kGetObjectiveProgressMethod), everyone},
      {std::string(kGetProgramSummaryMethod), everyone},
  });
}

}  // namespace carecast::metrics
