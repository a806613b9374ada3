// Patient authorizations and the takedown tasks their revocation raises.
// An authorization lives in the contents bucket ("authorizations.<id>") so the
// publisher reads it beside the content it covers; takedown tasks live in the
// organisation bucket ("takedowns.<post>", one per post). The consent rule
// itself is lifecycle::CheckPatientAuthorization, shared with the publisher.
#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "carecast/v1/events.pb.h"

#include "services/common/bus/subjects.h"
#include "services/common/lifecycle/patient_consent.h"
#include "services/planner/page_token.h"
#include "services/planner/planner.h"
#include "services/planner/planner_internal.h"
#include "services/planner/resource_names.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

using common::AsAbsl;
namespace subjects = common::subjects;

constexpr size_t kMaxSubjectLabelChars = 100;
constexpr size_t kMaxFormReferenceChars = 500;
// A consent for longer than this is almost certainly a typing error.
constexpr absl::Duration kMaxConsentLength = absl::Hours(24 * (10 * 365 + 2));

// The posts a revocation cancels (not yet sent) and those it raises a
// takedown task for (on the network, or possibly: in flight or unknown).
const std::vector<v1::PostState>& UnsentStates() {
  static const std::vector<v1::PostState> states = {
      v1::POST_STATE_SCHEDULED, v1::POST_STATE_AWAITING_APPROVAL, v1::POST_STATE_NEEDS_RESCHEDULE};
  return states;
}
bool MayBeOnTheNetwork(v1::PostState state) {
  return state == v1::POST_STATE_PUBLISHED || state == v1::POST_STATE_PUBLISHING ||
         state == v1::POST_STATE_NEEDS_HUMAN;
}

absl::Status ValidateAuthorization(const v1::PatientAuthorization& in, absl::Time now) {
  RETURN_IF_ERROR(ParseSpokeName("authorization.spoke", in.spoke()).status());
  RETURN_IF_ERROR(
      CheckText("authorization.subject_label", in.subject_label(), kMaxSubjectLabelChars, true));
  RETURN_IF_ERROR(
      CheckText("authorization.form_reference", in.form_reference(), kMaxFormReferenceChars, true));
  if (in.networks().empty()) {
    return absl::InvalidArgumentError("authorization.networks must name at least one network");
  }
  RETURN_IF_ERROR(CheckNetworks("authorization.networks", in.networks()));
  RETURN_IF_ERROR(
      CheckTimestamp("authorization.expire_time", in.has_expire_time(), in.expire_time()));
  const absl::Time expires = FromProto(in.expire_time());
  if (expires <= now) {
    return absl::InvalidArgumentError("authorization.expire_time must be in the future");
  }
  if (expires - now > kMaxConsentLength) {
    return absl::InvalidArgumentError("authorization.expire_time is more than 10 years ahead");
  }
  return absl::OkStatus();
}

v1::PatientAuthorizationChanged AuthorizationEvent(const v1::PatientAuthorization& authorization,
                                                   const common::Caller& caller) {
  v1::PatientAuthorizationChanged event;
  *event.mutable_authorization() = authorization;
  event.set_actor(caller.principal.subject);
  return event;
}

v1::TakedownTaskChanged TakedownEvent(const v1::TakedownTask& task, const common::Caller& caller) {
  v1::TakedownTaskChanged event;
  *event.mutable_takedown_task() = task;
  event.set_actor(caller.principal.subject);
  return event;
}

}  // namespace

absl::StatusOr<v1::PatientAuthorization> Planner::ReadConsent(const v1::Content& content) {
  ASSIGN_OR_RETURN(std::string id, ParsePatientAuthorizationName("content.patient_authorization",
                                                                 content.patient_authorization()));
  absl::StatusOr<Stored<v1::PatientAuthorization>> stored =
      contents_.Get<v1::PatientAuthorization>(PatientAuthorizationKey(id));
  if (absl::IsNotFound(stored.status())) {
    return absl::FailedPreconditionError(absl::StrCat("content.patient_authorization names ",
                                                      content.patient_authorization(),
                                                      ", which does not exist"));
  }
  if (!stored.ok()) return stored.status();
  if (stored->value.spoke() != content.spoke()) {
    return absl::FailedPreconditionError(absl::StrCat(content.patient_authorization(),
                                                      " belongs to ", stored->value.spoke(),
                                                      ", not to the content's spoke"));
  }
  return std::move(stored->value);
}

