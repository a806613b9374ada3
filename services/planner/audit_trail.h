// Records state changes: the domain event on the events stream, then a
// hash-chained entry on the resource's audit subject. Both steps are idempotent,
// so a change can be recorded again after a crash or a retried request.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <google/protobuf/message.h>

#include "carecast/v1/resources.pb.h"

#include "services/common/base/logger.h"
#include "services/common/bus/event.h"
#include "services/common/bus/event_bus.h"
#include "services/common/rpc/rpc_edge.h"

namespace carecast::planner {

// The side effects of one state change of one resource.
struct Change {
  // Domain event with a deterministic id "<resource stem>.r<revision>.<fact>".
  common::Event event;
  // "carecast.audit.<collection>.<id>" and the audit message id "audit.<event id>".
  std::string audit_subject;
  std::string audit_event_id;
  // previous_hash and entry_hash are filled in when the entry is appended.
  carecast::v1::AuditEntry entry;
};

// What MakeChange needs to know about a change.
struct ChangeFacts {
  std::string resource;      // e.g. "contents/abc" or "publishing"
  uint64_t revision = 0;     // KV revision written by the change
  std::string fact;          // past tense, e.g. "approved"
  std::string_view subject;  // domain subject, e.g. subjects::kContentApproved
  const google::protobuf::Message* payload = nullptr;
  std::string action;   // e.g. "content.approve"
  int64_t version = 0;  // resource version after the change
  std::string content_hash;
  std::string detail;  // free text without PHI
};

Change MakeChange(const ChangeFacts& facts, const common::Caller& caller,
                  std::string_view request_id, std::string_view source, absl::Time time);

// SHA-256 (hex) of `entry` serialized deterministically with entry_hash empty.
std::string AuditEntryHash(const carecast::v1::AuditEntry& entry);

struct AuditPage {
  std::vector<carecast::v1::AuditEntry> entries;
  // Stream sequence to continue from; 0 when there is nothing more.
  uint64_t next_sequence = 0;
};

// Thread-safe (the bus is). Retries lost compare-and-sets and brief outages.
class AuditTrail {
 public:
  AuditTrail(common::EventBus& bus, common::Logger& logger) : bus_(bus), logger_(logger) {}

  // Publishes each change's event, then appends its audit entry linked to the
  // last entry on the subject (expected-last-subject-sequence keeps the chain
  // linear across replicas). An entry whose message id is already last on the
  // subject is not appended twice. UNAVAILABLE when the bus stays down.
  absl::Status Record(const std::vector<Change>& changes);

  // Entries on `subject` from stream sequence `start_sequence`, at most `limit`.
  absl::StatusOr<AuditPage> List(const std::string& subject, uint64_t start_sequence, size_t limit);

 private:
  absl::Status PublishEvent(const common::Event& event);
  absl::Status AppendEntry(const Change& change);

  common::EventBus& bus_;
  common::Logger& logger_;
};

}  // namespace carecast::planner
