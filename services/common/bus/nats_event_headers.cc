#include "services/common/bus/nats_event_headers.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "services/common/bus/nats_status.h"

namespace carecast::common {
namespace {

constexpr char kSpecVersion[] = "1.0";
constexpr char kProtobufContentType[] = "application/protobuf";

// An absent header reads as empty: only ce-id is mandatory.
std::string Header(natsMsg* msg, const char* key) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, key, &value) != NATS_OK || value == nullptr) return {};
  return value;
}

}  // namespace

absl::StatusOr<natsMsg*> NewEventMsg(const Event& event,
                                     std::optional<uint64_t> expected_last_subject_sequence) {
  if (event.id.empty()) return absl::InvalidArgumentError("event id is empty");
  if (event.subject.empty()) return absl::InvalidArgumentError("event subject is empty");
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, event.subject.c_str(), nullptr, event.data.data(),
                                static_cast<int>(event.data.size()));
  if (s != NATS_OK) return LastNatsError(s, 0, "creating event message");
  const std::string time = absl::FormatTime(absl::RFC3339_full, event.time, absl::UTCTimeZone());
  const std::string expected =
      expected_last_subject_sequence ? absl::StrCat(*expected_last_subject_sequence) : "";
  const std::pair<const char*, const std::string*> headers[] = {
      {kCeId, &event.id}, {kCeSource, &event.source},         {kCeType, &event.type},
      {kCeTime, &time},   {kCeDataSchema, &event.dataschema}, {kNatsMsgId, &event.id},
  };
  for (const auto& [key, value] : headers) {
    if (s == NATS_OK && !value->empty()) s = natsMsgHeader_Set(msg, key, value->c_str());
  }
  if (s == NATS_OK) s = natsMsgHeader_Set(msg, kCeSpecVersion, kSpecVersion);
  if (s == NATS_OK) s = natsMsgHeader_Set(msg, kCeDataContentType, kProtobufContentType);
  // Set by hand rather than through jsPubOptions: nats.c only sends this header
  // for a non-zero sequence, and zero ("no message yet") is a state we need.
  if (s == NATS_OK && expected_last_subject_sequence) {
    s = natsMsgHeader_Set(msg, kNatsExpectedLastSubjectSequence, expected.c_str());
  }
  if (s != NATS_OK) {
    absl::Status status = LastNatsError(s, 0, "setting event headers");
    natsMsg_Destroy(msg);
    return status;
  }
  return msg;
}

absl::StatusOr<Event> EventFromMsg(natsMsg* msg) {
  Event event;
  const char* subject = natsMsg_GetSubject(msg);
  event.subject = subject == nullptr ? "" : subject;
  event.id = Header(msg, kCeId);
  if (event.id.empty()) return absl::InvalidArgumentError("message has no ce-id header");
  event.source = Header(msg, kCeSource);
  event.type = Header(msg, kCeType);
  event.dataschema = Header(msg, kCeDataSchema);
  if (std::string time = Header(msg, kCeTime); !time.empty()) {
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, time, &event.time, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("bad ce-time: ", error));
    }
  }
  const char* data = natsMsg_GetData(msg);
  if (data != nullptr) event.data.assign(data, static_cast<size_t>(natsMsg_GetDataLength(msg)));
  return event;
}

}  // namespace carecast::common
