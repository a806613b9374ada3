// gRPC calls without generated stubs: a unary call by full method name on
// serialized bytes, and the completion-queue steps the streaming probes share.
// Used by the health client, carecastctl and the test probes.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <grpcpp/channel.h>
#include <grpcpp/completion_queue.h>

namespace carecast::common {

// Waits for `tag` on `cq`; false when that operation failed.
bool AwaitTag(grpc::CompletionQueue& cq, void* tag);

// Shuts `cq` down and drains it, as gRPC requires before it is destroyed.
void ShutdownAndDrain(grpc::CompletionQueue& cq);

// Calls unary `full_method` ("/pkg.Service/Method") with `request` bytes, sending
// "authorization: Bearer <token>" when `bearer_token` is not empty. Returns the
// response bytes, or the call's own status.
absl::StatusOr<std::string> CallUnaryBytes(const std::shared_ptr<grpc::Channel>& channel,
                                           const std::string& full_method,
                                           const std::string& request,
                                           const std::string& bearer_token, absl::Duration timeout);

}  // namespace carecast::common
