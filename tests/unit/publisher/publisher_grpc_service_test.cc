// PublisherService through a real in-process gRPC server with the RpcEdge.
#include "services/publisher/publisher_grpc_service.h"

#include <filesystem>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "services/common/base/ids.h"
#include "services/common/rpc/grpc_server.h"
#include "services/common/rpc/rpc_metrics.h"
#include "services/publisher/channels/sandbox_channel.h"
#include "services/publisher/publisher_roles.h"
#include "tests/support/fake_authenticator.h"
#include "tests/unit/publisher/publisher_harness.h"

namespace carecast::publisher::testing {
namespace {

class PublisherGrpcServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            absl::StrCat("carecast-pubgrpc-", common::NewId()))
               .string();
    auto sandbox = SandboxChannel::Open(dir_, "pub-a", h_.clock_);
    ASSERT_TRUE(sandbox.ok());
    sandbox_ = *std::move(sandbox);
    pub_ = &h_.AddStarted();
    auth_.AddSubject("pubber", {common::Role::kPublisher});
    auth_.AddSubject("writer", {common::Role::kContentDeveloper});
    edge_ = std::make_unique<common::RpcEdge>(auth_, roles_, rpc_metrics_, pub_->logger);
    service_ = std::make_unique<PublisherGrpcService>(*pub_->publisher, *sandbox_, *edge_);
    common::GrpcServerOptions options;
    options.address = "127.0.0.1";
    auto server = common::GrpcServer::Start(options, {service_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = carecast::v1::PublisherService::NewStub(server_->InProcessChannel());
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return context;
  }

  PublisherHarness h_;
  std::string dir_;
  std::unique_ptr<SandboxChannel> sandbox_;
  PublisherUnderTest* pub_ = nullptr;
  carecast::testing::FakeAuthenticator auth_;
  common::RoleTable roles_ = PublisherRoleTable();
  prometheus::Registry registry_;
  common::RpcMetrics rpc_metrics_{registry_};
  std::unique_ptr<common::RpcEdge> edge_;
  std::unique_ptr<PublisherGrpcService> service_;
  std::unique_ptr<common::GrpcServer> server_;
  std::unique_ptr<carecast::v1::PublisherService::Stub> stub_;
};

TEST_F(PublisherGrpcServiceTest, StatusReportsPendingPostsAndNextDueTime) {
  absl::Time due = h_.clock_.Now() + absl::Minutes(5);
  h_.SchedulePost("p1", due);
  h_.SchedulePost("p2", due + absl::Minutes(1));
  ASSERT_TRUE(h_.Drain());
  carecast::v1::GetPublisherStatusResponse response;
  grpc::Status status = stub_->GetPublisherStatus(Context("pubber").get(), {}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.publisher_id(), "pub-a");
  EXPECT_FALSE(response.held());
  EXPECT_EQ(response.pending_posts(), 2);
  EXPECT_EQ(ToTime(response.next_due_time()), due);
}

TEST_F(PublisherGrpcServiceTest, StatusIsUnavailableWhenTheIndexIsDown) {
  h_.index_.FailAll(absl::UnavailableError("redis down"));
  carecast::v1::GetPublisherStatusResponse response;
  grpc::Status status = stub_->GetPublisherStatus(Context("pubber").get(), {}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(PublisherGrpcServiceTest, ListDeliveriesPagesOverTheSandboxRecord) {
  for (int i = 0; i < 3; ++i) {
    PublishRequest r;
    r.post = absl::StrCat("posts/p", i);
    r.content_version = 1;
    r.idempotency_key = absl::StrCat("p", i, ".v1");
    r.network = carecast::v1::NETWORK_SANDBOX;
    r.text = "hello";
    ASSERT_TRUE(sandbox_->Publish(r).ok());
  }
  carecast::v1::ListDeliveriesRequest request;
  request.set_page_size(2);
  carecast::v1::ListDeliveriesResponse first;
  ASSERT_TRUE(stub_->ListDeliveries(Context("pubber").get(), request, &first).ok());
  ASSERT_EQ(first.deliveries_size(), 2);
  EXPECT_EQ(first.deliveries(0).post(), "posts/p0");
  EXPECT_EQ(first.deliveries(0).network(), carecast::v1::NETWORK_SANDBOX);
  EXPECT_EQ(first.deliveries(0).publisher_id(), "pub-a");
  EXPECT_EQ(first.deliveries(0).text(), "hello");
  ASSERT_FALSE(first.next_page_token().empty());
  request.set_page_token(first.next_page_token());
  carecast::v1::ListDeliveriesResponse second;
  ASSERT_TRUE(stub_->ListDeliveries(Context("pubber").get(), request, &second).ok());
  ASSERT_EQ(second.deliveries_size(), 1);
  EXPECT_EQ(second.deliveries(0).post(), "posts/p2");
  EXPECT_TRUE(second.next_page_token().empty());
}

TEST_F(PublisherGrpcServiceTest, BadInputAndWrongCallersAreRefused) {
  carecast::v1::ListDeliveriesRequest request;
  carecast::v1::ListDeliveriesResponse response;
  request.set_page_token("not-a-token");
  EXPECT_EQ(stub_->ListDeliveries(Context("pubber").get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.clear_page_token();
  request.set_page_size(-5);
  EXPECT_EQ(stub_->ListDeliveries(Context("pubber").get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  carecast::v1::GetPublisherStatusResponse status;
  EXPECT_EQ(stub_->GetPublisherStatus(Context("writer").get(), {}, &status).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->GetPublisherStatus(Context("").get(), {}, &status).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_->GetPublisherStatus(Context("forged").get(), {}, &status).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace carecast::publisher::testing
