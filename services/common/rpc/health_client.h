// Client for the standard grpc.health.v1.Health/Check, without generated stubs
// (Debian ships no health.proto): the request and response are two tiny messages.
// Used by carecastctl, the image smoke test and the tests.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <grpcpp/channel.h>

namespace carecast::common {

// grpc.health.v1.HealthCheckResponse.ServingStatus.
enum class HealthState { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };

// Health of `service` ("" is the whole server). The call's own error (NOT_FOUND for
// an unknown service, UNAVAILABLE when the server is down) is returned as is.
absl::StatusOr<HealthState> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                        const std::string& service,
                                        absl::Duration timeout = absl::Seconds(5));

}  // namespace carecast::common
