// The audit stream's identity, kept outside the stream: its creation time,
// recorded under "audit_stream" in carecast_control the first time it is seen.
// A stream deleted and made again (by an operator, or by a service's
// EnsureStreams after the deletion) has a new creation time, and every chain in
// it would start clean and look intact; comparing the two times is how that is
// noticed. The check reports; it never repairs. An operator who has dealt with
// the loss acknowledges it, which records the new time (carecastctl audit
// acknowledge-recreation).
#pragma once

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/bus/event_bus.h"
#include "services/common/bus/key_value_store.h"

namespace carecast::common {

inline constexpr char kAuditStreamKey[] = "audit_stream";

struct AuditStreamIdentity {
  enum class Verdict {
    kSame,       // the stream is the one recorded
    kFirstSeen,  // nothing was recorded; now it is
    kRecreated,  // the stream is newer than the one recorded: entries were lost
  };
  Verdict verdict = Verdict::kSame;
  absl::Time recorded = absl::InfinitePast();  // the creation time on record
  absl::Time created = absl::InfinitePast();   // the stream's creation time now
};

// Compares the audit stream's creation time with the one on record, recording
// it when there is none. NOT_FOUND when the stream does not exist; UNAVAILABLE
// when the bus or the bucket cannot be reached.
absl::StatusOr<AuditStreamIdentity> CheckAuditStreamIdentity(EventBus& bus, KeyValueStore& control);

// Records the stream's current creation time as the one on record (after a
// person has dealt with a re-creation). Returns that time.
absl::StatusOr<absl::Time> AcknowledgeAuditStream(EventBus& bus, KeyValueStore& control);

}  // namespace carecast::common
