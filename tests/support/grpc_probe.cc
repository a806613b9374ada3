#include "tests/support/grpc_probe.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include "services/common/rpc/byte_buffers.h"
#include "services/common/rpc/generic_call.h"

namespace carecast::testing {
namespace {

using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

// Protobuf wire format by hand: one length-delimited field.
std::string LengthDelimited(int field, const std::string& value) {
  std::string out;
  out.push_back(static_cast<char>((field << 3) | 2));
  size_t n = value.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  return out + value;
}

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ListReflectedServices(
    const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  int start = 0, write = 0, done = 0, read = 0, finish = 0;
  call->StartCall(&start);
  bool ok = common::AwaitTag(cq, &start);
  // ServerReflectionRequest.list_services (field 7), any value.
  if (ok) {
    call->Write(common::ToByteBuffer(LengthDelimited(7, "*")), &write);
    ok = common::AwaitTag(cq, &write);
  }
  if (ok) {
    call->WritesDone(&done);
    ok = common::AwaitTag(cq, &done);
  }
  grpc::ByteBuffer response;
  bool got_response = false;
  if (ok) {
    call->Read(&response, &read);
    got_response = common::AwaitTag(cq, &read);
  }
  grpc::Status status;
  call->Finish(&status, &finish);
  common::AwaitTag(cq, &finish);
  common::ShutdownAndDrain(cq);
  if (!status.ok()) return FromGrpc(status);
  if (!got_response) return absl::InternalError("no reflection response");

  // ServerReflectionResponse.list_services_response (6) -> ListServiceResponse.service (1)
  // -> ServiceResponse.name (1).
  UnknownFieldSet top;
  if (!top.ParseFromString(common::FromByteBuffer(response))) {
    return absl::InternalError("unparsable reflection response");
  }
  std::vector<std::string> names;
  for (int i = 0; i < top.field_count(); ++i) {
    if (top.field(i).number() != 6 || top.field(i).type() != UnknownField::TYPE_LENGTH_DELIMITED) {
      continue;
    }
    UnknownFieldSet list;
    if (!list.ParseFromString(top.field(i).length_delimited())) continue;
    for (int j = 0; j < list.field_count(); ++j) {
      if (list.field(j).number() != 1) continue;
      UnknownFieldSet service;
      if (!service.ParseFromString(list.field(j).length_delimited())) continue;
      for (int k = 0; k < service.field_count(); ++k) {
        if (service.field(k).number() == 1) names.push_back(service.field(k).length_delimited());
      }
    }
  }
  return names;
}

absl::Status CallRawUnary(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& full_method, const std::string& request_bytes,
                          const std::string& bearer_token, absl::Duration timeout) {
  return common::CallUnaryBytes(channel, full_method, request_bytes, bearer_token, timeout)
      .status();
}

}  // namespace carecast::testing
