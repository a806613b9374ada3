// carecast.v1.PlannerService over gRPC: each method admits the call through the
// RpcEdge (token, role, deadline, metrics, log line) and hands the request to the
// Planner core. Nothing else happens here.
#pragma once

#include "carecast/v1/planner_service.grpc.pb.h"
#include "services/common/rpc/rpc_edge.h"
#include "services/common/rpc/strict_request_parsing.h"
#include "services/planner/planner.h"

namespace carecast::planner {

// Synchronous API on purpose: the core blocks on NATS and Redis, and the sync
// server's thread pool is made for blocking handlers. Thread-safe; references
// must outlive it.
class PlannerGrpcService final
    : public common::StrictlyParsedService<carecast::v1::PlannerService::Service> {
 public:
  // Every method parses its own request (common/rpc/strict_request_parsing.h).
  PlannerGrpcService(Planner& planner, common::RpcEdge& edge);

#define CARECAST_PLANNER_RPC(Method)                                                    \
  grpc::Status Method(grpc::ServerContext* context, const v1::Method##Request* request, \
                      v1::Method##Response* response) override;
  CARECAST_PLANNER_RPC(CreateSpoke)
  CARECAST_PLANNER_RPC(ListSpokes)
  CARECAST_PLANNER_RPC(CreateAccount)
  CARECAST_PLANNER_RPC(ListAccounts)
  CARECAST_PLANNER_RPC(CreateObjective)
  CARECAST_PLANNER_RPC(GetObjective)
  CARECAST_PLANNER_RPC(ListObjectives)
  CARECAST_PLANNER_RPC(CreateContent)
  CARECAST_PLANNER_RPC(GetContent)
  CARECAST_PLANNER_RPC(UpdateContent)
  CARECAST_PLANNER_RPC(SubmitContent)
  CARECAST_PLANNER_RPC(ApproveContent)
  CARECAST_PLANNER_RPC(RejectContent)
  CARECAST_PLANNER_RPC(SchedulePost)
  CARECAST_PLANNER_RPC(GetPost)
  CARECAST_PLANNER_RPC(CancelPost)
  CARECAST_PLANNER_RPC(ListCalendar)
  CARECAST_PLANNER_RPC(HoldPublishing)
  CARECAST_PLANNER_RPC(ResumePublishing)
  CARECAST_PLANNER_RPC(GetPublishingState)
  CARECAST_PLANNER_RPC(ListAuditEntries)
#undef CARECAST_PLANNER_RPC

 private:
  template <class Request, class Response, class Method>
  grpc::Status Handle(grpc::ServerContext* context, const char* full_method, const Request& request,
                      Response* response, Method method);

  Planner& planner_;
  common::RpcEdge& edge_;
};

}  // namespace carecast::planner
