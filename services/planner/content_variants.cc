// GenerateVariants: each network's draft of a content, made by the repurposing
// library (services/common/repurpose) and checked by the outgoing-text guard.
#include <set>

#include "absl/strings/str_cat.h"

#include "services/common/repurpose/variant_generator.h"
#include "services/planner/content_rules.h"
#include "services/planner/planner.h"
#include "services/planner/planner_internal.h"
#include "services/planner/resource_names.h"

namespace carecast::planner {

namespace {
constexpr int kMaxGeneratedNetworks = 10;
}  // namespace

absl::StatusOr<v1::GenerateVariantsResponse> Planner::GenerateVariants(
    const Caller& caller, const v1::GenerateVariantsRequest& request) {
  ASSIGN_OR_RETURN(std::string id, ParseContentName("name", request.name()));
  if (request.networks_size() < 1 || request.networks_size() > kMaxGeneratedNetworks) {
    return absl::InvalidArgumentError("networks must name 1 to 10 networks");
  }
  std::set<int> seen;
  for (int i = 0; i < request.networks_size(); ++i) {
    const int n = request.networks(i);
    if (n == v1::NETWORK_UNSPECIFIED || !v1::Network_IsValid(n)) {
      return absl::InvalidArgumentError(absl::StrCat("networks[", i, "] is not a known network"));
    }
    if (!seen.insert(n).second) {
      return absl::InvalidArgumentError(absl::StrCat("networks[", i, "] is named twice"));
    }
  }
  absl::StatusOr<Stored<v1::Content>> content = contents_.Get<v1::Content>(id);
  if (!content.ok()) return internal::NotFoundAs(content.status(), request.name());
  RETURN_IF_ERROR(SpokeScope::For(caller).RequireSee(content->value.spoke(), request.name()));
  const v1::Content& c = content->value;
  v1::GenerateVariantsResponse response;
  for (int network : request.networks()) {
    v1::GeneratedVariant& out = *response.add_variants();
    out.set_network(static_cast<v1::Network>(network));
    absl::StatusOr<common::repurpose::GeneratedVariant> made = common::repurpose::GenerateVariant(
        c.text(), {c.media().begin(), c.media().end()}, out.network());
    if (!made.ok()) {
      out.set_code(static_cast<int>(made.status().code()));
      out.set_message(std::string(made.status().message()));
      continue;
    }
    out.set_text(made->text());
    if (made->is_thread()) {
      for (const std::string& part : made->posts) out.add_thread(part);
    }
    for (const std::string& part : made->posts) {
      for (v1::GuardFinding& f : guard_.Check(part)) {
        f.set_field(std::string(NetworkField(out.network())));
        *out.add_findings() = std::move(f);
      }
    }
  }
  return response;
}

}  // namespace carecast::planner
