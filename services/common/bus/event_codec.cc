#include "services/common/bus/event_codec.h"

#include "absl/strings/str_cat.h"

#include "services/common/base/ids.h"
#include "services/common/base/strings.h"
#include "services/common/bus/subjects.h"

namespace carecast::common {

Event MakeEvent(std::string_view subject, const google::protobuf::Message& payload,
                std::string_view source, absl::Time time, std::string id) {
  Event event;
  event.id = id.empty() ? NewId() : std::move(id);
  event.subject = std::string(subject);
  event.type = absl::StrCat(AsAbsl(subject), ".v1");
  event.source = std::string(source);
  event.time = time;
  event.dataschema = absl::StrCat(AsAbsl(kDataSchemaPrefix), payload.GetDescriptor()->full_name());
  payload.SerializeToString(&event.data);
  return event;
}

namespace internal {

Event MakeKindEvent(const EventKind& kind, const std::string& subject,
                    const google::protobuf::Message& payload, std::string_view source,
                    absl::Time time, std::string id) {
  Event event = MakeEvent(subject, payload, source, time, std::move(id));
  // One version today; the envelope follows the kind when a payload moves on.
  event.type = absl::StrCat(event.subject, ".v", kind.version);
  return event;
}

absl::Status CheckSubject(const Event& event, const EventKind& kind) {
  if (IsEventOf(event, kind)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("event ", event.id, " is on ", event.subject, ", not ", AsAbsl(kind.subject)));
}

}  // namespace internal

absl::StatusOr<Event> MakeCheckedEvent(const EventKind& kind, std::string_view subject,
                                       const google::protobuf::Message& payload,
                                       std::string_view source, absl::Time time, std::string id) {
  if (kind.reserved()) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(kind.subject), " is reserved: it has no payload yet"));
  }
  const std::string& name = payload.GetDescriptor()->full_name();
  if (name != kind.payload) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(kind.subject), " carries ", AsAbsl(kind.payload), ", not ", name));
  }
  bool fits = kind.per_resource ? SubjectMatches(kind.subject, subject) : kind.subject == subject;
  if (!fits) {
    return absl::InvalidArgumentError(
        absl::StrCat("subject ", AsAbsl(subject), " is not of ", AsAbsl(kind.subject)));
  }
  return internal::MakeKindEvent(kind, std::string(subject), payload, source, time, std::move(id));
}

absl::Status DecodeEvent(const Event& event, google::protobuf::Message* out) {
  // Compared in place: building the expected string costs an allocation per event.
  const std::string& name = out->GetDescriptor()->full_name();
  const std::string_view schema = event.dataschema;
  if (schema.size() != kDataSchemaPrefix.size() + name.size() ||
      !schema.starts_with(kDataSchemaPrefix) || !schema.ends_with(name)) {
    return absl::InvalidArgumentError(absl::StrCat("event ", event.id, " carries ",
                                                   event.dataschema, ", not ",
                                                   AsAbsl(kDataSchemaPrefix), name));
  }
  if (!out->ParseFromString(event.data)) {
    return absl::InvalidArgumentError(absl::StrCat("event ", event.id, " has a malformed body"));
  }
  return absl::OkStatus();
}

bool IsEventOf(const Event& event, const EventKind& kind) {
  return kind.per_resource ? SubjectMatches(kind.subject, event.subject)
                           : event.subject == kind.subject;
}

}  // namespace carecast::common
