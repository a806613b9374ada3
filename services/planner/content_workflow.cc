// Content and its review: create, edit (a new version voids any approval and
// cancels posts scheduled from it), submit (the spoke's review stages are
// copied onto the content), approve one stage at a time (bound to one version,
// never by anyone who wrote a version, one stage per person, only when the guard
// finds nothing and every variant with the media fits its network), reject.
#include "absl/strings/str_join.h"

#include "carecast/v1/events.pb.h"

#include "services/common/bus/subjects.h"
#include "services/common/lifecycle/content_lifecycle.h"
#include "services/planner/content_rules.h"
#include "services/planner/planner.h"
#include "services/planner/planner_internal.h"
#include "services/planner/resource_names.h"
#include "services/planner/review_rules.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

using common::AsAbsl;
namespace subjects = common::subjects;

absl::Status StaleVersion(const v1::Content& content, int64_t version) {
  return absl::AbortedError(absl::StrCat(content.name(), " is at version ", content.version(),
                                         ", not ", version, "; read it again"));
}

// The guard's kinds a patient authorization covers: the patient's name and
// that they were cared for. Numbers, addresses, dates and the like never are.
bool IsConsentedKind(std::string_view kind) {
  return kind == "name" || kind == "patient_disclosure" || kind == "patient_confirmation";
}

// What every review decision on `content` checks first: the caller may change
// it, its state allows `event`, and it is still at the `version` reviewed.
// Returns the state the decision moves it to.
absl::StatusOr<v1::ContentState> DecisionOn(const SpokeScope& scope, const v1::Content& content,
                                            lifecycle::ContentEvent event, int64_t version) {
  RETURN_IF_ERROR(scope.RequireChangeOf(content.spoke(), content.name()));
  ASSIGN_OR_RETURN(v1::ContentState next, lifecycle::Next(content.state(), event, content.name()));
  if (content.version() != version) return StaleVersion(content, version);
  return next;
}

absl::Status RequireVersion(std::string_view field, int64_t version) {
  if (version <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), " is required (the version that was read)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::CreateContentResponse> Planner::CreateContent(
    const Caller& caller, const v1::CreateContentRequest& request) {
  static constexpr std::string_view kMethod = "CreateContent";
  return Mutate<v1::CreateContentResponse>(
      caller, kMethod, request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::CreateContentResponse> {
        const v1::Content& in = request.content();
        RETURN_IF_ERROR(ValidateContentBody(in));
        if (static_cast<size_t>(in.objectives_size()) > kMaxObjectivesPerContent) {
          return absl::InvalidArgumentError(absl::StrCat("content.objectives lists more than ",
                                                         kMaxObjectivesPerContent, " objectives"));
        }
        for (const std::string& name : in.objectives()) {
          ASSIGN_OR_RETURN(std::string id, ParseObjectiveName("content.objectives[]", name));
          absl::StatusOr<Stored<v1::Objective>> objective = objectives_.Get<v1::Objective>(id);
          if (!objective.ok()) return internal::NotFoundAs(objective.status(), name);
        }
        if (in.spoke().empty()) {
          RETURN_IF_ERROR(SpokeScope::For(caller).RequireChange("", "content"));
        } else {
          ASSIGN_OR_RETURN(std::string spoke_id, ParseSpokeName("content.spoke", in.spoke()));
          RETURN_IF_ERROR(SpokeScope::For(caller).RequireChange(SpokeName(spoke_id), "content"));
          absl::StatusOr<Stored<v1::Spoke>> spoke =
              organisation_.Get<v1::Spoke>(SpokeKey(spoke_id));
          if (!spoke.ok()) return internal::NotFoundAs(spoke.status(), in.spoke());
        }
        RETURN_IF_ERROR(CheckContentCampaign(in.campaign(), in.pillar(), in.spoke()));
        bool derived = false;
        ASSIGN_OR_RETURN(std::string id, ChooseId("content_id", request.content_id(), kMethod,
                                                  caller, request.request_id(), &derived));
        const absl::Time now = clock_.Now();
        v1::CreateContentResponse response;
        v1::Content& content = *response.mutable_content();
        content.set_name(ContentName(id));
        content.set_title(in.title());
        content.set_text(in.text());
        *content.mutable_variants() = in.variants();
        SortVariants(&content);
        *content.mutable_media() = in.media();
        *content.mutable_objectives() = in.objectives();
        content.set_spoke(in.spoke());
        content.set_campaign(in.campaign());
        content.set_pillar(in.pillar());
        content.set_features_patient(in.features_patient());
        content.set_patient_authorization(in.patient_authorization());
        RETURN_IF_ERROR(CheckConsentReference(content, now));
        ASSIGN_OR_RETURN(
            v1::ContentState initial,
            lifecycle::Next(v1::CONTENT_STATE_UNSPECIFIED, lifecycle::ContentEvent::kCreate));
        content.set_state(initial);
        content.set_version(1);
        content.set_content_hash(ContentHash(content));
        content.set_author(caller.principal.subject);
        content.add_editors(caller.principal.subject);
        *content.mutable_create_time() = ToProto(now);
        *content.mutable_update_time() = ToProto(now);
        const std::vector<Change> changes = {
            ContentChange({"created", subjects::kContentCreated, "create"}, content, 0, caller,
                          request.request_id(), now)};
        auto created = contents_.Create(id, content, changes);
        if (!created.ok()) {
          if (created.status().code() != absl::StatusCode::kAlreadyExists) {
            return created.status();
          }
          if (!derived) {
            return absl::AlreadyExistsError(absl::StrCat(content.name(), " already exists"));
          }
          (void)contents_.Settle(id);
          ASSIGN_OR_RETURN(Stored<v1::Content> existing, contents_.Get<v1::Content>(id));
          *response.mutable_content() = std::move(existing.value);
          return response;
        }
        metrics_.ContentTransition("created");
        wrote = true;
        return response;
      });
}

