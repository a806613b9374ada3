#include "services/publisher/publisher_roles.h"

#include <string>
#include <vector>

namespace carecast::publisher {

common::RoleTable PublisherRoleTable() {
  using common::Role;
  // Both methods only read; the people who run publishing and other services may.
  const std::vector<Role> readers = {Role::kPublisher, Role::kStrategist, Role::kAdmin,
                                     Role::kService};
  return common::RoleTable({
      {std::string(kGetPublisherStatusMethod), readers},
      {std::string(kListDeliveriesMethod), readers},
  });
}

}  // namespace carecast::publisher
