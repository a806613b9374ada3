// The gRPC edge every handler goes through: authenticate the bearer token,
// authorize the method from the RoleTable, refuse expired deadlines, run the
// handler, convert absl::Status to grpc::Status, record
// grpc_server_handled_total / grpc_server_handling_seconds and log one JSON line.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include "services/common/base/logger.h"
#include "services/common/rpc/authenticator.h"
#include "services/common/rpc/principal.h"
#include "services/common/rpc/role_table.h"
#include "services/common/rpc/rpc_metrics.h"

namespace carecast::common {

// The admitted caller of one RPC.
struct Caller {
  Principal principal;
  // The role under which the table let the call in (recorded in the audit trail).
  Role role = Role::kContributor;
};

grpc::Status ToGrpcStatus(const absl::Status& status);

// Thread-safe; shared by all handlers of a service. References must outlive it.
class RpcEdge {
 public:
  RpcEdge(const Authenticator& authenticator, const RoleTable& roles, RpcMetrics& metrics,
          Logger& logger);

  // One call, from admission to status. `full_method` as in the RoleTable.
  class Call {
   public:
    Call(RpcEdge& edge, grpc::ServerContext* context, std::string_view full_method,
         std::string_view grpc_type = "unary");
    // Authenticates and authorizes; OK means caller() is set.
    absl::Status Admit();
    const Caller& caller() const { return caller_; }
    // Records metrics and the log line once; returns the gRPC status to send.
    grpc::Status Finish(const absl::Status& status);

   private:
    RpcEdge& edge_;
    grpc::ServerContext* context_;
    std::string method_;
    std::string grpc_type_;
    absl::Time start_;
    Caller caller_;
    bool finished_ = false;
  };

  // Runs `fn(const Caller&) -> absl::Status` as one unary call.
  template <class Fn>
  grpc::Status Unary(grpc::ServerContext* context, std::string_view full_method, Fn&& fn) {
    Call call(*this, context, full_method);
    absl::Status status = call.Admit();
    if (status.ok()) status = fn(call.caller());
    return call.Finish(status);
  }

 private:
  friend class Call;
  const Authenticator& authenticator_;
  const RoleTable& roles_;
  RpcMetrics& metrics_;
  Logger& logger_;
};

}  // namespace carecast::common