absl::StatusOr<v1::GetContentResponse> Planner::GetContent(const Caller& caller,
                                                           const v1::GetContentRequest& request) {
  ASSIGN_OR_RETURN(std::string id, ParseContentName("name", request.name()));
  absl::StatusOr<Stored<v1::Content>> content = contents_.Get<v1::Content>(id);
  if (!content.ok()) return internal::NotFoundAs(content.status(), request.name());
  RETURN_IF_ERROR(SpokeScope::For(caller).RequireSee(content->value.spoke(), request.name()));
  v1::GetContentResponse response;
  *response.mutable_content() = std::move(content->value);
  return response;
}

absl::StatusOr<v1::UpdateContentResponse> Planner::UpdateContent(
    const Caller& caller, const v1::UpdateContentRequest& request) {
  return Mutate<v1::UpdateContentResponse>(
      caller, "UpdateContent", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::UpdateContentResponse> {
        const v1::Content& in = request.content();
        ASSIGN_OR_RETURN(std::string id, ParseContentName("content.name", in.name()));
        RETURN_IF_ERROR(RequireVersion("expected_version", request.expected_version()));
        RETURN_IF_ERROR(ValidateContentBody(in));
        const SpokeScope scope = SpokeScope::For(caller);
        const absl::Time now = clock_.Now();
        bool was_approved = false;
        ASSIGN_OR_RETURN(
            Stored<v1::Content> stored,
            internal::ReadModifyWrite<v1::Content>(
                contents_, id, in.name(),
                [&](v1::Content& content) -> absl::Status {
                  RETURN_IF_ERROR(scope.RequireChangeOf(content.spoke(), content.name()));
                  if (content.version() != request.expected_version()) {
                    return StaleVersion(content, request.expected_version());
                  }
                  RETURN_IF_ERROR(CheckContentCampaign(in.campaign(), in.pillar(), content.spoke(),
                                                       content.campaign()));
                  was_approved = content.state() == v1::CONTENT_STATE_APPROVED ||
                                 !content.stage_approvals().empty();
                  // Content stored before editors were recorded names its author only.
                  if (content.editors().empty()) content.add_editors(content.author());
                  if (!IsEditor(content, caller.principal.subject)) {
                    content.add_editors(caller.principal.subject);
                  }
                  content.set_title(in.title());
                  content.set_campaign(in.campaign());
                  content.set_pillar(in.pillar());
                  content.set_features_patient(in.features_patient());
                  content.set_patient_authorization(in.patient_authorization());
                  RETURN_IF_ERROR(CheckConsentReference(content, now));
                  content.set_text(in.text());
                  *content.mutable_variants() = in.variants();
                  SortVariants(&content);
                  *content.mutable_media() = in.media();
                  content.set_version(content.version() + 1);
                  content.set_content_hash(ContentHash(content));
                  ASSIGN_OR_RETURN(v1::ContentState next,
                                   lifecycle::Next(content.state(), lifecycle::ContentEvent::kEdit,
                                                   content.name()));
                  content.set_state(next);
                  content.clear_approval();
                  content.clear_stage_approvals();
                  content.clear_review_stages();
                  content.clear_current_stage();
                  content.clear_rejection_reason();
                  *content.mutable_update_time() = ToProto(now);
                  return absl::OkStatus();
                },
                [&](const v1::Content& after, uint64_t base) {
                  return std::vector<Change>{
                      ContentChange({"updated", subjects::kContentUpdated, "update"}, after, base,
                                    caller, request.request_id(), now,
                                    was_approved ? "new version; approval voided" : "new version")};
                }));
        metrics_.ContentTransition("updated");
        wrote = true;
        const v1::Content& content = stored.value;
        // The content is saved first. A crash before the cancellations leaves
        // posts whose content_hash no longer matches any approval; the publisher
        // must refuse those, so an edit is never published unreviewed.
        RETURN_IF_ERROR(CancelPostsOf(caller, content.name(),
                                      {v1::POST_STATE_SCHEDULED, v1::POST_STATE_AWAITING_APPROVAL,
                                       v1::POST_STATE_NEEDS_RESCHEDULE},
                                      "content edited", request.request_id(), now));
        v1::UpdateContentResponse response;
        *response.mutable_content() = content;
        return response;
      });
}

