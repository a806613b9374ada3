// Hosts gRPC services with the standard health service (grpc.health.v1) and
// reflection, message-size caps, and a graceful, deadline-bound shutdown.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <grpcpp/grpcpp.h>

namespace carecast::common {

struct GrpcServerOptions {
  std::string address = "0.0.0.0";
  int port = 0;                                // 0: pick a free port
  int max_receive_message_bytes = 256 * 1024;  // untrusted text is small
  int max_concurrent_streams = 100;
  absl::Duration keepalive_time = absl::Seconds(60);     // server pings idle connections
  absl::Duration keepalive_timeout = absl::Seconds(20);  // and drops them if unanswered
};

// Not copyable. Start() once; Shutdown() may be called from a signal-handling thread.
class GrpcServer {
 public:
  // `services` must outlive the server.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const GrpcServerOptions& options, const std::vector<grpc::Service*>& services);
  ~GrpcServer();

  int port() const { return port_; }
  // Health "" and every registered service name answer SERVING or NOT_SERVING.
  // Ignored after Shutdown().
  void SetServing(bool serving);
  // Names of the registered services (as in the health service and reflection).
  const std::vector<std::string>& service_names() const { return service_names_; }
  // Stops taking calls (health NOT_SERVING first), lets calls in flight finish
  // until `grace` has passed, then cancels the rest.
  void Shutdown(absl::Duration grace);
  // An in-process channel, for tests.
  std::shared_ptr<grpc::Channel> InProcessChannel();

 private:
  GrpcServer() = default;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::vector<std::string> service_names_;
  std::atomic<bool> shut_down_{false};
};

}  // namespace carecast::common
