// The global publishing hold (the crisis pause) and reading the audit trail.
#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"

#include "carecast/v1/events.pb.h"

#include "services/common/bus/subjects.h"
#include "services/planner/page_token.h"
#include "services/planner/planner.h"
#include "services/planner/planner_internal.h"
#include "services/planner/resource_names.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

namespace subjects = common::subjects;

// Audit version of the switch that changed: 1 while held, 0 while released, so
// the audit line reads as the state it left behind.
int64_t SwitchVersion(bool held) { return held ? 1 : 0; }

// The spoke's own hold in `state`, or nullptr.
const v1::SpokeHold* FindSpokeHold(const v1::PublishingState& state, std::string_view spoke) {
  for (const v1::SpokeHold& hold : state.spoke_holds()) {
    if (hold.spoke() == spoke) return &hold;
  }
  return nullptr;
}

// `state` with the spoke's hold set (held) or removed, kept sorted by spoke.
void SetSpokeHold(v1::PublishingState& state, const v1::SpokeHold& hold, bool held) {
  std::vector<v1::SpokeHold> holds;
  for (const v1::SpokeHold& h : state.spoke_holds()) {
    if (h.spoke() != hold.spoke()) holds.push_back(h);
  }
  if (held) holds.push_back(hold);
  std::sort(holds.begin(), holds.end(),
            [](const v1::SpokeHold& a, const v1::SpokeHold& b) { return a.spoke() < b.spoke(); });
  state.clear_spoke_holds();
  for (v1::SpokeHold& h : holds) *state.add_spoke_holds() = std::move(h);
}

// What a caller may see of the switches: the global one, and its spokes' holds.
v1::PublishingState VisibleTo(const SpokeScope& scope, v1::PublishingState state) {
  if (scope.hub()) return state;
  std::vector<v1::SpokeHold> kept;
  for (const v1::SpokeHold& h : state.spoke_holds()) {
    if (scope.MaySee(h.spoke())) kept.push_back(h);
  }
  state.clear_spoke_holds();
  for (v1::SpokeHold& h : kept) *state.add_spoke_holds() = std::move(h);
  return state;
}

// The spoke a hold or resume request names ("" for the global switch), checked
// against the caller's spokes; the spoke must exist.
absl::StatusOr<std::string> SwitchSpoke(const SpokeScope& scope, std::string_view requested) {
  if (requested.empty()) {
    RETURN_IF_ERROR(scope.RequireChange("", "publishing (the global hold)"));
    return std::string();
  }
  ASSIGN_OR_RETURN(std::string id, ParseSpokeName("spoke", requested));
  const std::string name = SpokeName(id);
  RETURN_IF_ERROR(scope.RequireChange(name, "publishing"));
  return name;
}

}  // namespace

absl::StatusOr<Stored<v1::PublishingState>> Planner::ReadPublishingState() {
  // From the bucket's leader: a replica that is behind could say "already
  // held" (or "already running") and turn a person's hold into a no-op.
  absl::StatusOr<Stored<v1::PublishingState>> state =
      control_.GetLatest<v1::PublishingState>(kPublishingKey);
  if (state.ok() || state.status().code() != absl::StatusCode::kNotFound) return state;
  // Never set: publishing runs, and revision 0 tells SetPublishing to create it.
  return Stored<v1::PublishingState>{};
}

