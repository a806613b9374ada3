#include "services/publisher/publisher_grpc_service.h"

#include "services/common/base/status_macros.h"
#include "services/publisher/delivery_pages.h"
#include "services/publisher/post_records.h"
#include "services/publisher/publisher_roles.h"

namespace carecast::publisher {

PublisherGrpcService::PublisherGrpcService(Publisher& publisher, DeliveryLog& deliveries,
                                           common::RpcEdge& edge)
    : publisher_(publisher), deliveries_(deliveries), edge_(edge) {
  using Base = carecast::v1::PublisherService::Service;
  ParseStrictly(&Base::GetPublisherStatus);
  ParseStrictly(&Base::ListDeliveries);
}

grpc::Status PublisherGrpcService::GetPublisherStatus(
    grpc::ServerContext* context, const carecast::v1::GetPublisherStatusRequest* request,
    carecast::v1::GetPublisherStatusResponse* response) {
  return edge_.Unary(context, kGetPublisherStatusMethod,
                     [&](const common::Caller&) -> absl::Status {
                       ASSIGN_OR_RETURN(PublisherStatus status, publisher_.Status());
                       response->set_publisher_id(status.publisher_id);
                       response->set_held(status.held);
                       response->set_pending_posts(status.pending_posts);
                       if (status.next_due_time)
                         SetTime(*status.next_due_time, response->mutable_next_due_time());
                       return absl::OkStatus();
                     });
}

grpc::Status PublisherGrpcService::ListDeliveries(
    grpc::ServerContext* context, const carecast::v1::ListDeliveriesRequest* request,
    carecast::v1::ListDeliveriesResponse* response) {
  return edge_.Unary(context, kListDeliveriesMethod, [&](const common::Caller&) -> absl::Status {
    ASSIGN_OR_RETURN(DeliveryPage page,
                     ListDeliveryPage(deliveries_, request->page_size(), request->page_token()));
    for (const DeliveryRecord& r : page.deliveries) {
      carecast::v1::Delivery* d = response->add_deliveries();
      d->set_post(r.post);
      d->set_content_version(r.content_version);
      d->set_network(r.network);
      d->set_account(r.account);
      d->set_external_id(r.external_id);
      d->set_text(r.text);
      SetTime(r.deliver_time, d->mutable_deliver_time());
      d->set_publisher_id(r.publisher_id);
    }
    response->set_next_page_token(page.next_page_token);
    return absl::OkStatus();
  });
}

}  // namespace carecast::publisher
