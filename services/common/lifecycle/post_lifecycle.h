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
  kCancel,               // SCHEDULED or NEEDS_HUMAN -> CANCELLED (by a person; a SCHEDULED post
                         // also because its content was edited)
  kClaim,                // SCHEDULED -> PUBLISHING (a publisher takes it before the channel call)
  kReleaseClaim,         // PUBLISHING -> SCHEDULED (claimed, nothing sent: the hold began)
  kReschedule,           // PUBLISHING -> SCHEDULED (retryable failure, or an abandoned claim
                         // the channel does not show)
  kPublished,            // PUBLISHING -> PUBLISHED
  kFailed,               // SCHEDULED or PUBLISHING -> FAILED
  kNeedsHuman,           // PUBLISHING -> NEEDS_HUMAN (the outcome cannot be established)
  kConfirmPublished,     // NEEDS_HUMAN -> PUBLISHED (a person found the post on the network)
  kConfirmNotPublished,  // NEEDS_HUMAN -> SCHEDULED (a person found it is not there; try again)
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
                                              PostEvent::kConfirmNotPublished};

// For logs: "schedule", "cancel", "claim", "release_claim", "reschedule",
// "published", "failed", "needs_human", "confirm_published",
// "confirm_not_published".
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
// SCHEDULED, PUBLISHING and NEEDS_HUMAN (a person's events leave it), and for
// UNSPECIFIED and values outside the enum, which are not states a post rests in.
bool IsTerminal(v1::PostState state);

}  // namespace carecast::lifecycle
