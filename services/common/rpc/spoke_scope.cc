#include "services/common/rpc/spoke_scope.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

namespace carecast::common {
namespace {

constexpr std::string_view kSpokesPrefix = "spokes/";

std::string AsSpokeName(std::string_view claim) {
  if (claim.starts_with(kSpokesPrefix)) return std::string(claim);
  return absl::StrCat(AsAbsl(kSpokesPrefix), AsAbsl(claim));
}

}  // namespace

SpokeScope SpokeScope::For(const Caller& caller) {
  if (caller.role == Role::kAdmin || caller.role == Role::kService) return Hub();
  const std::vector<std::string>& claim = caller.principal.spokes;
  if (std::find(claim.begin(), claim.end(), kEverySpoke) != claim.end()) return Hub();
  std::vector<std::string> names;
  names.reserve(claim.size());
  for (const std::string& spoke : claim) {
    if (!spoke.empty()) names.push_back(AsSpokeName(spoke));
  }
  return Only(std::move(names));
}

SpokeScope SpokeScope::Hub() {
  SpokeScope scope;
  scope.hub_ = true;
  return scope;
}

SpokeScope SpokeScope::Only(std::vector<std::string> spoke_names) {
  SpokeScope scope;
  std::sort(spoke_names.begin(), spoke_names.end());
  spoke_names.erase(std::unique(spoke_names.begin(), spoke_names.end()), spoke_names.end());
  scope.spokes_ = std::move(spoke_names);
  return scope;
}

bool SpokeScope::MayChange(std::string_view spoke_name) const {
  if (hub_) return true;
  if (spoke_name.empty()) return false;
  return std::binary_search(spokes_.begin(), spokes_.end(), spoke_name);
}

bool SpokeScope::MaySee(std::string_view spoke_name) const {
  return spoke_name.empty() || MayChange(spoke_name);
}

absl::Status SpokeScope::RequireChange(std::string_view spoke_name, std::string_view what) const {
  if (MayChange(spoke_name)) return absl::OkStatus();
  if (spoke_name.empty()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "only a hub caller (admin, service, or spokes \"*\") may change hub-wide ", AsAbsl(what)));
  }
  return absl::PermissionDeniedError(
      absl::StrCat("the caller does not act for ", AsAbsl(spoke_name), " (token spokes claim)"));
}

absl::Status SpokeScope::RequireRead(std::string_view spoke_name) const {
  if (MaySee(spoke_name)) return absl::OkStatus();
  return RequireChange(spoke_name, "");
}

absl::Status SpokeScope::RequireSee(std::string_view spoke_name, std::string_view resource) const {
  if (MaySee(spoke_name)) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat(AsAbsl(resource), " not found"));
}

absl::Status SpokeScope::RequireChangeOf(std::string_view spoke_name,
                                         std::string_view resource) const {
  if (absl::Status seen = RequireSee(spoke_name, resource); !seen.ok()) return seen;
  return RequireChange(spoke_name, resource);
}

std::string_view SpokeOfResource(std::string_view name) {
  if (!name.starts_with(kSpokesPrefix)) return {};
  const size_t slash = name.find('/', kSpokesPrefix.size());
  if (slash == kSpokesPrefix.size()) return {};
  return name.substr(0, slash == std::string_view::npos ? name.size() : slash);
}

}  // namespace carecast::common