absl::Status Planner::CheckConsentReference(const v1::Content& content, absl::Time now) {
  if (content.patient_authorization().empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(v1::PatientAuthorization authorization, ReadConsent(content));
  return lifecycle::CheckPatientAuthorizationInForce(authorization, now);
}

absl::Status Planner::CheckContentConsent(const v1::Content& content, absl::Time now) {
  if (!content.features_patient()) return absl::OkStatus();
  if (content.patient_authorization().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        content.name(), " features a patient: name their patient_authorization before review"));
  }
  ASSIGN_OR_RETURN(v1::PatientAuthorization authorization, ReadConsent(content));
  RETURN_IF_ERROR(lifecycle::CheckPatientAuthorizationInForce(authorization, now));
  for (const v1::ContentVariant& variant : content.variants()) {
    RETURN_IF_ERROR(lifecycle::CheckPatientAuthorization(authorization, variant.network(), now));
  }
  return absl::OkStatus();
}

absl::Status Planner::CheckPostConsent(const v1::Content& content, v1::Network network,
                                       absl::Time publish_time) {
  if (!content.features_patient()) return absl::OkStatus();
  if (content.patient_authorization().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(content.name(), " features a patient and names no patient_authorization"));
  }
  ASSIGN_OR_RETURN(v1::PatientAuthorization authorization, ReadConsent(content));
  // In force when the post goes out, not only now.
  return lifecycle::CheckPatientAuthorization(authorization, network, publish_time);
}

absl::Status Planner::CheckSlotConsent(const std::string& content_id, v1::Network network,
                                       absl::Time slot) {
  ASSIGN_OR_RETURN(Stored<v1::Content> content, contents_.Get<v1::Content>(content_id));
  return CheckPostConsent(content.value, network, slot);
}

absl::StatusOr<v1::CreatePatientAuthorizationResponse> Planner::CreatePatientAuthorization(
    const Caller& caller, const v1::CreatePatientAuthorizationRequest& request) {
  static constexpr std::string_view kMethod = "CreatePatientAuthorization";
  return Mutate<v1::CreatePatientAuthorizationResponse>(
      caller, kMethod, request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::CreatePatientAuthorizationResponse> {
        const v1::PatientAuthorization& in = request.authorization();
        const absl::Time now = clock_.Now();
        RETURN_IF_ERROR(ValidateAuthorization(in, now));
        RETURN_IF_ERROR(
            SpokeScope::For(caller).RequireChange(in.spoke(), "patient authorizations"));
        ASSIGN_OR_RETURN(std::string spoke_id, ParseSpokeName("authorization.spoke", in.spoke()));
        absl::StatusOr<Stored<v1::Spoke>> spoke = organisation_.Get<v1::Spoke>(SpokeKey(spoke_id));
        if (absl::IsNotFound(spoke.status())) {
          return absl::FailedPreconditionError(
              absl::StrCat("authorization.spoke names ", in.spoke(), ", which does not exist"));
        }
        if (!spoke.ok()) return spoke.status();
        bool derived = false;
        ASSIGN_OR_RETURN(std::string id, ChooseId("authorization_id", request.authorization_id(),
                                                  kMethod, caller, request.request_id(), &derived));
        v1::CreatePatientAuthorizationResponse response;
        v1::PatientAuthorization& authorization = *response.mutable_authorization();
        authorization.set_name(PatientAuthorizationName(id));
        authorization.set_spoke(in.spoke());
        authorization.set_subject_label(in.subject_label());
        *authorization.mutable_networks() = in.networks();
        *authorization.mutable_expire_time() = in.expire_time();
        authorization.set_form_reference(in.form_reference());
        authorization.set_state(v1::PATIENT_AUTHORIZATION_STATE_ACTIVE);
        authorization.set_created_by(caller.principal.subject);
        *authorization.mutable_create_time() = ToProto(now);
        const v1::PatientAuthorizationChanged event = AuthorizationEvent(authorization, caller);
        const std::vector<Change> changes = {
            NewChange({.resource = authorization.name(),
                       .base_revision = 0,
                       .fact = "created",
                       .subject = subjects::kPatientAuthorizationCreated,
                       .payload = &event,
                       .action = "patient_authorization.create",
                       .version = 1},
                      caller, request.request_id(), now)};
        const std::string key = PatientAuthorizationKey(id);
        auto created = contents_.Create(key, authorization, changes);
        if (!created.ok()) {
          if (!absl::IsAlreadyExists(created.status())) return created.status();
          if (!derived) {
            return absl::AlreadyExistsError(absl::StrCat(authorization.name(), " already exists"));
          }
          (void)contents_.Settle(key);
          ASSIGN_OR_RETURN(Stored<v1::PatientAuthorization> existing,
                           contents_.Get<v1::PatientAuthorization>(key));
          *response.mutable_authorization() = std::move(existing.value);
          return response;
        }
        wrote = true;
        return response;
      });
}

