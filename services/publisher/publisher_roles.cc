#include "services/publisher/publisher_roles.h"

#include <string>
#include <vector>

namespace carecast::publisher {

common::RoleTable PublisherRoleTable() {
  using common::Role;
  // The reads: the people who run publishing and other services may.
  const std::vector<Role> readers = {Role::kPublisher, Role::kStrategist, Role::kAdmin,
                                     Role::kService};
  // Resolving NEEDS_HUMAN states what happened on a network and may send a post
  // again: people who run publishing (the same people may cancel it instead,
  // PlannerService.CancelPost), never a service acting on its own.
  const std::vector<Role> resolvers = {Role::kPublisher, Role::kStrategist, Role::kAdmin};
  return common::RoleTable({
      {std::string(kGetPublisherStatusMethod), readers},
      {std::string(kListDeliveriesMethod), readers},
      {std::string(kConfirmPostPublishedMethod), resolvers},
      {std::string(kConfirmPostNotPublishedMethod), resolvers},
  });
}

}  // namespace carecast::publisher