absl::StatusOr<v1::SubmitContentResponse> Planner::SubmitContent(
    const Caller& caller, const v1::SubmitContentRequest& request) {
  return Mutate<v1::SubmitContentResponse>(
      caller, "SubmitContent", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::SubmitContentResponse> {
        ASSIGN_OR_RETURN(std::string id, ParseContentName("name", request.name()));
        const SpokeScope scope = SpokeScope::For(caller);
        const absl::Time now = clock_.Now();
        ASSIGN_OR_RETURN(
            Stored<v1::Content> stored,
            internal::ReadModifyWrite<v1::Content>(
                contents_, id, request.name(),
                [&](v1::Content& content) -> absl::Status {
                  RETURN_IF_ERROR(scope.RequireChangeOf(content.spoke(), content.name()));
                  ASSIGN_OR_RETURN(
                      v1::ContentState next,
                      lifecycle::Next(content.state(), lifecycle::ContentEvent::kSubmit,
                                      content.name()));
                  // The stages are copied now: a policy change later
                  // does not alter this review.
                  ASSIGN_OR_RETURN(v1::ReviewPolicy policy, ReviewPolicyOf(content.spoke()));
                  RETURN_IF_ERROR(CheckStagesCanComplete(content, policy.stages()));
                  RETURN_IF_ERROR(CheckContentConsent(content, now));
                  content.set_state(next);
                  content.clear_rejection_reason();
                  *content.mutable_review_stages() = policy.stages();
                  content.clear_stage_approvals();
                  content.set_current_stage(policy.stages(0).id());
                  *content.mutable_update_time() = ToProto(now);
                  return absl::OkStatus();
                },
                [&](const v1::Content& after, uint64_t base) {
                  std::vector<std::string> ids;
                  for (const v1::ReviewStage& stage : after.review_stages()) {
                    ids.push_back(stage.id());
                  }
                  return std::vector<Change>{
                      ContentChange({"submitted", subjects::kContentSubmitted, "submit"}, after,
                                    base, caller, request.request_id(), now,
                                    absl::StrCat("review stages: ", absl::StrJoin(ids, ", ")))};
                }));
        metrics_.ContentTransition("submitted");
        wrote = true;
        v1::SubmitContentResponse response;
        *response.mutable_content() = std::move(stored.value);
        return response;
      });
}

