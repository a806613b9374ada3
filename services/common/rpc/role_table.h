// The one table of which roles may call which RPC. Every service builds its
// table in <svc>_roles.cc; a test checks it names every method of the service.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "services/common/rpc/principal.h"

namespace carecast::common {

class RoleTable {
 public:
  // Keys are full method names, e.g. "/carecast.v1.PlannerService/CreateContent".
  explicit RoleTable(std::map<std::string, std::vector<Role>, std::less<>> allowed);

  // The first role of `caller` allowed to call `full_method`. PERMISSION_DENIED
  // when none is, or when the method is not in the table (deny by default).
  absl::StatusOr<Role> Authorize(const Principal& caller, std::string_view full_method) const;

  // Methods in the table, sorted.
  std::vector<std::string> Methods() const;
  // The roles allowed to call `full_method`, in table order; empty when the
  // method is not in the table.
  std::vector<Role> RolesFor(std::string_view full_method) const;

 private:
  std::map<std::string, std::vector<Role>, std::less<>> allowed_;
};

}  // namespace carecast::common
