#include "services/common/rpc/role_table.h"

#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

namespace carecast::common {

RoleTable::RoleTable(std::map<std::string, std::vector<Role>, std::less<>> allowed)
    : allowed_(std::move(allowed)) {}

absl::StatusOr<Role> RoleTable::Authorize(const Principal& caller,
                                          std::string_view full_method) const {
  auto it = allowed_.find(full_method);
  if (it == allowed_.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat("method not open to any role: ", AsAbsl(full_method)));
  }
  // Table order decides which role is recorded when the caller holds several.
  for (Role role : it->second) {
    if (caller.HasRole(role)) return role;
  }
  return absl::PermissionDeniedError(
      absl::StrCat("caller has no role allowed to call ", AsAbsl(full_method)));
}

std::vector<Role> RoleTable::RolesFor(std::string_view full_method) const {
  auto it = allowed_.find(full_method);
  return it == allowed_.end() ? std::vector<Role>() : it->second;
}

std::vector<std::string> RoleTable::Methods() const {
  std::vector<std::string> methods;
  methods.reserve(allowed_.size());
  for (const auto& [method, roles] : allowed_) methods.push_back(method);
  return methods;
}

}  // namespace carecast::common
