// Lists of content: the review queue (IN_REVIEW content of a spoke) and any
// other state filter, oldest change first, limited to the caller's spokes.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "services/common/lifecycle/patient_consent.h"
#include "services/planner/page_token.h"
#include "services/planner/planner.h"
#include "services/planner/planner_internal.h"
#include "services/planner/resource_names.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

// A page token is valid only for the filters it was made for.
std::string ListScope(const v1::ListContentsRequest& request) {
  std::string scope = absl::StrCat("contents:", request.spoke(), ":");
  for (int state : request.states()) absl::StrAppend(&scope, state, ",");
  return scope;
}

}  // namespace

absl::StatusOr<v1::ListContentsResponse> Planner::ListContents(
    const Caller& caller, const v1::ListContentsRequest& request) {
  const SpokeScope scope = SpokeScope::For(caller);
  if (!request.spoke().empty()) {
    ASSIGN_OR_RETURN(std::string id, ParseSpokeName("spoke", request.spoke()));
    RETURN_IF_ERROR(scope.RequireRead(SpokeName(id)));
  }
  for (int state : request.states()) {
    if (state == v1::CONTENT_STATE_UNSPECIFIED || !v1::ContentState_IsValid(state)) {
      return absl::InvalidArgumentError("states must name known content states");
    }
  }
  ASSIGN_OR_RETURN(size_t page, ResolvePageSize(request.page_size()));
  const std::string token_scope = ListScope(request);
  ASSIGN_OR_RETURN(uint64_t offset, DecodePageToken(request.page_token(), token_scope));

  // One pass over the bucket (streamed), keeping what matches; the order is
  // (update_time, name), stable across pages while nothing changes.
  std::vector<v1::Content> matched;
  RETURN_IF_ERROR(contents_.kv().Scan("", [&](std::string_view key, const common::KvEntry& entry) {
    // Patient authorizations share the bucket (lifecycle/patient_consent.h).
    if (absl::StartsWith(common::AsAbsl(key),
                         common::AsAbsl(lifecycle::kPatientAuthorizationKeyPrefix))) {
      return absl::OkStatus();
    }
    v1::Content content;
    if (!content.ParseFromString(common::DecodeRecord(entry).value)) return absl::OkStatus();
    if (!request.spoke().empty() && content.spoke() != request.spoke()) return absl::OkStatus();
    if (!scope.MaySee(content.spoke())) return absl::OkStatus();
    if (request.states_size() > 0 && std::find(request.states().begin(), request.states().end(),
                                               content.state()) == request.states().end()) {
      return absl::OkStatus();
    }
    matched.push_back(std::move(content));
    return absl::OkStatus();
  }));
  std::sort(matched.begin(), matched.end(), [](const v1::Content& a, const v1::Content& b) {
    const absl::Time ta = FromProto(a.update_time());
    const absl::Time tb = FromProto(b.update_time());
    return ta != tb ? ta < tb : a.name() < b.name();
  });
  v1::ListContentsResponse response;
  const size_t end = std::min(matched.size(), static_cast<size_t>(offset) + page);
  for (size_t i = offset; i < end; ++i) *response.add_contents() = std::move(matched[i]);
  if (end < matched.size()) response.set_next_page_token(EncodePageToken(token_scope, end));
  return response;
}

}  // namespace carecast::planner
