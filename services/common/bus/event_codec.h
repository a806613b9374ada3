// Builds and opens event envelopes around protobuf payloads.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <google/protobuf/message.h>

#include "services/common/bus/event.h"
#include "services/common/bus/event_catalogue.h"

namespace carecast::common {

// An event on `subject` carrying `payload`: type = subject + ".v1",
// dataschema = "urn:carecast:proto:" + the message's full name. `id` defaults to
// a random id; pass a deterministic one when a retry could publish the fact again.
// Prefer MakeCatalogueEvent, which ties the subject to its payload; this one is for
// subjects chosen at run time and for tests that need a malformed event.
Event MakeEvent(std::string_view subject, const google::protobuf::Message& payload,
                std::string_view source, absl::Time time, std::string id = {});

// An event of the catalogue kind `kind`, e.g.
//   MakeCatalogueEvent(events::kPostScheduled, post_changed, source, time, id);
// The kind fixes the payload type, so a payload of another message does not
// compile. Type and dataschema as MakeEvent, with the kind's version.
template <class Payload>
Event MakeCatalogueEvent(const EventDef<Payload>& kind,
                         const std::type_identity_t<Payload>& payload, std::string_view source,
                         absl::Time time, const std::string& id = {});

// An event of the per-resource kind `kind` on its prefix plus `resource_tokens`, e.g.
//   MakeResourceEvent(events::kAuditRecorded, "contents.c1", recorded, source, time, id);
template <class Payload>
Event MakeResourceEvent(const ResourceEventDef<Payload>& kind, std::string_view resource_tokens,
                        const std::type_identity_t<Payload>& payload, std::string_view source,
                        absl::Time time, const std::string& id = {});

// MakeCatalogueEvent for a kind chosen at run time, checked at run time:
// INVALID_ARGUMENT when `payload` is not the kind's payload message, the kind is
// reserved, or `subject` is not the kind's (under its filter, for a per-resource kind).
absl::StatusOr<Event> MakeCheckedEvent(const EventKind& kind, std::string_view subject,
                                       const google::protobuf::Message& payload,
                                       std::string_view source, absl::Time time,
                                       std::string id = {});

// Parses the event's data into `out`. INVALID_ARGUMENT when the dataschema names
// another message or the bytes do not parse.
absl::Status DecodeEvent(const Event& event, google::protobuf::Message* out);

// True when `event` is on the subject of `kind` (under its filter, for a
// per-resource kind).
bool IsEventOf(const Event& event, const EventKind& kind);

// The payload of an event of `kind`. INVALID_ARGUMENT when the event is on another
// subject, or as DecodeEvent.
template <class Payload>
absl::StatusOr<Payload> DecodeCatalogueEvent(const EventDef<Payload>& kind, const Event& event);

// ---- implementation details ----

namespace internal {
// Builds the envelope; the caller has checked that `payload` fits `kind`.
Event MakeKindEvent(const EventKind& kind, const std::string& subject,
                    const google::protobuf::Message& payload, std::string_view source,
                    absl::Time time, std::string id);
absl::Status CheckSubject(const Event& event, const EventKind& kind);
}  // namespace internal

template <class Payload>
Event MakeCatalogueEvent(const EventDef<Payload>& kind,
                         const std::type_identity_t<Payload>& payload, std::string_view source,
                         absl::Time time, const std::string& id) {
  return internal::MakeKindEvent(kind, std::string(kind.subject), payload, source, time, id);
}

template <class Payload>
Event MakeResourceEvent(const ResourceEventDef<Payload>& kind, std::string_view resource_tokens,
                        const std::type_identity_t<Payload>& payload, std::string_view source,
                        absl::Time time, const std::string& id) {
  return internal::MakeKindEvent(kind, ResourceSubject(kind, resource_tokens), payload, source,
                                 time, id);
}

template <class Payload>
absl::StatusOr<Payload> DecodeCatalogueEvent(const EventDef<Payload>& kind, const Event& event) {
  if (absl::Status s = internal::CheckSubject(event, kind); !s.ok()) return s;
  Payload payload;
  if (absl::Status s = DecodeEvent(event, &payload); !s.ok()) return s;
  return payload;
}

}  // namespace carecast::common
