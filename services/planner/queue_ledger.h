// Pure operations on an account's QueueLedger (proto/carecast/v1/store.proto):
// the posts placed on the account since it got a cadence, each with the slot
// the ledger gives it. The planner writes the ledger by compare-and-set before
// it creates or moves a post, so concurrent callers never share a slot and the
// ledger is the plan that queued posts follow (docs/cadence.md, "The queue").
#pragma once

#include <string_view>
#include <vector>

#include "absl/time/time.h"

#include "carecast/v1/store.pb.h"

namespace carecast::planner {

// How long after its slot a reservation is kept (a post that went out is done
// with; the slack covers a post still publishing or retrying).
inline constexpr absl::Duration kReservationKeepAfterSlot = absl::Hours(24);

// Drops reservations whose slot is more than kReservationKeepAfterSlot before
// `now`. Returns how many were dropped.
int PruneLedger(v1::QueueLedger& ledger, absl::Time now);

// The slot instants of every reservation (for spacing and the daily cap).
std::vector<absl::Time> ReservedTimes(const v1::QueueLedger& ledger);

// The reservation of `post` ("posts/{post}"), or nullptr.
const v1::QueueReservation* FindReservation(const v1::QueueLedger& ledger, std::string_view post);

// Adds (or moves) `post`'s reservation to `slot`, keeping slot order.
void Reserve(v1::QueueLedger& ledger, std::string_view post, absl::Time slot, bool queued,
             absl::Time now);

// Removes `post`'s reservation; false when it had none.
bool Release(v1::QueueLedger& ledger, std::string_view post);

// The queued reservations whose slot is after `movable_after`, in slot order:
// the ones ReorderQueue and ShuffleQueue may move.
std::vector<v1::QueueReservation> MovableReservations(const v1::QueueLedger& ledger,
                                                      absl::Time movable_after);

}  // namespace carecast::planner
