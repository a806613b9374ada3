// The append-only, hash-chained audit stream: one subject per resource
// ("carecast.audit.<collection>.<id>"), each entry linked to the previous one on
// its subject by SHA-256.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "carecast/v1/resources.pb.h"
#include "carecast/v1/store.pb.h"

#include "services/common/bus/event_bus.h"

namespace carecast::common {

// SHA-256 (hex) of `entry` serialized deterministically with entry_hash empty.
std::string AuditEntryHash(const carecast::v1::AuditEntry& entry);

// Appends `audit` linked to the last entry on its subject. The publish is fenced
// by expected-last-subject-sequence, so replicas appending at once keep the
// chain linear (a lost race re-reads and retries). Idempotent: an entry whose id
// is already last on its subject, or seen by the stream's duplicate window, is
// not appended again. UNAVAILABLE when the bus stays down.
absl::Status AppendAuditEntry(EventBus& bus, const carecast::v1::OutboxAudit& audit);

struct AuditPage {
  std::vector<carecast::v1::AuditEntry> entries;
  // Stream sequence to continue from; 0 when there is nothing more.
  uint64_t next_sequence = 0;
};

// Entries on `subject` from stream sequence `start_sequence`, at most `limit`.
absl::StatusOr<AuditPage> ListAuditEntries(EventBus& bus, const std::string& subject,
                                           uint64_t start_sequence, size_t limit);

}  // namespace carecast::common
