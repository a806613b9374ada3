// Review policies: a spoke's ordered review stages (review_rules.h has the
// rules), stored in the organisation bucket as "reviewpolicies.<spoke>".
#include "absl/strings/str_cat.h"

#include "carecast/v1/events.pb.h"

#include "services/common/bus/subjects.h"
#include "services/planner/planner.h"
#include "services/planner/planner_internal.h"
#include "services/planner/resource_names.h"
#include "services/planner/review_rules.h"
#include "services/planner/validation.h"

namespace carecast::planner {

absl::StatusOr<v1::SetReviewPolicyResponse> Planner::SetReviewPolicy(
    const Caller& caller, const v1::SetReviewPolicyRequest& request) {
  return Mutate<v1::SetReviewPolicyResponse>(
      caller, "SetReviewPolicy", request.request_id(),
      [&](bool& wrote) -> absl::StatusOr<v1::SetReviewPolicyResponse> {
        const v1::ReviewPolicy& in = request.policy();
        ASSIGN_OR_RETURN(std::string spoke, ParseReviewPolicyName("policy.name", in.name()));
        RETURN_IF_ERROR(SpokeScope::For(caller).RequireChange(SpokeName(spoke), "review policies"));
        if (request.expected_version() < 0) {
          return absl::InvalidArgumentError("expected_version must not be negative");
        }
        RETURN_IF_ERROR(ValidateReviewStages(in.stages()));
        absl::Status known = organisation_.Get<v1::Spoke>(SpokeKey(spoke)).status();
        if (!known.ok()) return internal::NotFoundAs(known, SpokeName(spoke));
        absl::StatusOr<Stored<v1::ReviewPolicy>> current =
            organisation_.Get<v1::ReviewPolicy>(ReviewPolicyKey(spoke));
        if (!current.ok() && !absl::IsNotFound(current.status())) return current.status();
        const int64_t at = current.ok() ? current->value.version() : 0;
        if (request.expected_version() != at) {
          return absl::AbortedError(absl::StrCat(ReviewPolicyName(spoke), " is at version ", at,
                                                 ", not ", request.expected_version(),
                                                 "; read it again"));
        }
        const absl::Time now = clock_.Now();
        v1::SetReviewPolicyResponse response;
        v1::ReviewPolicy& policy = *response.mutable_policy();
        policy.set_name(ReviewPolicyName(spoke));
        *policy.mutable_stages() = in.stages();
        policy.set_version(at + 1);
        policy.set_updated_by(caller.principal.subject);
        *policy.mutable_update_time() = ToProto(now);
        v1::ReviewPolicyChanged event;
        *event.mutable_policy() = policy;
        event.set_actor(caller.principal.subject);
        const uint64_t base = current.ok() ? current->revision : 0;
        const std::vector<Change> changes = {
            NewChange({.resource = policy.name(),
                       .base_revision = base,
                       .fact = "set",
                       .subject = common::subjects::kReviewPolicySet,
                       .payload = &event,
                       .action = "review_policy.set",
                       .version = at + 1},
                      caller, request.request_id(), now)};
        absl::Status written =
            current.ok()
                ? organisation_.Update(ReviewPolicyKey(spoke), policy, *current, changes).status()
                : organisation_.Create(ReviewPolicyKey(spoke), policy, changes).status();
        if (absl::IsAlreadyExists(written)) {
          return absl::AbortedError(
              absl::StrCat(policy.name(), " was set concurrently; read it again"));
        }
        RETURN_IF_ERROR(written);
        wrote = true;
        return response;
      });
}

absl::StatusOr<v1::GetReviewPolicyResponse> Planner::GetReviewPolicy(
    const Caller& caller, const v1::GetReviewPolicyRequest& request) {
  ASSIGN_OR_RETURN(std::string spoke, ParseReviewPolicyName("name", request.name()));
  RETURN_IF_ERROR(SpokeScope::For(caller).RequireRead(SpokeName(spoke)));
  absl::Status known = organisation_.Get<v1::Spoke>(SpokeKey(spoke)).status();
  if (!known.ok()) return internal::NotFoundAs(known, SpokeName(spoke));
  ASSIGN_OR_RETURN(v1::ReviewPolicy policy, ReviewPolicyOf(SpokeName(spoke)));
  v1::GetReviewPolicyResponse response;
  *response.mutable_policy() = std::move(policy);
  return response;
}

absl::StatusOr<v1::ReviewPolicy> Planner::ReviewPolicyOf(std::string_view spoke_name) {
  v1::ReviewPolicy policy;
  if (!spoke_name.empty()) {
    ASSIGN_OR_RETURN(std::string spoke, ParseSpokeName("content.spoke", spoke_name));
    absl::StatusOr<Stored<v1::ReviewPolicy>> stored =
        organisation_.Get<v1::ReviewPolicy>(ReviewPolicyKey(spoke));
    if (stored.ok()) return std::move(stored->value);
    if (!absl::IsNotFound(stored.status())) return stored.status();
    policy.set_name(ReviewPolicyName(spoke));
  }
  *policy.add_stages() = DefaultReviewStage();
  return policy;
}

}  // namespace carecast::planner
