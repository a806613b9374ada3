// Builds and opens event envelopes around protobuf payloads.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include <google/protobuf/message.h>

#include "services/common/bus/event.h"

namespace carecast::common {

// An event on `subject` carrying `payload`: type = subject + ".v1",
// dataschema = "urn:carecast:proto:" + the message's full name. `id` defaults to
// a random id; pass a deterministic one when a retry could publish the fact again.
Event MakeEvent(std::string_view subject, const google::protobuf::Message& payload,
                std::string_view source, absl::Time time, std::string id = {});

// Parses the event's data into `out`. INVALID_ARGUMENT when the dataschema names
// another message or the bytes do not parse.
absl::Status DecodeEvent(const Event& event, google::protobuf::Message* out);

}  // namespace carecast::common
