// One state change of one entity as the bus will see it: a domain event and,
// when the change is audited, the entry for the hash-chained audit stream. The
// entity store writes changes into the entity's record (the outbox) in the same
// KV write as the entity, then publishes them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include <google/protobuf/message.h>

#include "carecast/v1/resources.pb.h"
#include "carecast/v1/store.pb.h"

#include "services/common/bus/event.h"

namespace carecast::common {

struct AuditRecord {
  // "carecast.audit.<collection>.<id>".
  std::string subject;
  // Message id of the entry: "audit.<event id>".
  std::string id;
  // previous_hash and entry_hash are filled in when the entry is appended.
  carecast::v1::AuditEntry entry;
};

struct Change {
  // Its id must be deterministic for the write (derived from the entity, its
  // version and the revision the write is fenced on), so a re-publish after a
  // crash is dropped by the stream's duplicate window.
  Event event;
  std::optional<AuditRecord> audit;
};

// The outbox items of `changes`, in order: each event, then its audit entry.
std::vector<carecast::v1::OutboxItem> ToOutboxItems(const std::vector<Change>& changes);

// Event <-> OutboxEvent (delivery-only fields are not kept).
carecast::v1::OutboxEvent ToOutboxEvent(const Event& event);
Event FromOutboxEvent(const carecast::v1::OutboxEvent& event);

// A deterministic event id for a change written over `base_revision` (0 for a
// create): "<stem>.b<base_revision>.<fact>". Exactly one write can succeed on
// top of a given revision, so the id names one change.
std::string ChangeEventId(std::string_view stem, uint64_t base_revision, std::string_view fact);

}  // namespace carecast::common
