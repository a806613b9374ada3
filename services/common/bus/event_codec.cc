#include "services/common/bus/event_codec.h"

#include "absl/strings/str_cat.h"

#include "services/common/base/ids.h"
#include "services/common/base/strings.h"

namespace carecast::common {
namespace {
constexpr absl::string_view kSchemaPrefix = "urn:carecast:proto:";
}

Event MakeEvent(std::string_view subject, const google::protobuf::Message& payload,
                std::string_view source, absl::Time time, std::string id) {
  Event event;
  event.id = id.empty() ? NewId() : std::move(id);
  event.subject = std::string(subject);
  event.type = absl::StrCat(AsAbsl(subject), ".v1");
  event.source = std::string(source);
  event.time = time;
  event.dataschema = absl::StrCat(kSchemaPrefix, payload.GetDescriptor()->full_name());
  payload.SerializeToString(&event.data);
  return event;
}

absl::Status DecodeEvent(const Event& event, google::protobuf::Message* out) {
  std::string want = absl::StrCat(kSchemaPrefix, out->GetDescriptor()->full_name());
  if (event.dataschema != want) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", event.id, " carries ", event.dataschema, ", not ", want));
  }
  if (!out->ParseFromString(event.data)) {
    return absl::InvalidArgumentError(absl::StrCat("event ", event.id, " has a malformed body"));
  }
  return absl::OkStatus();
}

}  // namespace carecast::common
