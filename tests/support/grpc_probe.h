// Talks to the standard gRPC health and reflection services of a running server
// without their generated stubs (Debian ships neither proto), for tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <grpcpp/channel.h>

#include "services/common/rpc/health_client.h"

namespace carecast::testing {

// Health checks live in services/common/rpc/health_client.h.
using common::CheckHealth;
using common::HealthState;

// Sends `request_bytes` as the request of unary `full_method` ("/pkg.Service/M")
// with an optional bearer token, without a typed stub (so tests can send bytes a
// typed client would refuse to build). Returns the call's status.
absl::Status CallRawUnary(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& full_method, const std::string& request_bytes,
                          const std::string& bearer_token = "",
                          absl::Duration timeout = absl::Seconds(5));

// Service names listed by grpc.reflection.v1alpha.ServerReflection.
absl::StatusOr<std::vector<std::string>> ListReflectedServices(
    const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout = absl::Seconds(5));

}  // namespace carecast::testing
