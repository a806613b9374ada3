#include "services/publisher/publisher_roles.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "carecast/v1/publisher_service.pb.h"

namespace carecast::publisher {
namespace {

using common::Principal;
using common::Role;

TEST(PublisherRolesTest, TableNamesEveryMethodOfTheService) {
  const google::protobuf::ServiceDescriptor* service =
      carecast::v1::GetPublisherStatusRequest::descriptor()->file()->FindServiceByName(
          "PublisherService");
  ASSERT_NE(service, nullptr);
  std::vector<std::string> methods;
  methods.reserve(static_cast<size_t>(service->method_count()));
  for (int i = 0; i < service->method_count(); ++i)
    methods.push_back("/" + service->full_name() + "/" + service->method(i)->name());
  std::sort(methods.begin(), methods.end());
  EXPECT_EQ(PublisherRoleTable().Methods(), methods);
}

TEST(PublisherRolesTest, ReadersArePublisherStrategistAdminAndService) {
  const common::RoleTable table = PublisherRoleTable();
  for (std::string_view method : {kGetPublisherStatusMethod, kListDeliveriesMethod}) {
    for (Role r : {Role::kPublisher, Role::kStrategist, Role::kAdmin, Role::kService})
      EXPECT_TRUE(table.Authorize(Principal{"p", {r}, {}}, method).ok()) << common::RoleName(r);
    for (Role r : {Role::kContributor, Role::kContentDeveloper, Role::kClinicalReviewer,
                   Role::kComplianceReviewer, Role::kResponder}) {
      EXPECT_EQ(table.Authorize(Principal{"p", {r}, {}}, method).status().code(),
                absl::StatusCode::kPermissionDenied)
          << common::RoleName(r);
    }
  }
}

TEST(PublisherRolesTest, OnlyPublishersStrategistsAndAdminsResolveNeedsHumanPosts) {
  const common::RoleTable table = PublisherRoleTable();
  for (std::string_view method : {kConfirmPostPublishedMethod, kConfirmPostNotPublishedMethod}) {
    for (Role r : {Role::kPublisher, Role::kStrategist, Role::kAdmin})
      EXPECT_TRUE(table.Authorize(Principal{"p", {r}, {}}, method).ok()) << common::RoleName(r);
    for (Role r : {Role::kContributor, Role::kContentDeveloper, Role::kClinicalReviewer,
                   Role::kComplianceReviewer, Role::kResponder, Role::kService}) {
      EXPECT_EQ(table.Authorize(Principal{"p", {r}, {}}, method).status().code(),
                absl::StatusCode::kPermissionDenied)
          << common::RoleName(r) << " " << method;
    }
  }
  // The audit trail records the publisher role first when a caller holds both.
  absl::StatusOr<Role> role = table.Authorize(Principal{"p", {Role::kAdmin, Role::kPublisher}, {}},
                                              kConfirmPostPublishedMethod);
  ASSERT_TRUE(role.ok());
  EXPECT_EQ(*role, Role::kPublisher);
}

}  // namespace
}  // namespace carecast::publisher
