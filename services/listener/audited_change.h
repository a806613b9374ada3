// One audited change written by the listener (replies and reply policies): the
// catalogue event and its entry in the audit trail, on the subject
// "carecast.audit.<resource with '/' as '.'>", with the event's id behind both
// so a re-publish after a crash is dropped by the streams' duplicate window.
#pragma once

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "services/common/base/strings.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/event_codec.h"
#include "services/common/rpc/rpc_edge.h"
#include "services/common/store/entity_change.h"

namespace carecast::listener {

inline constexpr std::string_view kListenerSource = "/carecast/listener";

// Who made a change: a person's subject and admitted role, or the listener
// itself (role "listener") when it records what the publisher reported.
struct ChangeActor {
  std::string subject;
  std::string role;
  static ChangeActor Of(const common::Caller& caller);
  static ChangeActor System();
};

// "<resource with '/' as '.'>": the stem of event ids and audit subjects.
std::string ResourceStem(std::string_view resource);

// The audit entry of `kind` on `resource`, for the change whose event id is `event_id`.
common::AuditRecord AuditFor(const common::EventKind& kind, std::string_view resource,
                             std::string_view event_id, const ChangeActor& actor,
                             std::string_view request_id, std::string detail, absl::Time time);

// The event of `kind` with `payload` and id "<stem of resource>.<fact>", and
// its audit entry.
template <class Payload>
common::Change AuditedChange(const common::EventDef<Payload>& kind,
                             const std::type_identity_t<Payload>& payload,
                             std::string_view resource, std::string_view fact,
                             const ChangeActor& actor, std::string_view request_id,
                             std::string detail, absl::Time time) {
  common::Change change;
  const std::string id =
      absl::StrCat(common::AsAbsl(ResourceStem(resource)), ".", common::AsAbsl(fact));
  change.event = common::MakeCatalogueEvent(kind, payload, kListenerSource, time, id);
  change.audit = AuditFor(kind, resource, id, actor, request_id, std::move(detail), time);
  return change;
}

}  // namespace carecast::listener
