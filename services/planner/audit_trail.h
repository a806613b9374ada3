// The planner's changes: a domain event plus its entry for the hash-chained
// audit stream, built before the entity write that carries them (the entity
// store writes them in the same KV write and then publishes them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include <google/protobuf/message.h>

#include "carecast/v1/resources.pb.h"

#include "services/common/rpc/rpc_edge.h"
#include "services/common/store/audit_chain.h"
#include "services/common/store/entity_change.h"

namespace carecast::planner {

using common::AuditEntryHash;
using common::AuditPage;
using common::Change;

// What MakeChange needs to know about a change.
struct ChangeFacts {
  std::string resource;        // e.g. "contents/abc" or "publishing"
  uint64_t base_revision = 0;  // KV revision the write is fenced on (0: a create)
  std::string fact;            // past tense, e.g. "approved"
  std::string_view subject;    // domain subject, e.g. subjects::kContentApproved
  const google::protobuf::Message* payload = nullptr;
  std::string action;   // e.g. "content.approve"
  int64_t version = 0;  // resource version after the change
  std::string content_hash;
  std::string detail;  // free text without PHI
};

// The event (id "<resource stem>.b<base revision>.<fact>") and its audit entry
// on "carecast.audit.<collection>.<id>" with message id "audit.<event id>".
Change MakeChange(const ChangeFacts& facts, const common::Caller& caller,
                  std::string_view request_id, std::string_view source, absl::Time time);

}  // namespace carecast::planner
