#include "services/planner/review_rules.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

using common::AsAbsl;

bool ValidStageId(std::string_view id) {
  if (id.empty() || id.size() > kMaxStageIdChars || id[0] < 'a' || id[0] > 'z') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// The reviewer roles: the roles the role table lets approve content.
std::optional<common::Role> ReviewerRole(std::string_view name) {
  std::optional<common::Role> role = common::ParseRole(name);
  if (role == common::Role::kClinicalReviewer || role == common::Role::kComplianceReviewer) {
    return role;
  }
  return std::nullopt;
}

absl::Status CheckSubject(std::string_view field, std::string_view subject) {
  if (subject.empty() || subject.size() > kMaxSubjectBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), " must be a subject of 1 to ", kMaxSubjectBytes, " bytes"));
  }
  if (std::any_of(subject.begin(), subject.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(field), " must not hold control characters"));
  }
  return CheckText(field, subject, kMaxSubjectBytes, true);
}

bool Lists(const v1::ReviewStage& stage, std::string_view subject) {
  return std::find(stage.reviewers().begin(), stage.reviewers().end(), subject) !=
         stage.reviewers().end();
}

}  // namespace

absl::Status ValidateReviewStages(
    const google::protobuf::RepeatedPtrField<v1::ReviewStage>& stages) {
  if (stages.empty() || static_cast<size_t>(stages.size()) > kMaxReviewStages) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy.stages must hold 1 to ", kMaxReviewStages, " stages"));
  }
  std::set<std::string, std::less<>> ids;
  // Subject -> the stage that lists it.
  std::map<std::string, std::string, std::less<>> listed;
  for (int i = 0; i < stages.size(); ++i) {
    const v1::ReviewStage& stage = stages[i];
    const std::string field = absl::StrCat("policy.stages[", i, "]");
    if (!ValidStageId(stage.id())) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".id must be 1 to ", kMaxStageIdChars,
                                                     " of [a-z0-9-], starting with a letter"));
    }
    if (!ids.insert(stage.id()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".id \"", stage.id(), "\" names an earlier stage too"));
    }
    RETURN_IF_ERROR(CheckText(absl::StrCat(field, ".display_name"), stage.display_name(),
                              kMaxStageDisplayNameChars, false));
    if (!ReviewerRole(stage.role())) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".role must be clinical_reviewer or compliance_reviewer"));
    }
    if (stage.rule() != v1::REVIEW_RULE_ANY_ONE && stage.rule() != v1::REVIEW_RULE_ALL_NAMED) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".rule must be REVIEW_RULE_ANY_ONE or REVIEW_RULE_ALL_NAMED"));
    }
    if (stage.rule() == v1::REVIEW_RULE_ALL_NAMED && stage.reviewers().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".reviewers must name at least one subject for ALL_NAMED"));
    }
    if (static_cast<size_t>(stage.reviewers_size()) > kMaxStageReviewers) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".reviewers lists more than ", kMaxStageReviewers, " subjects"));
    }
    for (int j = 0; j < stage.reviewers_size(); ++j) {
      const std::string& subject = stage.reviewers(j);
      RETURN_IF_ERROR(CheckSubject(absl::StrCat(field, ".reviewers[", j, "]"), subject));
      auto [at, inserted] = listed.emplace(subject, stage.id());
      if (!inserted) {
        return absl::InvalidArgumentError(
            at->second == stage.id()
                ? absl::StrCat(field, ".reviewers lists \"", subject, "\" twice")
                : absl::StrCat("stages \"", at->second, "\" and \"", stage.id(),
                               "\" overlap: both list \"", subject,
                               "\", and one person approves at most one stage"));
      }
    }
    for (int k = 0; k < i; ++k) {
      const v1::ReviewStage& earlier = stages[k];
      if (earlier.role() != stage.role()) continue;
      if (earlier.reviewers().empty() || stage.reviewers().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "stages \"", earlier.id(), "\" and \"", stage.id(), "\" overlap: both are approved by ",
            stage.role(),
            " and at least one is open to anyone holding it; give both disjoint reviewers"));
      }
    }
  }
  return absl::OkStatus();
}

