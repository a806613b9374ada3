#include "tools/carecastctl/event_json.h"

#include <memory>

#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>

#include "services/common/base/logger.h"
#include "services/common/base/strings.h"
#include "services/common/bus/event_catalogue.h"
#include "tools/carecastctl/service_catalog.h"

namespace carecast::ctl {
namespace {

// The payload as JSON, or an error text.
bool PayloadJson(const common::Event& event, std::string* json, std::string* error) {
  // Make sure the generated descriptors are registered.
  (void)Describe(Services().front());
  absl::string_view schema = event.dataschema;
  if (!absl::ConsumePrefix(&schema, common::AsAbsl(common::kDataSchemaPrefix))) {
    *error = "unknown dataschema";
    return false;
  }
  const auto* type = google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
      std::string(schema));
  if (type == nullptr) {
    *error = "dataschema names no known message";
    return false;
  }
  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<google::protobuf::Message> message(factory.GetPrototype(type)->New());
  if (!message->ParseFromString(event.data)) {
    *error = "payload does not parse";
    return false;
  }
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(*message, json, print);
  return true;
}

}  // namespace

std::string EventToJson(const common::Event& event) {
  std::string out = "{\"subject\":";
  common::AppendJsonString(out, event.subject);
  out += ",\"id\":";
  common::AppendJsonString(out, event.id);
  out += ",\"type\":";
  common::AppendJsonString(out, event.type);
  out += ",\"source\":";
  common::AppendJsonString(out, event.source);
  out += ",\"time\":";
  common::AppendJsonString(out,
                           absl::FormatTime(absl::RFC3339_full, event.time, absl::UTCTimeZone()));
  out += ",\"sequence\":" + std::to_string(event.stream_sequence);
  std::string json, error;
  if (PayloadJson(event, &json, &error)) {
    out += ",\"data\":" + json;
  } else {
    out += ",\"data_error\":";
    common::AppendJsonString(out, error);
  }
  out += "}";
  return out;
}

}  // namespace carecast::ctl
