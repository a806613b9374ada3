#include "services/planner/planner_roles.h"

#include <set>

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include "carecast/v1/planner_service.grpc.pb.h"

namespace carecast::planner {
namespace {

using common::Role;

std::set<std::string> ServiceMethods() {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          carecast::v1::PlannerService::service_full_name());
  EXPECT_NE(service, nullptr);
  std::set<std::string> methods;
  for (int i = 0; service != nullptr && i < service->method_count(); ++i) {
    methods.insert("/" + service->full_name() + "/" + service->method(i)->name());
  }
  return methods;
}

common::Principal With(Role role) {
  common::Principal p;
  p.subject = "someone";
  p.roles = {role};
  return p;
}

TEST(PlannerRolesTest, CoversExactlyTheMethodsOfTheService) {
  std::set<std::string> methods = ServiceMethods();
  EXPECT_EQ(methods.size(), 59u);
  std::vector<std::string> table = PlannerRoleTable().Methods();
  EXPECT_EQ(std::set<std::string>(table.begin(), table.end()), methods);
}

TEST(PlannerRolesTest, EveryRoleMayReadAndOnlyTheRightRolesMayWrite) {
  common::RoleTable table = PlannerRoleTable();
  const std::string p = "/carecast.v1.PlannerService/";
  for (Role role : {Role::kContributor, Role::kContentDeveloper, Role::kClinicalReviewer,
                    Role::kComplianceReviewer, Role::kPublisher, Role::kResponder,
                    Role::kStrategist, Role::kAdmin, Role::kService}) {
    for (const char* read :
         {"ListSpokes", "ListAccounts", "GetObjective", "ListObjectives", "GetContent", "GetPost",
          "ListCalendar", "GetPublishingState", "ListAuditEntries", "GetAudience", "ListAudiences",
          "GetCampaign", "ListCampaigns", "GetReviewPolicy", "GetPatientAuthorization",
          "ListPatientAuthorizations", "ListTakedownTasks"}) {
      EXPECT_TRUE(table.Authorize(With(role), p + read).ok()) << read;
    }
  }
  struct Rule {
    const char* method;
    std::set<Role> allowed;
  };
  const std::vector<Rule> rules = {
      {"CreateSpoke", {Role::kStrategist, Role::kAdmin}},
      {"CreateAccount", {Role::kStrategist, Role::kAdmin}},
      {"CreateObjective", {Role::kStrategist}},
      {"CreateAudience", {Role::kStrategist, Role::kAdmin}},
      {"UpdateAudience", {Role::kStrategist, Role::kAdmin}},
      {"DeleteAudience", {Role::kStrategist, Role::kAdmin}},
      {"CreateCampaign", {Role::kStrategist}},
      {"UpdateCampaign", {Role::kStrategist}},
      {"CreateContent", {Role::kContributor, Role::kContentDeveloper}},
      {"UpdateContent", {Role::kContributor, Role::kContentDeveloper}},
      {"SubmitContent", {Role::kContributor, Role::kContentDeveloper}},
      {"ApproveContent", {Role::kClinicalReviewer, Role::kComplianceReviewer}},
      {"RejectContent", {Role::kClinicalReviewer, Role::kComplianceReviewer}},
      {"SchedulePost", {Role::kPublisher, Role::kStrategist}},
      {"BatchSchedulePosts", {Role::kPublisher, Role::kStrategist}},
      {"CancelPost", {Role::kPublisher, Role::kStrategist, Role::kAdmin}},
      {"ReschedulePost", {Role::kPublisher, Role::kStrategist}},
      {"SetReviewPolicy", {Role::kStrategist, Role::kAdmin}},
      {"HoldPublishing", {Role::kStrategist}},
      {"CreatePatientAuthorization", {Role::kComplianceReviewer, Role::kStrategist}},
      {"RevokePatientAuthorization", {Role::kComplianceReviewer, Role::kStrategist, Role::kAdmin}},
      {"CompleteTakedownTask", {Role::kPublisher, Role::kStrategist, Role::kAdmin}},
      {"ResumePublishing", {Role::kStrategist}},
  };
  for (const Rule& rule : rules) {
    for (Role role : {Role::kContributor, Role::kContentDeveloper, Role::kClinicalReviewer,
                      Role::kComplianceReviewer, Role::kPublisher, Role::kResponder,
                      Role::kStrategist, Role::kAdmin, Role::kService}) {
      absl::StatusOr<Role> got = table.Authorize(With(role), p + rule.method);
      if (rule.allowed.contains(role)) {
        EXPECT_TRUE(got.ok()) << rule.method << " " << common::RoleName(role);
      } else {
        EXPECT_EQ(got.status().code(), absl::StatusCode::kPermissionDenied)
            << rule.method << " " << common::RoleName(role);
      }
    }
  }
}

}  // namespace
}  // namespace carecast::planner
