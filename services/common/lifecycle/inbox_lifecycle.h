// The handling of an inbox item as one table of pure transitions:
//
//   (new) --open--> NEW --assign--> ASSIGNED --wait--> WAITING
//                    |                ^  |  <--assign--  |
//                    |                +--+ (reassign)    |
//                    +------------resolve----------------+--> RESOLVED
//
// Any of NEW, ASSIGNED and WAITING may be resolved; assign also reassigns an
// ASSIGNED item and takes a WAITING one back when the public answers. RESOLVED
// is terminal. Items stored before this workflow hold the legacy OPEN and
// CLOSED values: they behave as NEW and RESOLVED (Current()), so no stored item
// needs rewriting. The listener asks Next() before every move.
// Everything here is a pure function of its arguments: thread-safe, no I/O.
#pragma once

#include <array>
#include <string_view>

#include "absl/status/statusor.h"

#include "carecast/v1/resources.pb.h"

namespace carecast::lifecycle {

// What can be done to an inbox item. The comment names the states it leaves.
enum class InboxEvent {
  kOpen,     // (UNSPECIFIED, i.e. not yet stored) -> NEW
  kAssign,   // NEW, ASSIGNED, WAITING -> ASSIGNED
  kWait,     // ASSIGNED -> WAITING
  kResolve,  // NEW, ASSIGNED, WAITING -> RESOLVED (CloseInboxItem is an alias)
};

inline constexpr std::array kAllInboxEvents = {InboxEvent::kOpen, InboxEvent::kAssign,
                                               InboxEvent::kWait, InboxEvent::kResolve};

// For logs: "open", "assign", "wait", "resolve".
std::string_view EventName(InboxEvent event);

// The state without its prefix ("NEW"), from the generated
// InboxItemState_Name(); "UNKNOWN" for a value outside the enum.
std::string_view StateName(v1::InboxItemState state);

// The state an item stored in `state` is in: OPEN reads as NEW and CLOSED as
// RESOLVED (items written before the workflow); every other value is itself.
v1::InboxItemState Current(v1::InboxItemState state);

// The state `event` moves an item in state `from` (legacy values read through
// Current()) to. A move the table does not allow returns FAILED_PRECONDITION:
// "<subject> is already resolved" for resolving a RESOLVED item, otherwise
// "<subject> is <STATE>; <rule>". A value outside the enum refuses everything.
absl::StatusOr<v1::InboxItemState> Next(v1::InboxItemState from, InboxEvent event,
                                        std::string_view subject = "inbox item");

// True for RESOLVED (and the legacy CLOSED): no event leaves it. False for every
// other state, UNSPECIFIED and values outside the enum.
bool IsTerminal(v1::InboxItemState state);

}  // namespace carecast::lifecycle