absl::StatusOr<v1::GetPatientAuthorizationResponse> Planner::GetPatientAuthorization(
    const Caller& caller, const v1::GetPatientAuthorizationRequest& request) {
  ASSIGN_OR_RETURN(std::string id, ParsePatientAuthorizationName("name", request.name()));
  absl::StatusOr<Stored<v1::PatientAuthorization>> stored =
      contents_.Get<v1::PatientAuthorization>(PatientAuthorizationKey(id));
  if (!stored.ok()) return internal::NotFoundAs(stored.status(), request.name());
  RETURN_IF_ERROR(SpokeScope::For(caller).RequireSee(stored->value.spoke(), request.name()));
  v1::GetPatientAuthorizationResponse response;
  *response.mutable_authorization() = std::move(stored->value);
  return response;
}

absl::StatusOr<v1::ListPatientAuthorizationsResponse> Planner::ListPatientAuthorizations(
    const Caller& caller, const v1::ListPatientAuthorizationsRequest& request) {
  const SpokeScope spokes = SpokeScope::For(caller);
  if (!request.spoke().empty()) {
    RETURN_IF_ERROR(ParseSpokeName("spoke", request.spoke()).status());
    RETURN_IF_ERROR(spokes.RequireRead(request.spoke()));
  }
  ASSIGN_OR_RETURN(size_t page, ResolvePageSize(request.page_size()));
  const std::string scope = absl::StrCat("authorizations:", request.spoke());
  ASSIGN_OR_RETURN(uint64_t offset, DecodePageToken(request.page_token(), scope));
  ASSIGN_OR_RETURN(std::vector<std::string> keys,
                   contents_.Keys(lifecycle::kPatientAuthorizationKeyPrefix));
  std::sort(keys.begin(), keys.end());
  v1::ListPatientAuthorizationsResponse response;
  ASSIGN_OR_RETURN(
      uint64_t next,
      internal::FilteredPage<v1::PatientAuthorization>(
          contents_, keys, offset, page,
          [&](const v1::PatientAuthorization& a) {
            if (!spokes.MaySee(a.spoke())) return false;
            return request.spoke().empty() || a.spoke() == request.spoke();
          },
          [&](v1::PatientAuthorization a) { *response.add_authorizations() = std::move(a); }));
  if (next != 0) response.set_next_page_token(EncodePageToken(scope, next));
  return response;
}

