// The life of a scheduled post as one table of pure transitions:
//
//   (new) --schedule--> SCHEDULED --claim--> PUBLISHING --published--> PUBLISHED
//                         |  |  ^               |  |
//                  cancel |  |  +---release-----+  +--failed--> FAILED
//                         v  |     reschedule      +--needs_human--> NEEDS_HUMAN
//                  CANCELLED +--failed--> FAILED (refused before any claim)
//
// A person resolves NEEDS_HUMAN after checking the network:
//
//   NEEDS_HUMAN --confirm_published-----> PUBLISHED
//               --confirm_not_published-> SCHEDULED (to be sent again)
//               --cancel----------------> CANCELLED
//
// A post whose content is still IN_REVIEW waits for the final approval, and
// is never published before it or late (docs/security.md, "Staged review"):
//
//   (new) --schedule_awaiting--> AWAITING_APPROVAL --content_approved--> SCHEDULED
//                                  |  --approved_late--> NEEDS_RESCHEDULE
//                                  +--cancel--> CANCELLED     |  --set_new_time--> SCHEDULED
//                                                             +--cancel--> CANCELLED
//
// PUBLISHED, CANCELLED and FAILED are terminal: no event leaves them. NEEDS_HUMAN
// waits for a person: only a person's confirm_published, confirm_not_published
// or cancel leaves it, never the dispatcher. The one exception to both is a fact
// rather than a command: when the channel shows the post went out, the record
// must say PUBLISHED (NextOnReceipt).
// Everything here is a pure function of its arguments: thread-safe, no I/O.
#pragma once

#include <array>
#include <string_view>

#include "absl/status/statusor.h"

#include "carecast/v1/resources.pb.h"

namespace carecast::lifecycle {

// What can be done to a post. The comment names the states it leaves.
enum class PostEvent {
  kSchedule,             // (UNSPECIFIED, i.e. not yet stored) -> SCHEDULED
  kCancel,               // SCHEDULED, NEEDS_HUMAN, AWAITING_APPROVAL or NEEDS_RESCHEDULE ->
                         // CANCELLED (by a person; all but NEEDS_HUMAN also because the
                         // content was edited, AWAITING_APPROVAL because it was rejected)
  kClaim,                // SCHEDULED -> PUBLISHING (a publisher takes it before the channel call)
  kReleaseClaim,         // PUBLISHING -> SCHEDULED (claimed, nothing sent: the hold began)
  kReschedule,           // PUBLISHING -> SCHEDULED (retryable failure, or an abandoned claim
                         // the channel does not show)
  kPublished,            // PUBLISHING -> PUBLISHED
  kFailed,               // SCHEDULED or PUBLISHING -> FAILED
  kNeedsHuman,           // PUBLISHING -> NEEDS_HUMAN (the outcome cannot be established)
  kConfirmPublished,     // NEEDS_HUMAN -> PUBLISHED (a person found the post on the network)
  kConfirmNotPublished,  // NEEDS_HUMAN -> SCHEDULED (a person found it is not there; try again)
  kScheduleAwaiting,     // (UNSPECIFIED) -> AWAITING_APPROVAL (its content is IN_REVIEW)
  kContentApproved,      // AWAITING_APPROVAL -> SCHEDULED (final approval before its time)
  kApprovedLate,         // AWAITING_APPROVAL -> NEEDS_RESCHEDULE (final approval after its time)
  kSetNewTime,           // NEEDS_RESCHEDULE -> SCHEDULED (a person gave it a new time)
};

inline constexpr std::array kAllPostEvents = {PostEvent::kSchedule,
                                              PostEvent::kCancel,
                                              PostEvent::kClaim,
                                              PostEvent::kReleaseClaim,
                                              PostEvent::kReschedule,
                                              PostEvent::kPublished,
                                              PostEvent::kFailed,
                                              PostEvent::kNeedsHuman,
                                              PostEvent::kConfirmPublished,
                                              PostEvent::kConfirmNotPublished,
                                              PostEvent::kScheduleAwaiting,
                                              PostEvent::kContentApproved,
                                              PostEvent::kApprovedLate,
                                              PostEvent::kSetNewTime};

// For logs: "schedule", "cancel", "claim", "release_claim", "reschedule",
// "published", "failed", "needs_human", "confirm_published",
// "confirm_not_published", "schedule_awaiting", "content_approved",
// "approved_late", "set_new_time".
std::string_view EventName(PostEvent event);

// The state without its prefix ("NEEDS_HUMAN"), from the generated
// PostState_Name(); "UNKNOWN" for a value outside the enum.
std::string_view StateName(v1::PostState state);

// The state `event` moves a post in state `from` to. A move the table does not
// allow returns FAILED_PRECONDITION "<subject> is <STATE>; <rule>", e.g.
// "posts/a is CANCELLED; only SCHEDULED or NEEDS_HUMAN posts can be cancelled": pass the
// resource name as `subject` to get the planner's message. A value outside the
// enum refuses everything.
absl::StatusOr<v1::PostState> Next(v1::PostState from, PostEvent event,
                                   std::string_view subject = "post");

// The state after the channel showed the post went out (a receipt, or found by
// its marker), whatever the record said meanwhile: a stale claim may find it
// rescheduled, re-claimed, cancelled, failed or handed to a human, and the
// network's truth wins. Always PUBLISHED, except FAILED_PRECONDITION for
// UNSPECIFIED or a value outside the enum (not a stored post).
absl::StatusOr<v1::PostState> NextOnReceipt(v1::PostState from, std::string_view subject = "post");

// True for PUBLISHED, CANCELLED and FAILED: no event leaves them. False for
// SCHEDULED, PUBLISHING, NEEDS_HUMAN, AWAITING_APPROVAL and NEEDS_RESCHEDULE
// (a person's or the planner's events leave them), and for
// UNSPECIFIED and values outside the enum, which are not states a post rests in.
bool IsTerminal(v1::PostState state);

}  // namespace carecast::lifecycle
