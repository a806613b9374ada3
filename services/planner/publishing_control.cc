// The global publishing hold (the crisis pause) and reading the audit trail.
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

// Audit version of the switch: 1 while held, 0 while released, so the audit
// line reads as the state it left behind.
int64_t SwitchVersion(const v1::PublishingState& state) { return state.held() ? 1 : 0; }

}  // namespace

absl::StatusOr<Stored<v1::PublishingState>> Planner::ReadPublishingState() {
  absl::StatusOr<Stored<v1::PublishingState>> state =
      control_.Get<v1::PublishingState>(kPublishingKey);
  if (state.ok() || state.status().code() != absl::StatusCode::kNotFound) return state;
  // Never set: publishing runs, and revision 0 tells SetPublishing to create it.
  return Stored<v1::PublishingState>{};
}

absl::StatusOr<std::optional<Stored<v1::PublishingState>>> Planner::SetPublishing(
    const Caller& caller, bool held, const std::string& reason, std::string_view request_id,
    absl::Time now) {
  for (int attempt = 0; attempt < common::kReadModifyWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(Stored<v1::PublishingState> current, ReadPublishingState());
    // Holding a held switch (or resuming a running one) changes nothing.
    if (current.value.held() == held) return std::optional<Stored<v1::PublishingState>>();
    v1::PublishingState next;
    next.set_held(held);
    next.set_reason(reason);
    next.set_changed_by(caller.principal.subject);
    *next.mutable_change_time() = ToProto(now);
    v1::PublishingChanged event;
    *event.mutable_state() = next;
    const std::vector<Change> changes = {
        NewChange({.resource = std::string(kPublishingResource),
                   .base_revision = current.revision,
                   .fact = held ? "held" : "resumed",
                   .subject = held ? subjects::kPublishingHeld : subjects::kPublishingResumed,
                   .payload = &event,
                   .action = held ? "publishing.hold" : "publishing.resume",
                   .version = SwitchVersion(next),
                   .detail = reason},
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
        const absl::Time now = clock_.Now();
        ASSIGN_OR_RETURN(std::optional<Stored<v1::PublishingState>> changed,
                         SetPublishing(caller, true, request.reason(), request.request_id(), now));
        v1::HoldPublishingResponse response;
        if (!changed) {
          ASSIGN_OR_RETURN(Stored<v1::PublishingState> current, ReadPublishingState());
          *response.mutable_state() = std::move(current.value);
          return response;
        }
        wrote = true;
        metrics_.PublishingSwitch("held");
        logger_.Warn("publishing held", {{"actor_role", std::string(RoleName(caller.role))}});
        *response.mutable_state() = std::move(changed->value);
        return response;
      });
}

absl::StatusOr<v1::ResumePublishingResponse> Planner::ResumePublishing(
    const Caller& caller, const v1::ResumePublishingRequest& request) {
  return Mutate<v1::ResumePublishingResponse>(
      caller, "ResumePublishing", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::ResumePublishingResponse> {
        const absl::Time now = clock_.Now();
        ASSIGN_OR_RETURN(std::optional<Stored<v1::PublishingState>> changed,
                         SetPublishing(caller, false, "", request.request_id(), now));
        v1::ResumePublishingResponse response;
        if (!changed) {
          ASSIGN_OR_RETURN(Stored<v1::PublishingState> current, ReadPublishingState());
          *response.mutable_state() = std::move(current.value);
          return response;
        }
        wrote = true;
        metrics_.PublishingSwitch("resumed");
        logger_.Warn("publishing resumed", {{"actor_role", std::string(RoleName(caller.role))}});
        *response.mutable_state() = std::move(changed->value);
        return response;
      });
}

absl::StatusOr<v1::GetPublishingStateResponse> Planner::GetPublishingState(
    const Caller& caller, const v1::GetPublishingStateRequest& request) {
  ASSIGN_OR_RETURN(Stored<v1::PublishingState> current, ReadPublishingState());
  v1::GetPublishingStateResponse response;
  *response.mutable_state() = std::move(current.value);
  return response;
}

absl::StatusOr<v1::ListAuditEntriesResponse> Planner::ListAuditEntries(
    const Caller& caller, const v1::ListAuditEntriesRequest& request) {
  if (request.resource().empty()) return absl::InvalidArgumentError("resource is required");
  ASSIGN_OR_RETURN(std::string subject, AuditSubjectForResource(request.resource()));
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
