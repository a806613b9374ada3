// Which spokes a caller may act for, decided once per call from the admitted
// role and the token's "spokes" claim (docs/security.md, "Spokes"):
//
//  - hub callers act for every spoke and for hub-wide resources: a call admitted
//    as admin or service, or a token whose spokes claim holds "*";
//  - every other caller acts for exactly the spokes its claim lists (ids such as
//    "st-marys" or names such as "spokes/st-marys"). An absent or empty claim
//    means no spoke at all: spoke roles fail closed.
//
// Spoke names here are resource names, "spokes/{spoke}"; an empty name is a
// hub-wide resource (an objective for the whole system, an organisation-wide
// blackout, hub content), which every caller may read and only hub callers change.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

#include "services/common/rpc/rpc_edge.h"

namespace carecast::common {

// The spokes claim value that makes a caller a hub caller.
inline constexpr std::string_view kEverySpoke = "*";

class SpokeScope {
 public:
  static SpokeScope For(const Caller& caller);
  // A hub caller (every spoke).
  static SpokeScope Hub();
  // A caller limited to `spoke_names` ("spokes/{spoke}" each).
  static SpokeScope Only(std::vector<std::string> spoke_names);

  bool hub() const { return hub_; }
  // The spokes a non-hub caller acts for, as names; empty for a hub caller.
  const std::vector<std::string>& spokes() const { return spokes_; }

  // May the caller change resources of `spoke_name`? Empty (hub-wide): hub only.
  bool MayChange(std::string_view spoke_name) const;
  // May the caller see resources of `spoke_name`? Hub-wide ones: everyone.
  bool MaySee(std::string_view spoke_name) const;

  // PERMISSION_DENIED naming the spoke (or "hub-wide <what>") unless MayChange.
  // For requests that name the spoke themselves, so refusing reveals nothing.
  absl::Status RequireChange(std::string_view spoke_name, std::string_view what) const;
  // PERMISSION_DENIED naming the spoke unless MaySee; for reads that name it.
  absl::Status RequireRead(std::string_view spoke_name) const;
  // NOT_FOUND "<resource> not found" unless MaySee: for resources found by an
  // opaque id, another spoke's resource is indistinguishable from a missing one.
  absl::Status RequireSee(std::string_view spoke_name, std::string_view resource) const;
  // RequireSee, then NOT_FOUND as well unless MayChange: a change to another
  // spoke's resource found by opaque id looks like a change to a missing one,
  // and a hub-wide one a spoke caller can see is PERMISSION_DENIED.
  absl::Status RequireChangeOf(std::string_view spoke_name, std::string_view resource) const;

 private:
  bool hub_ = false;
  std::vector<std::string> spokes_;
};

// The spoke name ("spokes/{spoke}") of a resource name under a spoke, such as
// "spokes/st-marys/accounts/main"; empty when `name` is not under a spoke.
std::string_view SpokeOfResource(std::string_view name);

}  // namespace carecast::common
