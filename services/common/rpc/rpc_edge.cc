#include "services/common/rpc/rpc_edge.h"

#include <chrono>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/time/clock.h"

#include "services/common/base/strings.h"

namespace carecast::common {
namespace {

constexpr std::string_view kAuthorizationKey = "authorization";
constexpr std::string_view kBearerScheme = "bearer";

std::string_view FromRef(const grpc::string_ref& s) { return {s.data(), s.size()}; }

// Finds the token in `authorization: Bearer <token>`; the scheme is
// case-insensitive (RFC 7235). An empty result means no usable header.
absl::StatusOr<std::string_view> BearerToken(const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto range =
      metadata.equal_range(grpc::string_ref(kAuthorizationKey.data(), kAuthorizationKey.size()));
  if (range.first == range.second) return absl::UnauthenticatedError("missing bearer token");
  if (std::next(range.first) != range.second) {
    return absl::UnauthenticatedError("more than one authorization header");
  }
  std::string_view value = FromRef(range.first->second);
  if (value.size() <= kBearerScheme.size() || value[kBearerScheme.size()] != ' ' ||
      !absl::EqualsIgnoreCase(AsAbsl(value.substr(0, kBearerScheme.size())),
                              AsAbsl(kBearerScheme))) {
    return absl::UnauthenticatedError("missing bearer token");
  }
  value.remove_prefix(kBearerScheme.size() + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (value.empty()) return absl::UnauthenticatedError("missing bearer token");
  return value;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl::StatusCode values are gRPC's codes by design.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

RpcEdge::RpcEdge(const Authenticator& authenticator, const RoleTable& roles, RpcMetrics& metrics,
                 Logger& logger)
    : authenticator_(authenticator), roles_(roles), metrics_(metrics), logger_(logger) {
  for (const std::string& method : roles_.Methods()) metrics_.Initialize(method);
}

RpcEdge::Call::Call(RpcEdge& edge, grpc::ServerContext* context, std::string_view full_method,
                    std::string_view grpc_type)
    : edge_(edge),
      context_(context),
      method_(full_method),
      grpc_type_(grpc_type),
      start_(absl::Now()) {
  edge_.metrics_.Started(method_, grpc_type_);
}

absl::Status RpcEdge::Call::Admit() {
  absl::StatusOr<std::string_view> token = BearerToken(*context_);
  if (!token.ok()) return token.status();
  absl::StatusOr<Principal> principal = edge_.authenticator_.Authenticate(*token);
  if (!principal.ok()) return principal.status();
  // Kept before authorization so a refused call is logged with who was refused.
  caller_.principal = *std::move(principal);
  absl::StatusOr<Role> role = edge_.roles_.Authorize(caller_.principal, method_);
  if (!role.ok()) return role.status();
  caller_.role = *role;

  // A call whose caller has already given up is not worth starting.
  if (context_->IsCancelled()) return absl::CancelledError("call cancelled by the client");
  if (context_->deadline() <= std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("deadline passed before the call started");
  }
  return absl::OkStatus();
}

grpc::Status RpcEdge::Call::Finish(const absl::Status& status) {
  if (!finished_) {
    finished_ = true;
    const absl::Duration elapsed = absl::Now() - start_;
    edge_.metrics_.Handled(method_, grpc_type_, status.code(), elapsed);
    // The subject is a staff or service id; the message may carry request
    // details, so only the code is logged.
    LogFields fields = {{"method", method_},
                        {"code", std::string(GrpcCodeLabel(status.code()))},
                        {"duration_ms", absl::ToDoubleMilliseconds(elapsed)},
                        {"subject", caller_.principal.subject}};
    edge_.logger_.Info("rpc", fields);
  }
  return ToGrpcStatus(status);
}

}  // namespace carecast::common
