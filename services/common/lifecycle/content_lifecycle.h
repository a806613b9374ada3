// The content review workflow as one table of pure transitions:
//
//   (new) --create--> DRAFT --submit--> IN_REVIEW --approve--> APPROVED
//                       ^                    |
//                       |                    +--reject--> REJECTED --submit--> IN_REVIEW
//                       +--edit-- any state (a new version; the approval is void)
//
// The planner asks Next() before it moves content; planner and publisher both
// ask IsApprovedAt() before they schedule or send it. Everything here is a pure
// function of its arguments: thread-safe, no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

#include "carecast/v1/resources.pb.h"

namespace carecast::lifecycle {

// What can be done to content. The comment names the states it leaves.
enum class ContentEvent {
  kCreate,   // (UNSPECIFIED, i.e. not yet stored) -> DRAFT
  kEdit,     // DRAFT, IN_REVIEW, APPROVED or REJECTED -> DRAFT; the caller voids the approval
  kSubmit,   // DRAFT or REJECTED -> IN_REVIEW
  kApprove,  // IN_REVIEW -> APPROVED (the approval completing the last review stage;
             // earlier stage approvals leave the content IN_REVIEW)
  kReject,   // IN_REVIEW -> REJECTED
};

inline constexpr std::array kAllContentEvents = {ContentEvent::kCreate, ContentEvent::kEdit,
                                                 ContentEvent::kSubmit, ContentEvent::kApprove,
                                                 ContentEvent::kReject};

// The verb, for logs and audit actions: "create", "edit", "submit", "approve", "reject".
std::string_view EventName(ContentEvent event);

// The state without its prefix ("IN_REVIEW"), from the generated
// ContentState_Name(); "UNKNOWN" for a value outside the enum.
std::string_view StateName(v1::ContentState state);

// The state `event` moves content in state `from` to. A move the table does not
// allow returns FAILED_PRECONDITION "<subject> is <STATE>; <rule>", e.g.
// "contents/a is APPROVED; only IN_REVIEW content can be approved": pass the
// resource name as `subject` to get the planner's message. A value outside the
// enum (a newer writer's state) refuses everything.
absl::StatusOr<v1::ContentState> Next(v1::ContentState from, ContentEvent event,
                                      std::string_view subject = "content");

// True when `content` is APPROVED and both the content and its approval are at
// exactly `version` and `hash`: an edit since the approval voids it. Scheduling
// asks it for the content's own version and hash; publishing for the version and
// hash the post was scheduled with. A version below 1 or an empty hash is never
// approved.
bool IsApprovedAt(const v1::Content& content, int64_t version, std::string_view hash);

}  // namespace carecast::lifecycle
