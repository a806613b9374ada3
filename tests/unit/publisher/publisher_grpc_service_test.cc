// PublisherService through a real in-process gRPC server with the RpcEdge.
#include "services/publisher/publisher_grpc_service.h"

#include <filesystem>
#include <map>
#include <string>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "carecast/v1/events.pb.h"

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
    service_ = std::make_unique<PublisherGrpcService>(*pub_->publisher, *edge_);
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

TEST_F(PublisherGrpcServiceTest,
       ListDeliveriesListsPublishedPostsOfEveryNetworkNotTheSandboxRecord) {
  FakeChannel mastodon;
  ASSERT_TRUE(h_.channels_.Register(carecast::v1::NETWORK_MASTODON, mastodon).ok());
  h_.SchedulePost("on-sandbox", h_.clock_.Now());
  ASSERT_TRUE(h_.Drain());
  pub_->publisher->RunCycle();
  h_.clock_.Advance(absl::Minutes(1));
  h_.SchedulePost("on-mastodon", h_.clock_.Now(), carecast::v1::NETWORK_MASTODON);
  ASSERT_TRUE(h_.Drain());
  pub_->publisher->RunCycle();
  const absl::Time mastodon_time = h_.clock_.Now();
  h_.clock_.Advance(absl::Minutes(1));
  // What the sandbox's own file says does not matter to the RPC.
  PublishRequest local;
  local.post = "posts/only-in-the-sandbox-file";
  local.idempotency_key = "only-in-the-sandbox-file.v1";
  local.network = carecast::v1::NETWORK_SANDBOX;
  ASSERT_TRUE(sandbox_->Publish(local).ok());

  carecast::v1::ListDeliveriesRequest request;
  request.set_page_size(1);
  carecast::v1::ListDeliveriesResponse first;
  grpc::Status status = stub_->ListDeliveries(Context("pubber").get(), request, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(first.deliveries_size(), 1);
  const carecast::v1::Delivery& d = first.deliveries(0);
  EXPECT_EQ(d.post(), "posts/on-mastodon");
  EXPECT_EQ(d.network(), carecast::v1::NETWORK_MASTODON);
  EXPECT_EQ(d.account(), "spokes/stmarys/accounts/main");
  EXPECT_EQ(d.external_id(), "fake-1");
  EXPECT_EQ(d.url(), "https://fake.example/1");
  EXPECT_EQ(d.content_version(), 1);
  EXPECT_EQ(d.text(), "Flu shot clinics open Saturday. #on-mastodon");
  EXPECT_EQ(ToTime(d.deliver_time()), mastodon_time);
  EXPECT_EQ(d.publisher_id(), "pub-a");
  ASSERT_FALSE(first.next_page_token().empty());

  request.set_page_token(first.next_page_token());
  carecast::v1::ListDeliveriesResponse second;
  ASSERT_TRUE(stub_->ListDeliveries(Context("pubber").get(), request, &second).ok());
  ASSERT_EQ(second.deliveries_size(), 1);
  EXPECT_EQ(second.deliveries(0).post(), "posts/on-sandbox");
  EXPECT_EQ(second.deliveries(0).network(), carecast::v1::NETWORK_SANDBOX);
  EXPECT_TRUE(second.next_page_token().empty());
}

// A post left NEEDS_HUMAN by a publisher that could not tell.
carecast::v1::Post PutNeedsHuman(PublisherHarness& h, const std::string& id) {
  carecast::v1::Post post =
      h.SchedulePost(id, h.clock_.Now() - absl::Minutes(5), carecast::v1::NETWORK_SANDBOX, false);
  post.set_state(carecast::v1::POST_STATE_NEEDS_HUMAN);
  post.set_claimed_by("pub-dead");
  post.set_attempt(1);
  post.set_failure_reason("outcome unknown after the channel call");
  EXPECT_TRUE(h.posts_->Put(id, post.SerializeAsString()).ok());
  return post;
}

TEST_F(PublisherGrpcServiceTest, ConfirmationsRecordTheCallerAsActorAndAreListed) {
  auth_.AddSubject("root", {common::Role::kAdmin});
  PutNeedsHuman(h_, "seen");
  PutNeedsHuman(h_, "missing");

  carecast::v1::ConfirmPostPublishedRequest published;
  published.set_post("posts/seen");
  published.set_external_id("1093");
  published.set_url("https://mastodon.example/@stmarys/1093");
  published.set_note("on the timeline");
  carecast::v1::ConfirmPostPublishedResponse published_response;
  grpc::Status status =
      stub_->ConfirmPostPublished(Context("pubber").get(), published, &published_response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(published_response.post().state(), carecast::v1::POST_STATE_PUBLISHED);
  EXPECT_EQ(published_response.post().url(), "https://mastodon.example/@stmarys/1093");
  EXPECT_EQ(published_response.post().confirmed_by(), "pubber");

  carecast::v1::ConfirmPostNotPublishedRequest not_published;
  not_published.set_post("posts/missing");
  carecast::v1::ConfirmPostNotPublishedResponse not_published_response;
  status =
      stub_->ConfirmPostNotPublished(Context("root").get(), not_published, &not_published_response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(not_published_response.post().state(), carecast::v1::POST_STATE_SCHEDULED);

  // The audit trail names the JWT subject and the role the call was admitted under.
  std::map<std::string, carecast::v1::AuditEntry> audit;
  for (const common::Event& e : h_.Events("carecast.audit.posts.>")) {
    carecast::v1::AuditRecorded recorded;
    ASSERT_TRUE(common::DecodeEvent(e, &recorded).ok());
    audit[recorded.entry().resource()] = recorded.entry();
  }
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit["posts/seen"].actor(), "pubber");
  EXPECT_EQ(audit["posts/seen"].role(), "publisher");
  EXPECT_EQ(audit["posts/seen"].action(), "post.publish");
  EXPECT_EQ(audit["posts/missing"].actor(), "root");
  EXPECT_EQ(audit["posts/missing"].role(), "admin");
  EXPECT_EQ(audit["posts/missing"].action(), "post.schedule");

  // The confirmed post is a delivery by the person who confirmed it.
  carecast::v1::ListDeliveriesResponse listed;
  ASSERT_TRUE(stub_->ListDeliveries(Context("pubber").get(), {}, &listed).ok());
  ASSERT_EQ(listed.deliveries_size(), 1);
  EXPECT_EQ(listed.deliveries(0).post(), "posts/seen");
  EXPECT_EQ(listed.deliveries(0).publisher_id(), "pubber");
  EXPECT_EQ(listed.deliveries(0).url(), "https://mastodon.example/@stmarys/1093");
}

TEST_F(PublisherGrpcServiceTest, ConfirmationsMapEveryRefusalToItsCode) {
  auth_.AddSubject("rob", {common::Role::kResponder});
  auth_.AddSubject("svc", {common::Role::kService});
  PutNeedsHuman(h_, "p1");
  h_.SchedulePost("waiting", h_.clock_.Now() + absl::Hours(1));
  auto confirm = [&](const std::string& token, const std::string& post,
                     const std::string& external_id) {
    carecast::v1::ConfirmPostPublishedRequest request;
    request.set_post(post);
    request.set_external_id(external_id);
    carecast::v1::ConfirmPostPublishedResponse response;
    return stub_->ConfirmPostPublished(Context(token).get(), request, &response);
  };
  auto reschedule = [&](const std::string& token, const std::string& post) {
    carecast::v1::ConfirmPostNotPublishedRequest request;
    request.set_post(post);
    carecast::v1::ConfirmPostNotPublishedResponse response;
    return stub_->ConfirmPostNotPublished(Context(token).get(), request, &response);
  };
  // Roles: publisher, strategist and admin only; other roles and services may not.
  for (const char* who : {"writer", "rob", "svc"}) {
    EXPECT_EQ(confirm(who, "posts/p1", "1").error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << who;
    EXPECT_EQ(reschedule(who, "posts/p1").error_code(), grpc::StatusCode::PERMISSION_DENIED) << who;
  }
  EXPECT_EQ(confirm("", "posts/p1", "1").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(confirm("pubber", "posts/p1", "").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(confirm("pubber", "", "1").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(confirm("pubber", "posts/nope", "1").error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::Status wrong_state = reschedule("pubber", "posts/waiting");
  EXPECT_EQ(wrong_state.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(wrong_state.error_message(),
            "posts/waiting is SCHEDULED; only NEEDS_HUMAN posts can be confirmed not published");
  // None of that touched the post.
  EXPECT_EQ(h_.StateOf("p1"), carecast::v1::POST_STATE_NEEDS_HUMAN);
  EXPECT_TRUE(h_.Events("carecast.audit.>").empty());
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
