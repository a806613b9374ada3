// The handling of an inbox item as one table of pure transitions:
//
//   (new) --open--> OPEN --close--> CLOSED
//
// CLOSED is terminal. The listener asks Next() before it opens or closes an
// item. Everything here is a pure function of its arguments: thread-safe, no I/O.
#pragma once

#include <array>
#include <string_view>

#include "absl/status/statusor.h"

#include "carecast/v1/resources.pb.h"

namespace carecast::lifecycle {

// What can be done to an inbox item. The comment names the states it leaves.
enum class InboxEvent {
  kOpen,   // (UNSPECIFIED, i.e. not yet stored) -> OPEN
  kClose,  // OPEN -> CLOSED
};

inline constexpr std::array kAllInboxEvents = {InboxEvent::kOpen, InboxEvent::kClose};

// For logs: "open", "close".
std::string_view EventName(InboxEvent event);

// The state without its prefix ("OPEN"), from the generated
// InboxItemState_Name(); "UNKNOWN" for a value outside the enum.
std::string_view StateName(v1::InboxItemState state);

// The state `event` moves an item in state `from` to. A move the table does not
// allow returns FAILED_PRECONDITION: "<subject> is already closed" for closing a
// CLOSED item (the listener's message when subject is "inbox item <id>"),
// otherwise "<subject> is <STATE>; <rule>". A value outside the enum refuses
// everything.
absl::StatusOr<v1::InboxItemState> Next(v1::InboxItemState from, InboxEvent event,
                                        std::string_view subject = "inbox item");

// True for CLOSED: no event leaves it. False for OPEN, UNSPECIFIED and values
// outside the enum.
bool IsTerminal(v1::InboxItemState state);

}  // namespace carecast::lifecycle
