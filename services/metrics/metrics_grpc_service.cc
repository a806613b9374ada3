#include "services/metrics/metrics_grpc_service.h"

#include "services/metrics/metrics_roles.h"

namespace carecast::metrics {

grpc::Status MetricsGrpcService::GetObjectiveProgress(
    grpc::ServerContext* context, const v1::GetObjectiveProgressRequest* request,
    v1::GetObjectiveProgressResponse* response) {
  return edge_.Unary(context, kGetObjectiveProgressMethod, [&](const common::Caller&) {
    absl::StatusOr<v1::ObjectiveProgress> progress = service_.GetObjectiveProgress(request->name());
    if (!progress.ok()) return progress.status();
    *response->mutable_progress() = *std::move(progress);
    return absl::OkStatus();
  });
}

grpc::Status MetricsGrpcService::GetProgramSummary(grpc::ServerContext* context,
                                                   const v1::GetProgramSummaryRequest* request,
                                                   v1::GetProgramSummaryResponse* response) {
  return edge_.Unary(context, kGetProgramSummaryMethod, [&](const common::Caller&) {
    *response = service_.GetProgramSummary();
    return absl::OkStatus();
  });
}

}  // namespace carecast::metrics