absl::StatusOr<std::optional<Stored<v1::PublishingState>>> Planner::SetPublishing(
    const Caller& caller, const std::string& spoke, bool held, const std::string& reason,
    std::string_view request_id, absl::Time now) {
  for (int attempt = 0; attempt < common::kReadModifyWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(Stored<v1::PublishingState> current, ReadPublishingState());
    // Holding a held switch (or resuming a running one) changes nothing.
    const bool was_held =
        spoke.empty() ? current.value.held() : FindSpokeHold(current.value, spoke) != nullptr;
    if (was_held == held) return std::optional<Stored<v1::PublishingState>>();
    v1::PublishingState next = current.value;
    if (spoke.empty()) {
      next.set_held(held);
      next.set_reason(reason);
      next.set_changed_by(caller.principal.subject);
      *next.mutable_change_time() = ToProto(now);
    } else {
      v1::SpokeHold hold;
      hold.set_spoke(spoke);
      hold.set_reason(reason);
      hold.set_changed_by(caller.principal.subject);
      *hold.mutable_change_time() = ToProto(now);
      SetSpokeHold(next, hold, held);
    }
    v1::PublishingChanged event;
    *event.mutable_state() = next;
    event.set_spoke(spoke);
    const std::vector<Change> changes = {NewChange(
        {.resource = std::string(kPublishingResource),
         .base_revision = current.revision,
         .fact = held ? "held" : "resumed",
         .subject = held ? subjects::kPublishingHeld : subjects::kPublishingResumed,
         .payload = &event,
         .action = held ? "publishing.hold" : "publishing.resume",
         .version = SwitchVersion(held),
         .detail =
             spoke.empty() ? reason : (reason.empty() ? spoke : absl::StrCat(spoke, ": ", reason))},
        caller, request_id, now)};
    absl::StatusOr<Stored<v1::PublishingState>> written =
        current.revision == 0 ? control_.Create(kPublishingKey, next, changes)
                              : control_.Update(kPublishingKey, next, current, changes);
    if (written.ok()) return std::optional<Stored<v1::PublishingState>>(*std::move(written));
    const absl::StatusCode code = written.status().code();
    if (code != absl::StatusCode::kAborted && code != absl::StatusCode::kAlreadyExists) {
      return written.status();
    }
  }
  return absl::AbortedError("the publishing switch is being changed concurrently; try again");
}

absl::StatusOr<v1::HoldPublishingResponse> Planner::HoldPublishing(
    const Caller& caller, const v1::HoldPublishingRequest& request) {
  return Mutate<v1::HoldPublishingResponse>(
      caller, "HoldPublishing", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::HoldPublishingResponse> {
        RETURN_IF_ERROR(CheckText("reason", request.reason(), kMaxReasonChars, false));
        const SpokeScope scope = SpokeScope::For(caller);
        ASSIGN_OR_RETURN(std::string spoke, SwitchSpoke(scope, request.spoke()));
        if (!spoke.empty()) {
          absl::Status known =
              organisation_.Get<v1::Spoke>(SpokeKey(ParseSpokeName("spoke", spoke).value()))
                  .status();
          if (!known.ok()) return internal::NotFoundAs(known, spoke);
        }
        const absl::Time now = clock_.Now();
        ASSIGN_OR_RETURN(
            std::optional<Stored<v1::PublishingState>> changed,
            SetPublishing(caller, spoke, true, request.reason(), request.request_id(), now));
        v1::HoldPublishingResponse response;
        if (!changed) {
          ASSIGN_OR_RETURN(Stored<v1::PublishingState> current, ReadPublishingState());
          *response.mutable_state() = VisibleTo(scope, std::move(current.value));
          return response;
        }
        wrote = true;
        metrics_.PublishingSwitch(spoke.empty() ? "held" : "spoke_held");
        logger_.Warn("publishing held", {{"actor_role", std::string(RoleName(caller.role))},
                                         {"spoke", spoke.empty() ? "*" : spoke}});
        *response.mutable_state() = VisibleTo(scope, std::move(changed->value));
        return response;
      });
}

