#include "tools/carecastctl/mention_stream.h"

#include <string>
#include <thread>

#include <google/protobuf/util/json_util.h>

#include "carecast/v1/listener_service.grpc.pb.h"

namespace carecast::ctl {

int StreamMentions(const std::shared_ptr<grpc::Channel>& channel, const CallOptions& options,
                   std::istream& in, std::ostream& out, std::ostream& err) {
  auto stub = carecast::v1::ListenerService::NewStub(channel);
  grpc::ClientContext context;
  PrepareContext(context, options);
  auto stream = stub->StreamMentions(&context);
  int rejected = 0;
  // Answers are read on a second thread so a long input never fills both windows.
  std::thread reader([&] {
    carecast::v1::StreamMentionsResponse response;
    google::protobuf::util::JsonPrintOptions print;
    print.preserve_proto_field_names = true;
    while (stream->Read(&response)) {
      if (response.error_code() != 0) ++rejected;
      std::string json;
      (void)google::protobuf::util::MessageToJsonString(response, &json, print);
      out << json << "\n";
    }
  });
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    carecast::v1::StreamMentionsRequest request;
    auto parsed = google::protobuf::util::JsonStringToMessage(line, request.mutable_mention());
    if (!parsed.ok()) {
      err << "line " << line_number << ": not a Mention: " << parsed.message().as_string() << "\n";
      continue;
    }
    if (!stream->Write(request)) break;
  }
  stream->WritesDone();
  reader.join();
  grpc::Status status = stream->Finish();
  if (!status.ok()) {
    err << "stream failed: " << status.error_message() << "\n";
    return -1;
  }
  return rejected;
}

}  // namespace carecast::ctl
