#include "services/planner/planner_grpc_service.h"

#include "services/common/base/status_macros.h"

namespace carecast::planner {

PlannerGrpcService::PlannerGrpcService(Planner& planner, common::RpcEdge& edge)
    : planner_(planner), edge_(edge) {
  using Base = v1::PlannerService::Service;
#define CARECAST_PARSE_STRICTLY(Method) ParseStrictly(&Base::Method);
  CARECAST_PLANNER_METHODS(CARECAST_PARSE_STRICTLY)
#undef CARECAST_PARSE_STRICTLY
}

template <class Request, class Response, class Method>
grpc::Status PlannerGrpcService::Handle(grpc::ServerContext* context, const char* full_method,
                                        const Request& request, Response* response, Method method) {
  // Everything captured by value or as a plain pointer: GCC 12's ASan reported a
  // stack-buffer-underflow when the pointer-to-member was captured by reference.
  Planner* planner = &planner_;
  const Request* in = &request;
  return edge_.Unary(context, full_method,
                     [planner, in, response, method](const common::Caller& caller) -> absl::Status {
                       auto result = (planner->*method)(caller, *in);
                       if (!result.ok()) return result.status();
                       *response = *std::move(result);
                       return absl::OkStatus();
                     });
}

#define CARECAST_PLANNER_RPC(Method)                                                   \
  grpc::Status PlannerGrpcService::Method(grpc::ServerContext* context,                \
                                          const v1::Method##Request* request,          \
                                          v1::Method##Response* response) {            \
    return Handle(context, "/carecast.v1.PlannerService/" #Method, *request, response, \
                  &Planner::Method);                                                   \
  }
CARECAST_PLANNER_METHODS(CARECAST_PLANNER_RPC)
#undef CARECAST_PLANNER_RPC

}  // namespace carecast::planner