absl::StatusOr<v1::ApproveContentResponse> Planner::ApproveContent(
    const Caller& caller, const v1::ApproveContentRequest& request) {
  return Mutate<v1::ApproveContentResponse>(
      caller, "ApproveContent", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::ApproveContentResponse> {
        ASSIGN_OR_RETURN(std::string id, ParseContentName("name", request.name()));
        RETURN_IF_ERROR(RequireVersion("version", request.version()));
        const SpokeScope scope = SpokeScope::For(caller);
        const absl::Time now = clock_.Now();
        // Set by the attempt that wrote: what it did (for the trail), the role
        // the stage was approved under, and whether it completed the review.
        std::string detail;
        Caller as = caller;
        bool completes_review = false;
        ASSIGN_OR_RETURN(
            Stored<v1::Content> stored,
            internal::ReadModifyWrite<v1::Content>(
                contents_, id, request.name(),
                [&](v1::Content& content) -> absl::Status {
                  ASSIGN_OR_RETURN(v1::ContentState approved,
                                   DecisionOn(scope, content, lifecycle::ContentEvent::kApprove,
                                              request.version()));
                  if (!request.content_hash().empty() &&
                      request.content_hash() != content.content_hash()) {
                    return absl::AbortedError(
                        absl::StrCat(content.name(), " version ", content.version(),
                                     " has another content_hash than the one read; read it again"));
                  }
                  const std::vector<v1::ReviewStage> stages = StagesOf(content);
                  // The first stage not yet complete (current_stage says the
                  // same; content submitted before stages existed has none).
                  size_t at = 0;
                  while (at < stages.size() && StageComplete(content, stages[at])) ++at;
                  if (at == stages.size()) {
                    return absl::FailedPreconditionError(
                        absl::StrCat(content.name(), " has every stage approved already"));
                  }
                  const v1::ReviewStage& stage = stages[at];
                  if (!request.stage().empty() && request.stage() != stage.id()) {
                    return absl::FailedPreconditionError(
                        absl::StrCat(content.name(), " is at stage \"", stage.id(), "\", not \"",
                                     request.stage(), "\"; stages are approved in order"));
                  }
                  ASSIGN_OR_RETURN(common::Role role,
                                   CheckStageApprover(content, stage, caller.principal));
                  RETURN_IF_ERROR(CheckContentConsent(content, now));
                  RETURN_IF_ERROR(GuardContent(content));
                  // Sizes, types, alt text and the variants' texts are held to
                  // each target network's rules now, not at publish time, when
                  // no one can fix them.
                  RETURN_IF_ERROR(CheckContentFitsNetworks(content));
                  as.role = role;
                  v1::StageApproval& given = *content.add_stage_approvals();
                  given.set_stage(stage.id());
                  given.set_reviewer(caller.principal.subject);
                  given.set_version(content.version());
                  given.set_content_hash(content.content_hash());
                  *given.mutable_approve_time() = ToProto(now);
                  given.set_role(std::string(common::RoleName(role)));
                  *content.mutable_update_time() = ToProto(now);
                  completes_review = false;
                  if (!StageComplete(content, stage)) {
                    detail = absl::StrCat("stage ", stage.id(), " approved by one of its ",
                                          stage.reviewers_size(), " named reviewers");
                    return absl::OkStatus();
                  }
                  completes_review = at + 1 == stages.size();
                  if (!completes_review) {
                    content.set_current_stage(stages[at + 1].id());
                    detail = absl::StrCat("stage ", stage.id(), " complete; next stage ",
                                          stages[at + 1].id());
                    return absl::OkStatus();
                  }
                  detail = absl::StrCat("stage ", stage.id(), " complete; every stage approved");
                  content.clear_current_stage();
                  content.set_state(approved);
                  v1::Approval& approval = *content.mutable_approval();
                  approval.set_reviewer(caller.principal.subject);
                  approval.set_version(content.version());
                  approval.set_content_hash(content.content_hash());
                  *approval.mutable_approve_time() = ToProto(now);
                  return absl::OkStatus();
                },
                [&](const v1::Content& after, uint64_t base) {
                  if (completes_review) {
                    return std::vector<Change>{
                        ContentChange({"approved", subjects::kContentApproved, "approve"}, after,
                                      base, as, request.request_id(), now, detail)};
                  }
                  return std::vector<Change>{ContentChange(
                      {"stage_approved", subjects::kContentStageApproved, "approve_stage"}, after,
                      base, as, request.request_id(), now, detail)};
                }));
        metrics_.ContentTransition(completes_review ? "approved" : "stage_approved");
        wrote = true;
        if (completes_review) {
          // The content is saved first. A crash before this leaves its
          // AWAITING_APPROVAL posts waiting (never published, shown on the
          // calendar) until SettleWaitingPosts releases them.
          RETURN_IF_ERROR(ReleaseAwaitingPostsOf(caller, stored.value, request.request_id(), now));
        }
        v1::ApproveContentResponse response;
        *response.mutable_content() = std::move(stored.value);
        return response;
      });
}

