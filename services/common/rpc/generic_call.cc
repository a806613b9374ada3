#include "services/common/rpc/generic_call.h"

#include "absl/time/clock.h"
#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>

#include "services/common/rpc/byte_buffers.h"

namespace carecast::common {

bool AwaitTag(grpc::CompletionQueue& cq, void* tag) {
  void* got = nullptr;
  bool ok = false;
  while (cq.Next(&got, &ok)) {
    if (got == tag) return ok;
  }
  return false;
}

void ShutdownAndDrain(grpc::CompletionQueue& cq) {
  cq.Shutdown();
  void* ignored_tag;
  bool ignored_ok;
  while (cq.Next(&ignored_tag, &ignored_ok)) {
  }
}

absl::StatusOr<std::string> CallUnaryBytes(const std::shared_ptr<grpc::Channel>& channel,
                                           const std::string& full_method,
                                           const std::string& request,
                                           const std::string& bearer_token,
                                           absl::Duration timeout) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!bearer_token.empty()) context.AddMetadata("authorization", "Bearer " + bearer_token);
  grpc::CompletionQueue cq;
  auto call = stub.PrepareUnaryCall(&context, full_method, ToByteBuffer(request), &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  int tag = 0;
  call->Finish(&response, &status, &tag);
  AwaitTag(cq, &tag);
  ShutdownAndDrain(cq);
  if (!status.ok())
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  return FromByteBuffer(response);
}

}  // namespace carecast::common
