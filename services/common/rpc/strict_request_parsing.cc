#include "services/common/rpc/strict_request_parsing.h"

namespace carecast::common {

int MethodIndexForRequest(const google::protobuf::Descriptor& request) {
  const google::protobuf::FileDescriptor* file = request.file();
  for (int s = 0; s < file->service_count(); ++s) {
    const google::protobuf::ServiceDescriptor* service = file->service(s);
    for (int i = 0; i < service->method_count(); ++i)
      if (service->method(i)->input_type() == &request) return i;
  }
  return -1;
}

std::string MalformedRequestMessage(const google::protobuf::Descriptor& request) {
  return "request is not a valid " + request.full_name() +
         ": a text field is not valid UTF-8, or the message is malformed";
}

}  // namespace carecast::common
