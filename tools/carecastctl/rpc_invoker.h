// Calls any unary RPC of a CareCast service with a JSON request (protobuf JSON
// mapping) and returns the JSON response, through grpc::GenericStub.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>

#include "tools/carecastctl/service_catalog.h"

namespace carecast::ctl {

struct CallOptions {
  std::string bearer_token;  // sent as "authorization: Bearer <token>" when not empty
  absl::Duration timeout = absl::Seconds(10);
};

// INVALID_ARGUMENT for an unknown method, a streaming method or JSON that does not
// fit the request message; otherwise the RPC's own status.
absl::StatusOr<std::string> InvokeUnaryJson(const std::shared_ptr<grpc::Channel>& channel,
                                            const ServiceEntry& service,
                                            const std::string& method_name,
                                            const std::string& request_json,
                                            const CallOptions& options);

// Sets the deadline and the bearer token on a client context.
void PrepareContext(grpc::ClientContext& context, const CallOptions& options);

}  // namespace carecast::ctl
