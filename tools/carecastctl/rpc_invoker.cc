#include "tools/carecastctl/rpc_invoker.h"

#include "absl/strings/str_cat.h"
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>

#include "services/common/rpc/generic_call.h"

namespace carecast::ctl {

void PrepareContext(grpc::ClientContext& context, const CallOptions& options) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + options.timeout));
  if (!options.bearer_token.empty())
    context.AddMetadata("authorization", "Bearer " + options.bearer_token);
}

absl::StatusOr<std::string> InvokeUnaryJson(const std::shared_ptr<grpc::Channel>& channel,
                                            const ServiceEntry& service,
                                            const std::string& method_name,
                                            const std::string& request_json,
                                            const CallOptions& options) {
  const auto* descriptor = Describe(service);
  const auto* method = descriptor == nullptr ? nullptr : descriptor->FindMethodByName(method_name);
  if (method == nullptr)
    return absl::InvalidArgumentError(
        absl::StrCat("no method ", method_name, " in ", service.full_name));
  if (method->client_streaming() || method->server_streaming())
    return absl::InvalidArgumentError(
        absl::StrCat(method_name, " is a streaming method; see 'carecastctl mentions stream'"));

  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<google::protobuf::Message> request(
      factory.GetPrototype(method->input_type())->New());
  std::unique_ptr<google::protobuf::Message> response(
      factory.GetPrototype(method->output_type())->New());
  auto parsed = google::protobuf::util::JsonStringToMessage(
      request_json.empty() ? "{}" : request_json, request.get());
  if (!parsed.ok())
    return absl::InvalidArgumentError(absl::StrCat("request is not a valid ",
                                                   method->input_type()->full_name(), ": ",
                                                   parsed.message().as_string()));

  absl::StatusOr<std::string> response_bytes =
      common::CallUnaryBytes(channel, absl::StrCat("/", service.full_name, "/", method_name),
                             request->SerializeAsString(), options.bearer_token, options.timeout);
  if (!response_bytes.ok()) return response_bytes.status();
  if (!response->ParseFromString(*response_bytes))
    return absl::InternalError("the server sent a response that does not parse");
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(*response, &json, print);
  return json;
}

}  // namespace carecast::ctl
