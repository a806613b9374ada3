// carecast.v1.MetricsService over gRPC: a thin translator from protos to the
// MetricsService core, every call through RpcEdge (auth, roles, metrics, log).
#pragma once

#include "carecast/v1/metrics_service.grpc.pb.h"

#include "services/common/rpc/rpc_edge.h"
#include "services/common/rpc/strict_request_parsing.h"
#include "services/metrics/metrics_service.h"

namespace carecast::metrics {

// Thread-safe; references must outlive it.
class MetricsGrpcService final : public common::StrictlyParsedService<v1::MetricsService::Service> {
 public:
  MetricsGrpcService(const MetricsService& service, common::RpcEdge& edge)
      : service_(service), edge_(edge) {
    using Base = v1::MetricsService::Service;
    ParseStrictly(&Base::GetObjectiveProgress);
    ParseStrictly(&Base::GetProgramSummary);
    ParseStrictly(&Base::GetRollup);
    ParseStrictly(&Base::GetWeeklyReport);
    ParseStrictly(&Base::GetBestTimes);
  }

  grpc::Status GetObjectiveProgress(grpc::ServerContext* context,
                                    const v1::GetObjectiveProgressRequest* request,
                                    v1::GetObjectiveProgressResponse* response) override;
  grpc::Status GetProgramSummary(grpc::ServerContext* context,
                                 const v1::GetProgramSummaryRequest* request,
                                 v1::GetProgramSummaryResponse* response) override;
  grpc::Status GetRollup(grpc::ServerContext* context, const v1::GetRollupRequest* request,
                         v1::GetRollupResponse* response) override;
  grpc::Status GetBestTimes(grpc::ServerContext* context, const v1::GetBestTimesRequest* request,
                            v1::GetBestTimesResponse* response) override;
  grpc::Status GetWeeklyReport(grpc::ServerContext* context,
                               const v1::GetWeeklyReportRequest* request,
                               v1::GetWeeklyReportResponse* response) override;

 private:
  const MetricsService& service_;
  common::RpcEdge& edge_;
};

}  // namespace carecast::metrics
