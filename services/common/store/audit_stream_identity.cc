#include "services/common/store/audit_stream_identity.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/status_macros.h"
#include "services/common/bus/event_catalogue.h"

namespace carecast::common {
namespace {

std::string Encode(absl::Time t) { return absl::StrCat(absl::ToUnixNanos(t)); }

}  // namespace

absl::StatusOr<AuditStreamIdentity> CheckAuditStreamIdentity(EventBus& bus,
                                                             KeyValueStore& control) {
  AuditStreamIdentity identity;
  ASSIGN_OR_RETURN(identity.created, bus.StreamCreated(std::string(streams::kAudit)));
  absl::StatusOr<KvEntry> recorded = control.GetLatest(kAuditStreamKey);
  if (absl::IsNotFound(recorded.status())) {
    absl::StatusOr<uint64_t> created = control.Create(kAuditStreamKey, Encode(identity.created));
    // Another replica recorded it first: compare with what it recorded.
    if (absl::IsAlreadyExists(created.status())) return CheckAuditStreamIdentity(bus, control);
    RETURN_IF_ERROR(created.status());
    identity.verdict = AuditStreamIdentity::Verdict::kFirstSeen;
    identity.recorded = identity.created;
    return identity;
  }
  RETURN_IF_ERROR(recorded.status());
  int64_t nanos = 0;
  if (!absl::SimpleAtoi(recorded->value, &nanos)) {
    return absl::DataLossError("the recorded audit stream identity does not parse");
  }
  identity.recorded = absl::FromUnixNanos(nanos);
  identity.verdict = identity.created == identity.recorded
                         ? AuditStreamIdentity::Verdict::kSame
                         : AuditStreamIdentity::Verdict::kRecreated;
  return identity;
}

absl::StatusOr<absl::Time> AcknowledgeAuditStream(EventBus& bus, KeyValueStore& control) {
  ASSIGN_OR_RETURN(absl::Time created, bus.StreamCreated(std::string(streams::kAudit)));
  RETURN_IF_ERROR(control.Put(kAuditStreamKey, Encode(created)).status());
  return created;
}

}  // namespace carecast::common
