#include "services/planner/planner_roles.h"

#include <string>
#include <vector>

namespace carecast::planner {
namespace {
using common::Role;
}  // namespace

// | method                                  | roles                                      |
// |-----------------------------------------|--------------------------------------------|
// | CreateSpoke, CreateAccount              | strategist, admin                          |
// | CreateObjective                         | strategist                                 |
// | CreateAudience, UpdateAudience,         | strategist, admin                          |
// |   DeleteAudience                        |                                            |
// | CreateCampaign, UpdateCampaign          | strategist                                 |
// | CreateContent, UpdateContent,           | contributor, content_developer             |
// |   SubmitContent                         |                                            |
// | ApproveContent, RejectContent           | clinical_reviewer, compliance_reviewer     |
// |                                         |   (each stage then names its own role)     |
// | SetReviewPolicy                         | strategist, admin                          |
// | SchedulePost, BatchSchedulePosts        | publisher, strategist                      |
// | ReschedulePost                          | publisher, strategist                      |
// | CancelPost                              | publisher, strategist, admin (the admin    |
// |                                         |   may end a NEEDS_HUMAN post on call, as   |
// |                                         |   with the publisher's Confirm RPCs)       |
// | CreatePatientAuthorization              | compliance_reviewer, strategist            |
// | RevokePatientAuthorization              | compliance_reviewer, strategist, admin     |
// | CompleteTakedownTask                    | publisher, strategist, admin               |
// | HoldPublishing, ResumePublishing        | strategist                                 |
// | GetCalendarFeed, RevokeCalendarFeed     | strategist, admin                          |
// | every Get/List (ListSpokes, ListAccounts,| every role, including service             |
// |   GetObjective, ListObjectives,         |                                            |
// |   GetAudience, ListAudiences,           |                                            |
// |   GetCampaign, ListCampaigns,           |                                            |
// |   GetPatientAuthorization,              |                                            |
// |   ListPatientAuthorizations,            |                                            |
// |   ListTakedownTasks,                    |                                            |
// |   GetReviewPolicy,                      |                                            |
// |   GetContent, GetPost, ListCalendar,    |                                            |
// |   GetPublishingState, ListAuditEntries) |                                            |
// Role order decides which role the audit trail records when a caller holds
// several. Deny by default: a method missing here is refused to everyone.
common::RoleTable PlannerRoleTable() {
  const std::vector<Role> readers = {Role::kContributor,      Role::kContentDeveloper,
                                     Role::kClinicalReviewer, Role::kComplianceReviewer,
                                     Role::kPublisher,        Role::kResponder,
                                     Role::kStrategist,       Role::kAdmin,
                                     Role::kService};
  const std::vector<Role> organisers = {Role::kStrategist, Role::kAdmin};
  const std::vector<Role> writers = {Role::kContributor, Role::kContentDeveloper};
  const std::vector<Role> reviewers = {Role::kClinicalReviewer, Role::kComplianceReviewer};
  const std::vector<Role> schedulers = {Role::kPublisher, Role::kStrategist};
  const std::vector<Role> cancellers = {Role::kPublisher, Role::kStrategist, Role::kAdmin};
  const std::vector<Role> strategists = {Role::kStrategist};
  // Consent records are compliance's; anyone who may hear of a withdrawal
  // from the patient (and the admin on call) can revoke one.
  const std::vector<Role> consent_keepers = {Role::kComplianceReviewer, Role::kStrategist};
  const std::vector<Role> revokers = {Role::kComplianceReviewer, Role::kStrategist, Role::kAdmin};

  auto m = [](const char* method) { return std::string("/carecast.v1.PlannerService/") + method; };
  return common::RoleTable({
      {m("CreateSpoke"), organisers},
      {m("ListSpokes"), readers},
      {m("CreateAccount"), organisers},
      {m("ListAccounts"), readers},
      {m("CreateObjective"), strategists},
      {m("GetObjective"), readers},
      {m("ListObjectives"), readers},
      {m("CreateAudience"), organisers},
      {m("GetAudience"), readers},
      {m("ListAudiences"), readers},
      {m("UpdateAudience"), organisers},
      {m("DeleteAudience"), organisers},
      {m("CreateCampaign"), strategists},
      {m("GetCampaign"), readers},
      {m("ListCampaigns"), readers},
      {m("UpdateCampaign"), strategists},
      {m("CreatePatientAuthorization"), consent_keepers},
      {m("GetPatientAuthorization"), readers},
      {m("ListPatientAuthorizations"), readers},
      {m("RevokePatientAuthorization"), revokers},
      {m("ListTakedownTasks"), readers},
      {m("CompleteTakedownTask"), cancellers},
      {m("CreateContent"), writers},
      {m("GetContent"), readers},
      {m("ListContents"), readers},
      {m("UpdateContent"), writers},
      {m("SubmitContent"), writers},
      {m("ApproveContent"), reviewers},
      {m("RejectContent"), reviewers},
      {m("SetReviewPolicy"), organisers},
      {m("GetReviewPolicy"), readers},
      {m("GenerateVariants"), {Role::kContributor, Role::kContentDeveloper, Role::kStrategist}},
      {m("SchedulePost"), schedulers},
      {m("BatchSchedulePosts"), schedulers},
      {m("GetPost"), readers},
      {m("CancelPost"), cancellers},
      {m("ReschedulePost"), schedulers},
      {m("ListCalendar"), readers},
      {m("SetCadence"), organisers},
      {m("GetCadence"), readers},
      {m("CreateBlackout"), organisers},
      {m("ListBlackouts"), readers},
      {m("DeleteBlackout"), organisers},
      {m("AddToQueue"), schedulers},
      {m("ListQueue"), readers},
      {m("ReorderQueue"), schedulers},
      {m("ShuffleQueue"), schedulers},
      {m("CreateEvergreenItem"), strategists},
      {m("GetEvergreenItem"), readers},
      {m("ListEvergreenItems"), readers},
      {m("RetireEvergreenItem"),
       {Role::kStrategist, Role::kClinicalReviewer, Role::kComplianceReviewer}},
      {m("RenewEvergreenReview"), reviewers},
      {m("RecycleEvergreen"), schedulers},
      {m("HoldPublishing"), strategists},
      {m("ResumePublishing"), strategists},
      {m("GetPublishingState"), readers},
      {m("GetCalendarFeed"), organisers},
      {m("RevokeCalendarFeed"), organisers},
      {m("ListAuditEntries"), readers},
  });
}

}  // namespace carecast::planner
