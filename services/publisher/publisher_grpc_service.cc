#include "services/publisher/publisher_grpc_service.h"

#include "services/common/base/status_macros.h"
#include "services/common/rpc/principal.h"
#include "services/common/rpc/spoke_scope.h"
#include "services/publisher/delivery_pages.h"
#include "services/publisher/post_records.h"
#include "services/publisher/publisher_roles.h"

namespace carecast::publisher {
namespace {

Resolver ResolverOf(const common::Caller& caller) {
  return {caller.principal.subject, std::string(common::RoleName(caller.role)),
          common::SpokeScope::For(caller)};
}

}  // namespace

carecast::v1::Delivery DeliveryOf(const carecast::v1::Post& post) {
  carecast::v1::Delivery d;
  d.set_post(post.name());
  d.set_content_version(post.content_version());
  d.set_network(post.network());
  d.set_account(post.account());
  d.set_external_id(post.external_id());
  d.set_url(post.url());
  d.set_text(post.text());
  *d.mutable_deliver_time() = post.published_time();
  d.set_publisher_id(post.confirmed_by().empty() ? post.claimed_by() : post.confirmed_by());
  return d;
}

PublisherGrpcService::PublisherGrpcService(Publisher& publisher, common::RpcEdge& edge)
    : publisher_(publisher), edge_(edge) {
  using Base = carecast::v1::PublisherService::Service;
  ParseStrictly(&Base::GetPublisherStatus);
  ParseStrictly(&Base::ListDeliveries);
  ParseStrictly(&Base::ConfirmPostPublished);
  ParseStrictly(&Base::ConfirmPostNotPublished);
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
  return edge_.Unary(
      context, kListDeliveriesMethod, [&](const common::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(PublishedPage page,
                         publisher_.ListPublished(request->page_size(), request->page_token()));
        // A page may come back shorter than asked: other spokes' deliveries are left out.
        const common::SpokeScope scope = common::SpokeScope::For(caller);
        for (const carecast::v1::Post& post : page.posts) {
          if (scope.MaySee(common::SpokeOfResource(post.account()))) {
            *response->add_deliveries() = DeliveryOf(post);
          }
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::Status PublisherGrpcService::ConfirmPostPublished(
    grpc::ServerContext* context, const carecast::v1::ConfirmPostPublishedRequest* request,
    carecast::v1::ConfirmPostPublishedResponse* response) {
  return edge_.Unary(
      context, kConfirmPostPublishedMethod, [&](const common::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(*response->mutable_post(),
                         publisher_.ConfirmPostPublished(ResolverOf(caller), *request));
        return absl::OkStatus();
      });
}

grpc::Status PublisherGrpcService::ConfirmPostNotPublished(
    grpc::ServerContext* context, const carecast::v1::ConfirmPostNotPublishedRequest* request,
    carecast::v1::ConfirmPostNotPublishedResponse* response) {
  return edge_.Unary(
      context, kConfirmPostNotPublishedMethod, [&](const common::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(*response->mutable_post(),
                         publisher_.ConfirmPostNotPublished(ResolverOf(caller), *request));
        return absl::OkStatus();
      });
}

}  // namespace carecast::publisher
