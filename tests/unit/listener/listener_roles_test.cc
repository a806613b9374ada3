#include "services/listener/listener_roles.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "carecast/v1/listener_service.pb.h"

namespace carecast::listener {
namespace {

using common::Principal;
using common::Role;

TEST(ListenerRolesTest, TableNamesEveryMethodOfTheService) {
  const google::protobuf::ServiceDescriptor* service =
      v1::CreateMentionRequest::descriptor()->file()->FindServiceByName("ListenerService");
  ASSERT_NE(service, nullptr);
  std::vector<std::string> methods;
  methods.reserve(static_cast<size_t>(service->method_count()));
  for (int i = 0; i < service->method_count(); ++i) {
    methods.push_back("/" + service->full_name() + "/" + service->method(i)->name());
  }
  std::sort(methods.begin(), methods.end());
  EXPECT_EQ(ListenerRoleTable().Methods(), methods);
}

TEST(ListenerRolesTest, RolesMatchTheDesign) {
  const common::RoleTable table = ListenerRoleTable();
  auto allowed = [&](Role role, std::string_view method) {
    return table.Authorize(Principal{"someone", {role}, {}}, method).ok();
  };
  for (std::string_view m : {kCreateMentionMethod, kStreamMentionsMethod}) {
    EXPECT_TRUE(allowed(Role::kService, m));
    EXPECT_TRUE(allowed(Role::kResponder, m));
    EXPECT_TRUE(allowed(Role::kAdmin, m));
    EXPECT_FALSE(allowed(Role::kStrategist, m));
    EXPECT_FALSE(allowed(Role::kContributor, m));
  }
  for (std::string_view m : {kGetMentionMethod, kListInboxItemsMethod}) {
    EXPECT_TRUE(allowed(Role::kResponder, m));
    EXPECT_TRUE(allowed(Role::kStrategist, m));
    EXPECT_TRUE(allowed(Role::kAdmin, m));
    EXPECT_FALSE(allowed(Role::kService, m));
    EXPECT_FALSE(allowed(Role::kPublisher, m));
  }
  for (std::string_view m : {kCloseInboxItemMethod, kResolveInboxItemMethod, kAssignInboxItemMethod,
                             kSetInboxItemWaitingMethod, kAddInboxNoteMethod}) {
    EXPECT_TRUE(allowed(Role::kResponder, m)) << m;
    EXPECT_FALSE(allowed(Role::kAdmin, m)) << m;
    EXPECT_FALSE(allowed(Role::kStrategist, m)) << m;
    EXPECT_FALSE(allowed(Role::kService, m)) << m;
  }
  for (Role r : {Role::kContributor, Role::kContentDeveloper, Role::kClinicalReviewer,
                 Role::kComplianceReviewer, Role::kPublisher, Role::kResponder, Role::kStrategist,
                 Role::kAdmin, Role::kService}) {
    EXPECT_TRUE(allowed(r, kAnalyzeTextMethod)) << common::RoleName(r);
  }
  EXPECT_FALSE(table.Authorize(Principal{"nobody", {}, {}}, kAnalyzeTextMethod).ok());
}

}  // namespace
}  // namespace carecast::listener
