#include "services/common/rpc/role_table.h"

#include <gtest/gtest.h>

#include "services/common/rpc/principal.h"

namespace carecast::common {
namespace {

constexpr char kCreate[] = "/carecast.v1.PlannerService/CreateContent";
constexpr char kApprove[] = "/carecast.v1.PlannerService/ApproveContent";

TEST(PrincipalTest, RoleNamesRoundTrip) {
  for (Role role : {Role::kContributor, Role::kContentDeveloper, Role::kClinicalReviewer,
                    Role::kComplianceReviewer, Role::kPublisher, Role::kResponder,
                    Role::kStrategist, Role::kAdmin, Role::kService}) {
    EXPECT_EQ(ParseRole(RoleName(role)), role) << RoleName(role);
  }
  EXPECT_EQ(RoleName(Role::kClinicalReviewer), "clinical_reviewer");
  EXPECT_EQ(ParseRole("Admin"), std::nullopt);
  EXPECT_EQ(ParseRole(""), std::nullopt);
}

TEST(PrincipalTest, HasRole) {
  Principal p{"u1", {Role::kPublisher}, {}};
  EXPECT_TRUE(p.HasRole(Role::kPublisher));
  EXPECT_FALSE(p.HasRole(Role::kAdmin));
}

RoleTable Table() {
  return RoleTable({{kCreate, {Role::kContentDeveloper, Role::kAdmin}},
                    {kApprove, {Role::kClinicalReviewer, Role::kComplianceReviewer}}});
}

TEST(RoleTableTest, AllowedRoleIsReturned) {
  RoleTable table = Table();
  absl::StatusOr<Role> role =
      table.Authorize(Principal{"u", {Role::kContributor, Role::kAdmin}, {}}, kCreate);
  ASSERT_TRUE(role.ok()) << role.status();
  EXPECT_EQ(*role, Role::kAdmin);
}

TEST(RoleTableTest, TableOrderDecidesBetweenSeveralRoles) {
  RoleTable table = Table();
  absl::StatusOr<Role> role = table.Authorize(
      Principal{"u", {Role::kComplianceReviewer, Role::kClinicalReviewer}, {}}, kApprove);
  ASSERT_TRUE(role.ok());
  EXPECT_EQ(*role, Role::kClinicalReviewer);
}

TEST(RoleTableTest, WrongRoleIsDenied) {
  RoleTable table = Table();
  EXPECT_EQ(table.Authorize(Principal{"u", {Role::kPublisher}, {}}, kCreate).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(table.Authorize(Principal{"u", {}, {}}, kCreate).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(RoleTableTest, UnknownMethodIsDeniedEvenForAdmin) {
  RoleTable table = Table();
  EXPECT_EQ(table.Authorize(Principal{"u", {Role::kAdmin}, {}}, "/carecast.v1.PlannerService/Nope")
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(RoleTableTest, MethodsAreSorted) {
  EXPECT_EQ(Table().Methods(), (std::vector<std::string>{kApprove, kCreate}));
}

}  // namespace
}  // namespace carecast::common
