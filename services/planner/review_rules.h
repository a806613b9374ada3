// The rules of staged review (docs/security.md, "Staged review"): what a valid
// ReviewPolicy is, which stages a piece of content passes, and who may approve
// its current stage. Pure functions of their arguments: thread-safe, no I/O.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "carecast/v1/resources.pb.h"

#include "services/common/rpc/principal.h"

namespace carecast::planner {

inline constexpr size_t kMaxReviewStages = 8;
inline constexpr size_t kMaxStageReviewers = 20;
inline constexpr size_t kMaxStageIdChars = 32;
inline constexpr size_t kMaxStageDisplayNameChars = 100;
inline constexpr size_t kMaxSubjectBytes = 256;
// The id of the stage content passes when its spoke has no policy.
inline constexpr std::string_view kDefaultStageId = "review";

// OK, or INVALID_ARGUMENT naming the field and the rule: 1 to 8 stages; each
// with a unique id of [a-z0-9-] starting with a letter, a reviewer role
// (clinical_reviewer or compliance_reviewer), a rule, and at most 20 distinct
// reviewer subjects (at least one for ALL_NAMED). Stages must not overlap: a
// subject is listed in at most one stage, and two stages with the same role
// must both list their reviewers (otherwise one person could qualify for both).
absl::Status ValidateReviewStages(
    const google::protobuf::RepeatedPtrField<v1::ReviewStage>& stages);

// The one stage of a spoke without a policy: any clinical or compliance
// reviewer (role empty), ANY_ONE.
v1::ReviewStage DefaultReviewStage();

// The stages `content` passes: its snapshot, or the default stage for content
// submitted before snapshots existed.
std::vector<v1::ReviewStage> StagesOf(const v1::Content& content);

// True when `subject` wrote any version of `content` (author or an editor).
bool IsEditor(const v1::Content& content, std::string_view subject);

// The role `principal` approves `stage` under, or PERMISSION_DENIED when it may
// not approve it: it wrote a version, lacks the stage's role, is not among the
// stage's reviewers, or already approved a stage (or this one) of the current
// version.
absl::StatusOr<common::Role> CheckStageApprover(const v1::Content& content,
                                                const v1::ReviewStage& stage,
                                                const common::Principal& principal);

// OK, or FAILED_PRECONDITION naming the stage, when a stage of `stages` could
// never be completed for `content` because its named reviewers wrote a version:
// an ALL_NAMED stage naming an editor, or an ANY_ONE stage whose every listed
// reviewer is an editor. SubmitContent asks it, so such content is refused
// with the reason instead of waiting in review for ever.
absl::Status CheckStagesCanComplete(
    const v1::Content& content, const google::protobuf::RepeatedPtrField<v1::ReviewStage>& stages);

// True when the approvals of the current version complete `stage`.
bool StageComplete(const v1::Content& content, const v1::ReviewStage& stage);

}  // namespace carecast::planner
