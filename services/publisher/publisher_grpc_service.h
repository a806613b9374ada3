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
  PublisherGrpcService(Publisher& publisher, common::RpcEdge& edge);

  grpc::Status GetPublisherStatus(grpc::ServerContext* context,
                                  const carecast::v1::GetPublisherStatusRequest* request,
                                  carecast::v1::GetPublisherStatusResponse* response) override;
  // Published posts of every network from the posts bucket, newest first.
  grpc::Status ListDeliveries(grpc::ServerContext* context,
                              const carecast::v1::ListDeliveriesRequest* request,
                              carecast::v1::ListDeliveriesResponse* response) override;
  // The caller (JWT subject, admitted role) is the actor recorded in the audit trail.
  grpc::Status ConfirmPostPublished(grpc::ServerContext* context,
                                    const carecast::v1::ConfirmPostPublishedRequest* request,
                                    carecast::v1::ConfirmPostPublishedResponse* response) override;
  grpc::Status ConfirmPostNotPublished(
      grpc::ServerContext* context, const carecast::v1::ConfirmPostNotPublishedRequest* request,
      carecast::v1::ConfirmPostNotPublishedResponse* response) override;

 private:
  Publisher& publisher_;
  common::RpcEdge& edge_;
};

// The Delivery a published post is listed as: deliver_time = published_time,
// publisher_id = the confirming person when one confirmed it, else the
// publisher process that claimed it.
carecast::v1::Delivery DeliveryOf(const carecast::v1::Post& post);

}  // namespace carecast::publisher
