// `carecastctl audit verify`: reads the whole audit stream and checks every
// resource's hash chain. Each entry's hash must match its contents, link to the
// entry before it on its subject, and the first entry of a chain must link to
// nothing. A chain that starts in the middle, or a stream whose first message
// is not sequence 1, means entries were lost: the stream was purged, deleted
// and re-created, or edited. The verifier reports that; it never repairs or
// restarts a chain.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"

#include "services/common/bus/event.h"
#include "services/common/bus/event_bus.h"
#include "services/common/bus/key_value_store.h"

namespace carecast::ctl {

struct AuditProblem {
  std::string subject;  // the chain ("carecast.audit.<collection>.<id>"); empty: the stream
  uint64_t sequence = 0;
  std::string problem;
};

// Checks audit events one at a time, in stream order; keeps one hash per chain.
class AuditVerifier {
 public:
  void Add(const common::Event& event);

  int chains() const { return static_cast<int>(last_hash_.size()); }
  int64_t entries() const { return entries_; }
  const std::vector<AuditProblem>& problems() const { return problems_; }

 private:
  absl::flat_hash_map<std::string, std::string> last_hash_;  // subject -> last entry's hash
  int64_t entries_ = 0;
  bool first_ = true;
  std::vector<AuditProblem> problems_;
};

// Reads the audit stream from its start in pages, printing progress to `err`
// every 10,000 entries and the findings to `out`. OK when every chain holds;
// DATA_LOSS naming the number of problems otherwise; the bus's error when it
// cannot be read.
// `control` (carecast_control), when given, is also asked whether the stream
// is the one on record (audit_stream_identity.h): a re-created stream is a
// problem even when every chain in it holds.
absl::Status VerifyAuditStream(common::EventBus& bus, std::ostream& out, std::ostream& err,
                               common::KeyValueStore* control = nullptr);

}  // namespace carecast::ctl
