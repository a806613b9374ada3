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
      {std::string(kGetRollupMethod), everyone},
      {std::string(kGetWeeklyReportMethod), everyone},
      // A suggested cadence is the strategist's to accept (PlannerService.SetCadence).
      {std::string(kGetBestTimesMethod),
       {Role::kStrategist, Role::kAdmin, Role::kPublisher, Role::kService}},
  });
}

}  // namespace carecast::metrics