absl::StatusOr<v1::RevokePatientAuthorizationResponse> Planner::RevokePatientAuthorization(
    const Caller& caller, const v1::RevokePatientAuthorizationRequest& request) {
  return Mutate<v1::RevokePatientAuthorizationResponse>(
      caller, "RevokePatientAuthorization", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::RevokePatientAuthorizationResponse> {
        ASSIGN_OR_RETURN(std::string id, ParsePatientAuthorizationName("name", request.name()));
        RETURN_IF_ERROR(CheckText("reason", request.reason(), kMaxReasonChars, true));
        const SpokeScope scope = SpokeScope::For(caller);
        const absl::Time now = clock_.Now();
        const std::string key = PatientAuthorizationKey(id);
        bool already = false;
        absl::StatusOr<Stored<v1::PatientAuthorization>> written =
            internal::ReadModifyWrite<v1::PatientAuthorization>(
                contents_, key, request.name(),
                [&](v1::PatientAuthorization& a) -> absl::Status {
                  RETURN_IF_ERROR(scope.RequireChangeOf(a.spoke(), a.name()));
                  if (a.state() == v1::PATIENT_AUTHORIZATION_STATE_REVOKED) {
                    already = true;
                    return absl::CancelledError("already revoked");
                  }
                  a.set_state(v1::PATIENT_AUTHORIZATION_STATE_REVOKED);
                  a.set_revoke_reason(request.reason());
                  a.set_revoked_by(caller.principal.subject);
                  *a.mutable_revoke_time() = ToProto(now);
                  return absl::OkStatus();
                },
                [&](const v1::PatientAuthorization& after, uint64_t base) {
                  const v1::PatientAuthorizationChanged event = AuthorizationEvent(after, caller);
                  return std::vector<Change>{
                      NewChange({.resource = after.name(),
                                 .base_revision = base,
                                 .fact = "revoked",
                                 .subject = subjects::kPatientAuthorizationRevoked,
                                 .payload = &event,
                                 .action = "patient_authorization.revoke",
                                 .version = 2,
                                 .detail = after.revoke_reason()},
                                caller, request.request_id(), now)};
                });
        v1::RevokePatientAuthorizationResponse response;
        if (already) {
          // Revoked before (perhaps by a call a crash cut short): finish the
          // cascade, which skips what is done already.
          ASSIGN_OR_RETURN(written, contents_.Get<v1::PatientAuthorization>(key));
        } else if (!written.ok()) {
          return written.status();
        }
        *response.mutable_authorization() = written->value;
        // The revocation is saved first. A crash before the cascade ends leaves
        // posts the publisher refuses anyway (it checks the authorization).
        RETURN_IF_ERROR(
            CascadeRevocation(caller, written->value, request.request_id(), now, response));
        wrote = true;
        return response;
      });
}

