#include "services/metrics/metrics_grpc_service.h"

#include "services/common/rpc/spoke_scope.h"
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

grpc::Status MetricsGrpcService::GetRollup(grpc::ServerContext* context,
                                           const v1::GetRollupRequest* request,
                                           v1::GetRollupResponse* response) {
  return edge_.Unary(context, kGetRollupMethod, [&](const common::Caller&) {
    absl::StatusOr<v1::GetRollupResponse> rollup = service_.GetRollup(*request);
    if (!rollup.ok()) return rollup.status();
    *response = *std::move(rollup);
    return absl::OkStatus();
  });
}

grpc::Status MetricsGrpcService::GetWeeklyReport(grpc::ServerContext* context,
                                                 const v1::GetWeeklyReportRequest* request,
                                                 v1::GetWeeklyReportResponse* response) {
  return edge_.Unary(context, kGetWeeklyReportMethod, [&](const common::Caller& caller) {
    absl::StatusOr<v1::WeeklyReport> report =
        service_.GetWeeklyReport(*request, common::SpokeScope::For(caller));
    if (!report.ok()) return report.status();
    *response->mutable_report() = *std::move(report);
    return absl::OkStatus();
  });
}

grpc::Status MetricsGrpcService::GetBestTimes(grpc::ServerContext* context,
                                              const v1::GetBestTimesRequest* request,
                                              v1::GetBestTimesResponse* response) {
  return edge_.Unary(context, kGetBestTimesMethod, [&](const common::Caller& caller) {
    absl::StatusOr<v1::GetBestTimesResponse> best =
        service_.GetBestTimes(*request, common::SpokeScope::For(caller));
    if (!best.ok()) return best.status();
    *response = *std::move(best);
    return absl::OkStatus();
  });
}

}  // namespace carecast::metrics
