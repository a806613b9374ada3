// grpc.health.v1.Health/Check over a generic stub (the two tiny health messages
// are encoded by hand, so no copy of health.proto is needed).
#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace carecast::ctl {

enum class ServingStatus { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };

// Asks `channel` about `service` ("" for the whole server).
absl::StatusOr<ServingStatus> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                          const std::string& service, absl::Duration timeout);

// Protobuf wire encoding of HealthCheckRequest{service} and decoding of
// HealthCheckResponse{status} (exposed for tests).
std::string EncodeHealthCheckRequest(const std::string& service);
absl::StatusOr<ServingStatus> DecodeHealthCheckResponse(const std::string& bytes);

}  // namespace carecast::ctl
