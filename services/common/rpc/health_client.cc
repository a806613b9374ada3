#include "services/common/rpc/health_client.h"

#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/generic/generic_stub.h>

#include "absl/time/clock.h"
#include "services/common/rpc/byte_buffers.h"

namespace carecast::common {
namespace {

using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

// HealthCheckRequest{service = 1}: one length-delimited field, encoded by hand.
std::string EncodeRequest(const std::string& service) {
  if (service.empty()) return {};
  std::string out(1, static_cast<char>((1 << 3) | 2));
  size_t n = service.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  return out + service;
}

// Waits for `tag` on `cq`; false when the operation failed.
bool Await(grpc::CompletionQueue& cq, void* tag) {
  void* got = nullptr;
  bool ok = false;
  while (cq.Next(&got, &ok)) {
    if (got == tag) return ok;
  }
  return false;
}

}  // namespace

absl::StatusOr<HealthState> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                        const std::string& service, absl::Duration timeout) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::CompletionQueue cq;
  std::string request = EncodeRequest(service);
  auto call =
      stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check", ToByteBuffer(request), &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  int tag = 0;
  call->Finish(&response, &status, &tag);
  Await(cq, &tag);
  cq.Shutdown();
  void* ignored_tag;
  bool ignored_ok;
  while (cq.Next(&ignored_tag, &ignored_ok)) {
  }
  if (!status.ok())
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  UnknownFieldSet fields;
  if (!fields.ParseFromString(FromByteBuffer(response))) {
    return absl::InternalError("unparsable health response");
  }
  // An absent field 1 is the default, UNKNOWN.
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& f = fields.field(i);
    if (f.number() == 1 && f.type() == UnknownField::TYPE_VARINT) {
      return static_cast<HealthState>(f.varint());
    }
  }
  return HealthState::kUnknown;
}

}  // namespace carecast::common
