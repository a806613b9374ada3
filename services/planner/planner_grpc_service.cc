#include "services/planner/planner_grpc_service.h"

#include "services/common/base/status_macros.h"

namespace carecast::planner {

PlannerGrpcService::PlannerGrpcService(Planner& planner, common::RpcEdge& edge)
    : planner_(planner), edge_(edge) {
  using Base = v1::PlannerService::Service;
  ParseStrictly(&Base::CreateSpoke);
  ParseStrictly(&Base::ListSpokes);
  ParseStrictly(&Base::CreateAccount);
  ParseStrictly(&Base::ListAccounts);
  ParseStrictly(&Base::CreateObjective);
  ParseStrictly(&Base::GetObjective);
  ParseStrictly(&Base::ListObjectives);
  ParseStrictly(&Base::CreateContent);
  ParseStrictly(&Base::GetContent);
  ParseStrictly(&Base::UpdateContent);
  ParseStrictly(&Base::SubmitContent);
  ParseStrictly(&Base::ApproveContent);
  ParseStrictly(&Base::RejectContent);
  ParseStrictly(&Base::SchedulePost);
  ParseStrictly(&Base::GetPost);
  ParseStrictly(&Base::CancelPost);
  ParseStrictly(&Base::ListCalendar);
  ParseStrictly(&Base::HoldPublishing);
  ParseStrictly(&Base::ResumePublishing);
  ParseStrictly(&Base::GetPublishingState);
  ParseStrictly(&Base::ListAuditEntries);
}

template <class Request, class Response, class Method>
grpc::Status PlannerGrpcService::Handle(grpc::ServerContext* context, const char* full_method,
                                        const Request& request, Response* response, Method method) {
  return edge_.Unary(context, full_method, [&](const common::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(*response, (planner_.*method)(caller, request));
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

}  // namespace carecast::planner