Change Planner::ContentChange(const ContentTransition& transition, const v1::Content& content,
                              uint64_t base_revision, const Caller& caller,
                              std::string_view request_id, absl::Time now, std::string detail) {
  v1::ContentChanged event;
  *event.mutable_content() = content;
  event.set_actor(caller.principal.subject);
  return NewChange({.resource = content.name(),
                    .base_revision = base_revision,
                    .fact = std::string(transition.fact),
                    .subject = transition.subject,
                    .payload = &event,
                    .action = absl::StrCat("content.", AsAbsl(transition.verb)),
                    .version = content.version(),
                    .content_hash = content.content_hash(),
                    .detail = std::move(detail)},
                   caller, request_id, now);
}

absl::Status Planner::GuardContent(const v1::Content& content) {
  std::vector<v1::GuardFinding> findings;
  // The patient consented to being named and to their care being told;
  // CheckContentConsent has checked the authorization before this runs.
  const bool consented = content.features_patient() && !content.patient_authorization().empty();
  auto check = [&](std::string_view field, const std::string& text) {
    for (v1::GuardFinding& f : guard_.Check(text)) {
      if (consented && IsConsentedKind(f.kind())) continue;
      f.set_field(std::string(field));
      findings.push_back(std::move(f));
    }
  };
  check("master", content.text());
  check("title", content.title());
  for (const auto& v : content.variants()) {
    check(NetworkField(v.network()), v.text());
    for (int i = 0; i < v.thread_parts_size(); ++i) {
      check(absl::StrCat(AsAbsl(NetworkField(v.network())), ".thread_parts[", i, "]"),
            v.thread_parts(i));
    }
  }
  // Alt text goes out with the image, so it is outgoing text like the rest.
  for (int i = 0; i < content.media_size(); ++i) {
    check(absl::StrCat("media[", i, "].alt_text"), content.media(i).alt_text());
  }
  if (findings.empty()) return absl::OkStatus();
  std::vector<std::string> parts;
  for (const v1::GuardFinding& f : findings) {
    metrics_.GuardBlock(f.kind());
    parts.push_back(absl::StrCat(f.kind(), " in ", f.field(), " at bytes ", f.begin(), "-", f.end(),
                                 " (", f.reason(), ")"));
  }
  logger_.Info("guard blocked an approval", {{"content", content.name()},
                                             {"findings", static_cast<int64_t>(findings.size())},
                                             {"first_kind", findings.front().kind()}});
  return absl::FailedPreconditionError(
      absl::StrCat("the outgoing-text guard blocks approval: ", absl::StrJoin(parts, "; ")));
}

absl::StatusOr<v1::RejectContentResponse> Planner::RejectContent(
    const Caller& caller, const v1::RejectContentRequest& request) {
  return Mutate<v1::RejectContentResponse>(
      caller, "RejectContent", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::RejectContentResponse> {
        ASSIGN_OR_RETURN(std::string id, ParseContentName("name", request.name()));
        RETURN_IF_ERROR(RequireVersion("version", request.version()));
        RETURN_IF_ERROR(CheckText("reason", request.reason(), kMaxReasonChars, true));
        const SpokeScope scope = SpokeScope::For(caller);
        const absl::Time now = clock_.Now();
        ASSIGN_OR_RETURN(
            Stored<v1::Content> stored,
            internal::ReadModifyWrite<v1::Content>(
                contents_, id, request.name(),
                [&](v1::Content& content) -> absl::Status {
                  ASSIGN_OR_RETURN(v1::ContentState next,
                                   DecisionOn(scope, content, lifecycle::ContentEvent::kReject,
                                              request.version()));
                  content.set_state(next);
                  content.set_rejection_reason(request.reason());
                  *content.mutable_update_time() = ToProto(now);
                  return absl::OkStatus();
                },
                [&](const v1::Content& after, uint64_t base) {
                  return std::vector<Change>{
                      ContentChange({"rejected", subjects::kContentRejected, "reject"}, after, base,
                                    caller, request.request_id(), now, request.reason())};
                }));
        metrics_.ContentTransition("rejected");
        wrote = true;
        RETURN_IF_ERROR(CancelPostsOf(caller, stored.value.name(),
                                      {v1::POST_STATE_AWAITING_APPROVAL}, "content rejected",
                                      request.request_id(), now));
        v1::RejectContentResponse response;
        *response.mutable_content() = std::move(stored.value);
        return response;
      });
}

}  // namespace carecast::planner
