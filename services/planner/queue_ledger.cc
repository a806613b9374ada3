#include "services/planner/queue_ledger.h"

#include <algorithm>

#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

void SortBySlot(v1::QueueLedger& ledger) {
  auto* items = ledger.mutable_reservations();
  std::stable_sort(items->begin(), items->end(),
                   [](const v1::QueueReservation& a, const v1::QueueReservation& b) {
                     return FromProto(a.slot_time()) < FromProto(b.slot_time());
                   });
}

}  // namespace

int PruneLedger(v1::QueueLedger& ledger, absl::Time now) {
  auto* items = ledger.mutable_reservations();
  const int before = items->size();
  auto end = std::remove_if(items->begin(), items->end(), [&](const v1::QueueReservation& r) {
    return FromProto(r.slot_time()) + kReservationKeepAfterSlot < now;
  });
  items->erase(end, items->end());
  return before - items->size();
}

std::vector<absl::Time> ReservedTimes(const v1::QueueLedger& ledger) {
  std::vector<absl::Time> out;
  out.reserve(ledger.reservations_size());
  for (const v1::QueueReservation& r : ledger.reservations())
    out.push_back(FromProto(r.slot_time()));
  return out;
}

const v1::QueueReservation* FindReservation(const v1::QueueLedger& ledger, std::string_view post) {
  for (const v1::QueueReservation& r : ledger.reservations()) {
    if (r.post() == post) return &r;
  }
  return nullptr;
}

void Reserve(v1::QueueLedger& ledger, std::string_view post, absl::Time slot, bool queued,
             absl::Time now) {
  v1::QueueReservation* target = nullptr;
  for (v1::QueueReservation& r : *ledger.mutable_reservations()) {
    if (r.post() == post) target = &r;
  }
  if (target == nullptr) {
    target = ledger.add_reservations();
    target->set_post(std::string(post));
    *target->mutable_reserve_time() = ToProto(now);
  }
  *target->mutable_slot_time() = ToProto(slot);
  target->set_queued(queued);
  SortBySlot(ledger);
}

bool Release(v1::QueueLedger& ledger, std::string_view post) {
  auto* items = ledger.mutable_reservations();
  auto end = std::remove_if(items->begin(), items->end(),
                            [&](const v1::QueueReservation& r) { return r.post() == post; });
  const bool found = end != items->end();
  items->erase(end, items->end());
  return found;
}

std::vector<v1::QueueReservation> MovableReservations(const v1::QueueLedger& ledger,
                                                      absl::Time movable_after) {
  std::vector<v1::QueueReservation> out;
  for (const v1::QueueReservation& r : ledger.reservations()) {
    if (r.queued() && FromProto(r.slot_time()) > movable_after) out.push_back(r);
  }
  return out;
}

}  // namespace carecast::planner
