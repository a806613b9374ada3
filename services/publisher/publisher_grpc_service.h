// PublisherService over gRPC: a thin translator from protos to the core. Every
// call goes through the RpcEdge (authentication, role table, metrics, log line).
// References must outlive it; thread-safe.
#pragma once

#include "carecast/v1/publisher_service.grpc.pb.h"

#include "services/common/rpc/rpc_edge.h"
#include "services/common/rpc/strict_request_parsing.h"
#include "services/publisher/channels/delivery_log.h"
#include "services/publisher/publisher.h"

namespace carecast::publisher {

class PublisherGrpcService final
    : public common::StrictlyParsedService<carecast::v1::PublisherService::Service> {
 public:
  PublisherGrpcService(Publisher& publisher, DeliveryLog& deliveries, common::RpcEdge& edge);

  grpc::Status GetPublisherStatus(grpc::ServerContext* context,
                                  const carecast::v1::GetPublisherStatusRequest* request,
                                  carecast::v1::GetPublisherStatusResponse* response) override;
  grpc::Status ListDeliveries(grpc::ServerContext* context,
                              const carecast::v1::ListDeliveriesRequest* request,
                              carecast::v1::ListDeliveriesResponse* response) override;

 private:
  Publisher& publisher_;
  DeliveryLog& deliveries_;
  common::RpcEdge& edge_;
};

}  // namespace carecast::publisher