v1::ReviewStage DefaultReviewStage() {
  v1::ReviewStage stage;
  stage.set_id(std::string(kDefaultStageId));
  stage.set_display_name("Clinical or compliance review");
  stage.set_rule(v1::REVIEW_RULE_ANY_ONE);
  return stage;
}

std::vector<v1::ReviewStage> StagesOf(const v1::Content& content) {
  if (content.review_stages().empty()) return {DefaultReviewStage()};
  return {content.review_stages().begin(), content.review_stages().end()};
}

bool IsEditor(const v1::Content& content, std::string_view subject) {
  return content.author() == subject ||
         std::find(content.editors().begin(), content.editors().end(), subject) !=
             content.editors().end();
}

absl::StatusOr<common::Role> CheckStageApprover(const v1::Content& content,
                                                const v1::ReviewStage& stage,
                                                const common::Principal& principal) {
  const std::string& who = principal.subject;
  if (IsEditor(content, who)) {
    return absl::PermissionDeniedError(
        "no one approves their own work: the reviewer wrote or edited a version of this content");
  }
  std::optional<common::Role> role;
  if (stage.role().empty()) {
    for (common::Role r : {common::Role::kClinicalReviewer, common::Role::kComplianceReviewer}) {
      if (!role && principal.HasRole(r)) role = r;
    }
  } else if (std::optional<common::Role> wanted = common::ParseRole(stage.role());
             wanted && principal.HasRole(*wanted)) {
    role = wanted;
  }
  if (!role) {
    return absl::PermissionDeniedError(
        absl::StrCat("stage \"", stage.id(), "\" is approved by ",
                     stage.role().empty() ? "a clinical or compliance reviewer" : stage.role(),
                     "; the caller lacks that role"));
  }
  if (!stage.reviewers().empty() && !Lists(stage, who)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "stage \"", stage.id(),
        "\" is approved only by its named reviewers: ", absl::StrJoin(stage.reviewers(), ", ")));
  }
  for (const v1::StageApproval& a : content.stage_approvals()) {
    if (a.version() == content.version() && a.reviewer() == who) {
      return absl::PermissionDeniedError(
          absl::StrCat("the caller already approved stage \"", a.stage(), "\" of version ",
                       content.version(), "; one person approves at most one stage"));
    }
  }
  return *role;
}

absl::Status CheckStagesCanComplete(
    const v1::Content& content, const google::protobuf::RepeatedPtrField<v1::ReviewStage>& stages) {
  for (const v1::ReviewStage& stage : stages) {
    if (stage.reviewers().empty()) continue;
    std::vector<std::string> editors;
    for (const std::string& subject : stage.reviewers()) {
      if (IsEditor(content, subject)) editors.push_back(subject);
    }
    const bool blocked = stage.rule() == v1::REVIEW_RULE_ALL_NAMED
                             ? !editors.empty()
                             : editors.size() == static_cast<size_t>(stage.reviewers_size());
    if (blocked) {
      return absl::FailedPreconditionError(absl::StrCat(
          "stage \"", stage.id(), "\" could never be approved: ", absl::StrJoin(editors, ", "),
          " wrote or edited",
          " this content, and no one approves their own work; change the spoke's review "
          "policy or have someone else write it"));
    }
  }
  return absl::OkStatus();
}

bool StageComplete(const v1::Content& content, const v1::ReviewStage& stage) {
  auto approved_by = [&](std::string_view subject) {
    return std::any_of(content.stage_approvals().begin(), content.stage_approvals().end(),
                       [&](const v1::StageApproval& a) {
                         return a.stage() == stage.id() && a.version() == content.version() &&
                                a.content_hash() == content.content_hash() &&
                                (subject.empty() || a.reviewer() == subject);
                       });
  };
  if (stage.rule() == v1::REVIEW_RULE_ALL_NAMED) {
    return std::all_of(stage.reviewers().begin(), stage.reviewers().end(),
                       [&](const std::string& s) { return approved_by(s); });
  }
  return approved_by("");
}

}  // namespace carecast::planner