absl::Status Planner::CascadeRevocation(const Caller& caller,
                                        const v1::PatientAuthorization& revoked,
                                        std::string_view request_id, absl::Time now,
                                        v1::RevokePatientAuthorizationResponse& response) {
  std::set<std::string> contents;
  RETURN_IF_ERROR(contents_.kv().Scan("", [&](std::string_view key, const common::KvEntry& entry) {
    if (absl::StartsWith(AsAbsl(key), AsAbsl(lifecycle::kPatientAuthorizationKeyPrefix))) {
      return absl::OkStatus();
    }
    v1::Content content;
    if (!content.ParseFromString(common::DecodeRecord(entry).value)) return absl::OkStatus();
    if (content.patient_authorization() == revoked.name()) contents.insert(content.name());
    return absl::OkStatus();
  }));
  if (contents.empty()) return absl::OkStatus();
  auto of_contents = [&](const v1::Post& post) { return contents.count(post.content()) > 0; };
  std::vector<std::string> cancelled;
  RETURN_IF_ERROR(CancelPostsWhere(caller, of_contents, UnsentStates(),
                                   "patient authorization revoked", request_id, now,
                                   "cancelled_by_revocation", &cancelled));
  for (std::string& name : cancelled) response.add_cancelled_posts(std::move(name));
  std::vector<v1::Post> out;
  RETURN_IF_ERROR(posts_.kv().Scan("", [&](std::string_view, const common::KvEntry& entry) {
    v1::Post post;
    if (!post.ParseFromString(common::DecodeRecord(entry).value)) return absl::OkStatus();
    if (of_contents(post) && MayBeOnTheNetwork(post.state())) out.push_back(std::move(post));
    return absl::OkStatus();
  }));
  for (const v1::Post& post : out) {
    ASSIGN_OR_RETURN(v1::TakedownTask task, RaiseTakedown(caller, post, revoked, request_id, now));
    *response.add_takedown_tasks() = std::move(task);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::TakedownTask> Planner::RaiseTakedown(const Caller& caller, const v1::Post& post,
                                                        const v1::PatientAuthorization& revoked,
                                                        std::string_view request_id,
                                                        absl::Time now) {
  ASSIGN_OR_RETURN(std::string post_id, ParsePostName("post.name", post.name()));
  v1::TakedownTask task;
  task.set_name(TakedownTaskName(post_id));
  task.set_post(post.name());
  task.set_account(post.account());
  task.set_network(post.network());
  task.set_external_id(post.external_id());
  task.set_url(post.url());
  task.set_post_state(post.state());
  task.set_patient_authorization(revoked.name());
  task.set_spoke(revoked.spoke());
  task.set_state(v1::TAKEDOWN_TASK_STATE_OPEN);
  *task.mutable_create_time() = ToProto(now);
  const v1::TakedownTaskChanged event = TakedownEvent(task, caller);
  const std::vector<Change> changes = {NewChange({.resource = task.name(),
                                                  .base_revision = 0,
                                                  .fact = "raised",
                                                  .subject = subjects::kTakedownRaised,
                                                  .payload = &event,
                                                  .action = "takedown.raise",
                                                  .version = 1,
                                                  .detail = revoked.name()},
                                                 caller, request_id, now)};
  const std::string key = TakedownKey(post_id);
  auto created = organisation_.Create(key, task, changes);
  if (created.ok()) {
    metrics_.Post("takedown_raised");
    return task;
  }
  if (!absl::IsAlreadyExists(created.status())) return created.status();
  // Raised by an earlier attempt: one task per post.
  (void)organisation_.Settle(key);
  ASSIGN_OR_RETURN(Stored<v1::TakedownTask> existing, organisation_.Get<v1::TakedownTask>(key));
  return std::move(existing.value);
}

absl::StatusOr<v1::ListTakedownTasksResponse> Planner::ListTakedownTasks(
    const Caller& caller, const v1::ListTakedownTasksRequest& request) {
  const SpokeScope spokes = SpokeScope::For(caller);
  if (!request.spoke().empty()) {
    RETURN_IF_ERROR(ParseSpokeName("spoke", request.spoke()).status());
    RETURN_IF_ERROR(spokes.RequireRead(request.spoke()));
  }
  if (request.state() != v1::TAKEDOWN_TASK_STATE_UNSPECIFIED &&
      !v1::TakedownTaskState_IsValid(request.state())) {
    return absl::InvalidArgumentError("state must be a known takedown task state");
  }
  ASSIGN_OR_RETURN(size_t page, ResolvePageSize(request.page_size()));
  const std::string scope = absl::StrCat("takedowns:", request.spoke(), ":", request.state());
  ASSIGN_OR_RETURN(uint64_t offset, DecodePageToken(request.page_token(), scope));
  ASSIGN_OR_RETURN(std::vector<std::string> keys, organisation_.Keys(kTakedownKeyPrefix));
  std::sort(keys.begin(), keys.end());
  v1::ListTakedownTasksResponse response;
  ASSIGN_OR_RETURN(uint64_t next,
                   internal::FilteredPage<v1::TakedownTask>(
                       organisation_, keys, offset, page,
                       [&](const v1::TakedownTask& t) {
                         if (!spokes.MaySee(t.spoke())) return false;
                         if (!request.spoke().empty() && t.spoke() != request.spoke()) return false;
                         return request.state() == v1::TAKEDOWN_TASK_STATE_UNSPECIFIED ||
                                t.state() == request.state();
                       },
                       [&](v1::TakedownTask t) { *response.add_takedown_tasks() = std::move(t); }));
  if (next != 0) response.set_next_page_token(EncodePageToken(scope, next));
  return response;
}

absl::StatusOr<v1::CompleteTakedownTaskResponse> Planner::CompleteTakedownTask(
    const Caller& caller, const v1::CompleteTakedownTaskRequest& request) {
  return Mutate<v1::CompleteTakedownTaskResponse>(
      caller, "CompleteTakedownTask", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::CompleteTakedownTaskResponse> {
        ASSIGN_OR_RETURN(std::string id, ParseTakedownTaskName("name", request.name()));
        RETURN_IF_ERROR(CheckText("note", request.note(), kMaxReasonChars, true));
        const SpokeScope scope = SpokeScope::For(caller);
        const absl::Time now = clock_.Now();
        ASSIGN_OR_RETURN(
            Stored<v1::TakedownTask> written,
            internal::ReadModifyWrite<v1::TakedownTask>(
                organisation_, TakedownKey(id), request.name(),
                [&](v1::TakedownTask& task) -> absl::Status {
                  RETURN_IF_ERROR(scope.RequireChangeOf(task.spoke(), task.name()));
                  if (task.state() != v1::TAKEDOWN_TASK_STATE_OPEN) {
                    return absl::FailedPreconditionError(
                        absl::StrCat(task.name(), " is done already (", task.completed_by(), ": ",
                                     task.note(), ")"));
                  }
                  task.set_state(v1::TAKEDOWN_TASK_STATE_DONE);
                  task.set_note(request.note());
                  task.set_completed_by(caller.principal.subject);
                  *task.mutable_complete_time() = ToProto(now);
                  return absl::OkStatus();
                },
                [&](const v1::TakedownTask& after, uint64_t base) {
                  const v1::TakedownTaskChanged event = TakedownEvent(after, caller);
                  return std::vector<Change>{NewChange({.resource = after.name(),
                                                        .base_revision = base,
                                                        .fact = "completed",
                                                        .subject = subjects::kTakedownCompleted,
                                                        .payload = &event,
                                                        .action = "takedown.complete",
                                                        .version = 2,
                                                        .detail = after.note()},
                                                       caller, request.request_id(), now)};
                }));
        wrote = true;
        v1::CompleteTakedownTaskResponse response;
        *response.mutable_takedown_task() = std::move(written.value);
        return response;
      });
}

absl::StatusOr<int> Planner::WarnExpiringAuthorizations() {
  const absl::Time now = clock_.Now();
  const absl::Time horizon = now + options_.consent_expiry_warning;
  // One pass over the contents bucket: the authorizations due a warning, and
  // which content names which authorization.
  std::map<std::string, std::string> due;                    // authorization name -> key
  std::map<std::string, std::set<std::string>> contents_of;  // authorization -> contents
  RETURN_IF_ERROR(contents_.kv().Scan("", [&](std::string_view key, const common::KvEntry& entry) {
    const std::string value = common::DecodeRecord(entry).value;
    if (absl::StartsWith(AsAbsl(key), AsAbsl(lifecycle::kPatientAuthorizationKeyPrefix))) {
      v1::PatientAuthorization a;
      if (!a.ParseFromString(value)) return absl::OkStatus();
      // An authorization that already ended is warned about too when it never
      // was (its posts are as stuck); a revoked one has cancelled its posts.
      if (a.state() == v1::PATIENT_AUTHORIZATION_STATE_ACTIVE && !a.has_expiry_warning_time() &&
          FromProto(a.expire_time()) <= horizon) {
        due.emplace(a.name(), std::string(key));
      }
      return absl::OkStatus();
    }
    v1::Content content;
    if (!content.ParseFromString(value)) return absl::OkStatus();
    if (!content.patient_authorization().empty()) {
      contents_of[content.patient_authorization()].insert(content.name());
    }
    return absl::OkStatus();
  }));
  if (due.empty()) return 0;
  // The posts still to go out of each due authorization's content.
  std::map<std::string, std::vector<v1::Post>> posts_of;  // authorization -> posts
  std::map<std::string, std::string> authorization_of;    // content -> authorization
  for (const auto& entry : due) {
    auto it = contents_of.find(entry.first);
    if (it == contents_of.end()) continue;
    for (const std::string& content : it->second) authorization_of[content] = entry.first;
  }
  if (authorization_of.empty()) return 0;  // no content relies on them: no posts to scan
  RETURN_IF_ERROR(posts_.kv().Scan("", [&](std::string_view, const common::KvEntry& entry) {
    v1::Post post;
    if (!post.ParseFromString(common::DecodeRecord(entry).value)) return absl::OkStatus();
    if (post.state() != v1::POST_STATE_SCHEDULED &&
        post.state() != v1::POST_STATE_AWAITING_APPROVAL) {
      return absl::OkStatus();
    }
    auto it = authorization_of.find(post.content());
    if (it != authorization_of.end()) posts_of[it->second].push_back(std::move(post));
    return absl::OkStatus();
  }));
  const Caller caller = ServiceCaller();
  int warned = 0;
  for (auto& entry : posts_of) {
    const std::string& authorization = entry.first;
    std::vector<v1::Post>& posts = entry.second;
    std::sort(posts.begin(), posts.end(),
              [](const v1::Post& a, const v1::Post& b) { return a.name() < b.name(); });
    v1::PatientAuthorizationExpiring event;
    event.set_actor(caller.principal.subject);
    // Set by the attempt that wrote.
    bool wrote = false;
    absl::StatusOr<Stored<v1::PatientAuthorization>> written =
        internal::ReadModifyWrite<v1::PatientAuthorization>(
            contents_, due[authorization], authorization,
            [&](v1::PatientAuthorization& a) -> absl::Status {
              wrote = false;
              if (a.state() != v1::PATIENT_AUTHORIZATION_STATE_ACTIVE ||
                  a.has_expiry_warning_time()) {
                return absl::CancelledError("revoked or warned meanwhile");
              }
              *a.mutable_expiry_warning_time() = ToProto(now);
              wrote = true;
              return absl::OkStatus();
            },
            [&](const v1::PatientAuthorization& after, uint64_t base) {
              event.Clear();
              event.set_actor(caller.principal.subject);
              *event.mutable_authorization() = after;
              const absl::Time expires = FromProto(after.expire_time());
              for (const v1::Post& post : posts) {
                event.add_posts(post.name());
                if (FromProto(post.publish_time()) >= expires) {
                  event.add_posts_after_expiry(post.name());
                }
              }
              return std::vector<Change>{NewChange(
                  {.resource = after.name(),
                   .base_revision = base,
                   .fact = "expiring",
                   .subject = subjects::kPatientAuthorizationExpiring,
                   .payload = &event,
                   .action = "patient_authorization.warn_expiry",
                   .version = 2,
                   .detail = absl::StrCat(
                       "expires ",
                       absl::FormatTime(absl::RFC3339_sec, expires, absl::UTCTimeZone()), " with ",
                       posts.size(), " posts still to go out, ", event.posts_after_expiry_size(),
                       " of them at or after the expiry")},
                  caller, "", now)};
            });
    if (absl::IsCancelled(written.status()) || absl::IsNotFound(written.status())) continue;
    if (!written.ok()) {
      logger_.Warn(
          "patient authorization expiry warning not recorded",
          {{"authorization", authorization}, {"error", std::string(written.status().message())}});
      continue;
    }
    if (!wrote) continue;
    metrics_.ConsentExpiryWarned();
    logger_.Info("patient authorization expires while posts rely on it",
                 {{"authorization", authorization},
                  {"posts", static_cast<int64_t>(event.posts_size())},
                  {"posts_after_expiry", static_cast<int64_t>(event.posts_after_expiry_size())}});
    ++warned;
  }
  return warned;
}

}  // namespace carecast::planner
