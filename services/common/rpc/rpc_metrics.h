// Prometheus series for gRPC servers, named as go-grpc-prometheus does so
// existing dashboards work: grpc_server_started_total,
// grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code} and
// grpc_server_handling_seconds (histogram). Thread-safe.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include <prometheus/registry.h>

namespace carecast::common {

class RpcMetrics {
 public:
  explicit RpcMetrics(prometheus::Registry& registry);
  ~RpcMetrics();
  RpcMetrics(const RpcMetrics&) = delete;
  RpcMetrics& operator=(const RpcMetrics&) = delete;

  // Creates the series of `full_method` at zero (started, handled with code OK,
  // handling time) so dashboards and alerts see every method before its first
  // call, as go-grpc-prometheus's InitializeMetrics does. grpc_type is taken from
  // the method's descriptor ("unary", "client_stream", "server_stream",
  // "bidi_stream"); "unary" when the descriptor is not linked in.
  void Initialize(std::string_view full_method);
  void Started(std::string_view full_method, std::string_view grpc_type);
  // grpc_code is the title-case gRPC code name ("OK", "InvalidArgument", ...).
  void Handled(std::string_view full_method, std::string_view grpc_type, absl::StatusCode code,
               absl::Duration elapsed);

 private:
  struct Impl;
  Impl* impl_;
};

// "OK", "Canceled", "Unknown", "InvalidArgument", ... as go-grpc-prometheus labels
// them (Go spells Canceled with one l).
std::string_view GrpcCodeLabel(absl::StatusCode code);

// The go-grpc-prometheus grpc_type of a full method name, from the generated
// descriptor pool; "unary" when the method is unknown.
std::string GrpcTypeOf(std::string_view full_method);

}  // namespace carecast::common
