// carecast.v1.PlannerService over gRPC: each method admits the call through the
// RpcEdge (token, role, deadline, metrics, log line) and hands the request to the
// Planner core. Nothing else happens here.
#pragma once

#include "carecast/v1/planner_service.grpc.pb.h"

#include "services/common/rpc/rpc_edge.h"
#include "services/common/rpc/strict_request_parsing.h"
#include "services/planner/planner.h"

// Every PlannerService method, in proto order: declared, defined and registered
// for strict request parsing from this one list.
#define CARECAST_PLANNER_METHODS(X) \
  X(CreateSpoke)                    \
  X(ListSpokes)                     \
  X(CreateAccount)                  \
  X(ListAccounts)                   \
  X(CreateObjective)                \
  X(GetObjective)                   \
  X(ListObjectives)                 \
  X(CreateAudience)                 \
  X(GetAudience)                    \
  X(ListAudiences)                  \
  X(UpdateAudience)                 \
  X(DeleteAudience)                 \
  X(CreateCampaign)                 \
  X(GetCampaign)                    \
  X(ListCampaigns)                  \
  X(UpdateCampaign)                 \
  X(CreatePatientAuthorization)     \
  X(GetPatientAuthorization)        \
  X(ListPatientAuthorizations)      \
  X(RevokePatientAuthorization)     \
  X(ListTakedownTasks)              \
  X(CompleteTakedownTask)           \
  X(CreateContent)                  \
  X(GetContent)                     \
  X(ListContents)                   \
  X(UpdateContent)                  \
  X(SubmitContent)                  \
  X(ApproveContent)                 \
  X(RejectContent)                  \
  X(SetReviewPolicy)                \
  X(GetReviewPolicy)                \
  X(GenerateVariants)               \
  X(SchedulePost)                   \
  X(BatchSchedulePosts)             \
  X(GetPost)                        \
  X(CancelPost)                     \
  X(ReschedulePost)                 \
  X(ListCalendar)                   \
  X(SetCadence)                     \
  X(GetCadence)                     \
  X(CreateBlackout)                 \
  X(ListBlackouts)                  \
  X(DeleteBlackout)                 \
  X(AddToQueue)                     \
  X(ListQueue)                      \
  X(ReorderQueue)                   \
  X(ShuffleQueue)                   \
  X(CreateEvergreenItem)            \
  X(GetEvergreenItem)               \
  X(ListEvergreenItems)             \
  X(RetireEvergreenItem)            \
  X(RenewEvergreenReview)           \
  X(RecycleEvergreen)               \
  X(HoldPublishing)                 \
  X(ResumePublishing)               \
  X(GetPublishingState)             \
  X(GetCalendarFeed)                \
  X(RevokeCalendarFeed)             \
  X(ListAuditEntries)

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
  CARECAST_PLANNER_METHODS(CARECAST_PLANNER_RPC)
#undef CARECAST_PLANNER_RPC

 private:
  template <class Request, class Response, class Method>
  grpc::Status Handle(grpc::ServerContext* context, const char* full_method, const Request& request,
                      Response* response, Method method);

  Planner& planner_;
  common::RpcEdge& edge_;
};

}  // namespace carecast::planner