absl::StatusOr<v1::ResumePublishingResponse> Planner::ResumePublishing(
    const Caller& caller, const v1::ResumePublishingRequest& request) {
  return Mutate<v1::ResumePublishingResponse>(
      caller, "ResumePublishing", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::ResumePublishingResponse> {
        const SpokeScope scope = SpokeScope::For(caller);
        ASSIGN_OR_RETURN(std::string spoke, SwitchSpoke(scope, request.spoke()));
        const absl::Time now = clock_.Now();
        ASSIGN_OR_RETURN(std::optional<Stored<v1::PublishingState>> changed,
                         SetPublishing(caller, spoke, false, "", request.request_id(), now));
        v1::ResumePublishingResponse response;
        if (!changed) {
          ASSIGN_OR_RETURN(Stored<v1::PublishingState> current, ReadPublishingState());
          *response.mutable_state() = VisibleTo(scope, std::move(current.value));
          return response;
        }
        wrote = true;
        metrics_.PublishingSwitch(spoke.empty() ? "resumed" : "spoke_resumed");
        logger_.Warn("publishing resumed", {{"actor_role", std::string(RoleName(caller.role))},
                                            {"spoke", spoke.empty() ? "*" : spoke}});
        *response.mutable_state() = VisibleTo(scope, std::move(changed->value));
        return response;
      });
}

absl::StatusOr<v1::GetPublishingStateResponse> Planner::GetPublishingState(
    const Caller& caller, const v1::GetPublishingStateRequest& request) {
  ASSIGN_OR_RETURN(Stored<v1::PublishingState> current, ReadPublishingState());
  v1::GetPublishingStateResponse response;
  *response.mutable_state() = VisibleTo(SpokeScope::For(caller), std::move(current.value));
  return response;
}

absl::Status Planner::RequireAuditVisible(const SpokeScope& scope, const std::string& resource) {
  if (scope.hub()) return absl::OkStatus();
  // Under a spoke: accounts, cadences, the spoke itself.
  if (const std::string_view spoke = common::SpokeOfResource(resource); !spoke.empty()) {
    return scope.RequireRead(spoke);
  }
  if (ParseContentName("resource", resource).ok()) {
    absl::StatusOr<Stored<v1::Content>> content =
        contents_.Get<v1::Content>(ParseContentName("resource", resource).value());
    if (!content.ok()) return internal::NotFoundAs(content.status(), resource);
    return scope.RequireSee(content->value.spoke(), resource);
  }
  if (ParsePostName("resource", resource).ok()) {
    absl::StatusOr<Stored<v1::Post>> post =
        posts_.Get<v1::Post>(ParsePostName("resource", resource).value());
    if (!post.ok()) return internal::NotFoundAs(post.status(), resource);
    return scope.RequireSee(common::SpokeOfResource(post->value.account()), resource);
  }
  if (ParseObjectiveName("resource", resource).ok()) {
    absl::StatusOr<Stored<v1::Objective>> objective =
        objectives_.Get<v1::Objective>(ParseObjectiveName("resource", resource).value());
    if (!objective.ok()) return internal::NotFoundAs(objective.status(), resource);
    return scope.RequireSee(objective->value.spoke(), resource);
  }
  // The switches, blackouts and evergreen items span spokes: their trails are
  // the hub's.
  return absl::PermissionDeniedError(
      absl::StrCat("the audit trail of ", resource,
                   " spans spokes; only a hub caller (admin, service, or spokes \"*\") reads it"));
}

absl::StatusOr<v1::ListAuditEntriesResponse> Planner::ListAuditEntries(
    const Caller& caller, const v1::ListAuditEntriesRequest& request) {
  if (request.resource().empty()) return absl::InvalidArgumentError("resource is required");
  ASSIGN_OR_RETURN(std::string subject, AuditSubjectForResource(request.resource()));
  RETURN_IF_ERROR(RequireAuditVisible(SpokeScope::For(caller), request.resource()));
  ASSIGN_OR_RETURN(size_t page, ResolvePageSize(request.page_size()));
  const std::string scope = absl::StrCat("audit:", request.resource());
  ASSIGN_OR_RETURN(uint64_t start, DecodePageToken(request.page_token(), scope));
  ASSIGN_OR_RETURN(AuditPage entries,
                   common::ListAuditEntries(bus_, subject, start == 0 ? 1 : start, page));
  v1::ListAuditEntriesResponse response;
  for (auto& e : entries.entries) *response.add_entries() = std::move(e);
  if (entries.next_sequence != 0) {
    response.set_next_page_token(EncodePageToken(scope, entries.next_sequence));
  }
  return response;
}

}  // namespace carecast::planner
