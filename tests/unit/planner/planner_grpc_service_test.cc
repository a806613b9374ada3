// PlannerService through a real in-process gRPC server and the RpcEdge: tokens
// and roles are enforced per method, statuses cross the edge unchanged, and the
// role the edge admitted is what the audit trail records.
#include "services/planner/planner_grpc_service.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "services/common/rpc/grpc_server.h"
#include "services/common/rpc/rpc_metrics.h"
#include "services/planner/planner_roles.h"
#include "tests/support/fake_authenticator.h"
#include "tests/support/grpc_probe.h"
#include "tests/unit/planner/planner_fixture.h"

namespace carecast::planner {
namespace {

using ::testing::HasSubstr;

class PlannerGrpcServiceTest : public PlannerFixture {
 protected:
  void SetUp() override {
    PlannerFixture::SetUp();
    auth_.AddSubject("alice", {common::Role::kStrategist});
    auth_.AddSubject("wendy", {common::Role::kContentDeveloper});
    auth_.AddSubject("rita", {common::Role::kClinicalReviewer});
    auth_.AddSubject("carl", {common::Role::kContributor, common::Role::kClinicalReviewer});
    auth_.AddSubject("rob", {common::Role::kResponder});
    edge_ = std::make_unique<common::RpcEdge>(auth_, roles_, rpc_metrics_, logger_);
    service_ = std::make_unique<PlannerGrpcService>(*planner_, *edge_);
    common::GrpcServerOptions options;
    options.address = "127.0.0.1";
    auto server = common::GrpcServer::Start(options, {service_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::PlannerService::NewStub(server_->InProcessChannel());
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return context;
  }

  testing::FakeAuthenticator auth_;
  common::RoleTable roles_ = PlannerRoleTable();
  common::RpcMetrics rpc_metrics_{registry_};
  std::unique_ptr<common::RpcEdge> edge_;
  std::unique_ptr<PlannerGrpcService> service_;
  std::unique_ptr<common::GrpcServer> server_;
  std::unique_ptr<v1::PlannerService::Stub> stub_;
};

TEST_F(PlannerGrpcServiceTest, WithoutATokenEveryCallIsUnauthenticated) {
  auto before = Take();
  v1::CreateContentRequest req;
  req.mutable_content()->set_text("hello");
  v1::CreateContentResponse resp;
  grpc::Status status = stub_->CreateContent(Context("").get(), req, &resp);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  v1::GetPublishingStateResponse state;
  EXPECT_EQ(stub_->GetPublishingState(Context("").get(), {}, &state).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_->GetPublishingState(Context("forged").get(), {}, &state).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  ExpectUnchanged(before, "unauthenticated calls");
}

TEST_F(PlannerGrpcServiceTest, TheWrongRoleIsPermissionDeniedAndChangesNothing) {
  auto before = Take();
  v1::HoldPublishingRequest hold;
  hold.set_reason("not mine to call");
  v1::HoldPublishingResponse held;
  EXPECT_EQ(stub_->HoldPublishing(Context("wendy").get(), hold, &held).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::CreateContentRequest create;
  create.mutable_content()->set_text("hello");
  v1::CreateContentResponse created;
  EXPECT_EQ(stub_->CreateContent(Context("rob").get(), create, &created).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ExpectUnchanged(before, "calls with the wrong role");
  // A responder may still read.
  v1::GetPublishingStateResponse state;
  EXPECT_TRUE(stub_->GetPublishingState(Context("rob").get(), {}, &state).ok());
}

TEST_F(PlannerGrpcServiceTest, InvalidUtf8IsInvalidArgumentAndChangesNothing) {
  auto before = Take();
  v1::CreateContentRequest create;
  create.mutable_content()->set_title("Flu");
  create.mutable_content()->set_text("PLACEHOLDER!");
  std::string bytes = create.SerializeAsString();
  bytes.replace(bytes.find("PLACEHOLDER!"), 12, std::string("caf\xc3 \xff\xfe text", 12));
  absl::Status status = testing::CallRawUnary(
      server_->InProcessChannel(), "/carecast.v1.PlannerService/CreateContent", bytes, "wendy");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("carecast.v1.CreateContentRequest"));
  // Truncated bytes are refused the same way.
  EXPECT_EQ(testing::CallRawUnary(server_->InProcessChannel(),
                                  "/carecast.v1.PlannerService/CreateContent",
                                  bytes.substr(0, bytes.size() - 3), "wendy")
                .code(),
            absl::StatusCode::kInvalidArgument);
  ExpectUnchanged(before, "malformed requests");
  // Well-formed calls still work through the re-registered methods.
  create.mutable_content()->set_text("Walk-in flu shots weekdays 8-6.");
  v1::CreateContentResponse created;
  EXPECT_TRUE(stub_->CreateContent(Context("wendy").get(), create, &created).ok());
}

TEST_F(PlannerGrpcServiceTest, CampaignsAndAudiencesWorkOverGrpcForTheirRoles) {
  MakeSpoke();
  v1::CreateAudienceRequest audience;
  audience.set_audience_id("parents");
  audience.mutable_audience()->set_display_name("Parents of young children");
  audience.mutable_audience()->set_spoke("spokes/st-marys");
  v1::CreateAudienceResponse made_audience;
  grpc::Status status = stub_->CreateAudience(Context("alice").get(), audience, &made_audience);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::CreateCampaignRequest campaign;
  campaign.set_campaign_id("flu-2027");
  v1::Campaign& c = *campaign.mutable_campaign();
  c.set_display_name("Flu season 2027");
  c.add_audiences("audiences/parents");
  c.add_pillars()->set_id("prevention");
  c.mutable_pillars(0)->set_display_name("Prevention");
  *c.mutable_start_time() = In(absl::Hours(1));
  *c.mutable_end_time() = In(absl::Hours(24 * 30));
  c.set_spoke("spokes/st-marys");
  auto before = Take();
  v1::CreateCampaignResponse made;
  EXPECT_EQ(stub_->CreateCampaign(Context("wendy").get(), campaign, &made).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::CreateCampaignRequest unknown = campaign;
  unknown.mutable_campaign()->add_objectives("objectives/nope");
  status = stub_->CreateCampaign(Context("alice").get(), unknown, &made);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("objectives/nope"));
  ExpectUnchanged(before, "refused campaigns");
  status = stub_->CreateCampaign(Context("alice").get(), campaign, &made);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(made.campaign().name(), "campaigns/flu-2027");

  // Every role reads.
  v1::GetCampaignRequest get;
  get.set_name("campaigns/flu-2027");
  v1::GetCampaignResponse got;
  EXPECT_TRUE(stub_->GetCampaign(Context("rob").get(), get, &got).ok());
  EXPECT_EQ(got.campaign().audiences(0), "audiences/parents");
  v1::ListAudiencesResponse audiences;
  EXPECT_TRUE(stub_->ListAudiences(Context("wendy").get(), {}, &audiences).ok());
  EXPECT_EQ(audiences.audiences_size(), 1);
}

TEST_F(PlannerGrpcServiceTest, TheReviewFlowWorksOverGrpcWithCodesAndAuditRoles) {
  v1::CreateContentRequest create;
  create.mutable_content()->set_text("Free flu shots Saturday.");
  v1::CreateContentResponse created;
  grpc::Status status = stub_->CreateContent(Context("carl").get(), create, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::SubmitContentRequest submit;
  submit.set_name(created.content().name());
  v1::SubmitContentResponse submitted;
  ASSERT_TRUE(stub_->SubmitContent(Context("carl").get(), submit, &submitted).ok());

  // carl holds a reviewer role too, but wrote it: refused by the core.
  v1::ApproveContentRequest approve;
  approve.set_name(created.content().name());
  approve.set_version(1);
  v1::ApproveContentResponse approved;
  status = stub_->ApproveContent(Context("carl").get(), approve, &approved);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("own work"));

  status = stub_->ApproveContent(Context("rita").get(), approve, &approved);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(approved.content().state(), v1::CONTENT_STATE_APPROVED);

  v1::GetContentRequest missing;
  missing.set_name("contents/nope");
  v1::GetContentResponse got;
  EXPECT_EQ(stub_->GetContent(Context("rob").get(), missing, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  missing.set_name("bad name");
  EXPECT_EQ(stub_->GetContent(Context("rob").get(), missing, &got).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::ListAuditEntriesRequest audit;
  audit.set_resource(created.content().name());
  v1::ListAuditEntriesResponse entries;
  ASSERT_TRUE(stub_->ListAuditEntries(Context("rob").get(), audit, &entries).ok());
  ASSERT_EQ(entries.entries_size(), 3);
  // The role the edge admitted carl under for CreateContent is contributor.
  EXPECT_EQ(entries.entries(0).role(), "contributor");
  EXPECT_EQ(entries.entries(2).actor(), "rita");
  EXPECT_EQ(entries.entries(2).role(), "clinical_reviewer");
}

// A deployment with the sandbox only: the status code and the reason of an
// early SchedulePost refusal reach the client unchanged.
class SandboxOnlyPlannerGrpcServiceTest : public PlannerGrpcServiceTest {
 protected:
  void SetUp() override {
    options_.channels = {};
    PlannerGrpcServiceTest::SetUp();
    auth_.AddSubject("paul", {common::Role::kPublisher});
  }
};

TEST_F(SandboxOnlyPlannerGrpcServiceTest,
       SchedulingOnAnUnconfiguredNetworkIsFailedPreconditionWithTheFix) {
  v1::CreateSpokeRequest spoke;
  spoke.set_spoke_id("st-marys");
  spoke.mutable_spoke()->set_display_name("St Mary's");
  v1::CreateSpokeResponse spoke_created;
  ASSERT_TRUE(stub_->CreateSpoke(Context("alice").get(), spoke, &spoke_created).ok());
  v1::CreateAccountRequest account;
  account.set_parent("spokes/st-marys");
  account.set_account_id("mastodon-main");
  account.mutable_account()->set_network(v1::NETWORK_MASTODON);
  account.mutable_account()->set_handle("@stmarys@mastodon.example");
  account.mutable_account()->set_time_zone("America/Chicago");
  v1::CreateAccountResponse account_created;
  grpc::Status status = stub_->CreateAccount(Context("alice").get(), account, &account_created);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::CreateContentRequest create;
  create.mutable_content()->set_text("Walk-in flu shots weekdays 8-6.");
  auto* variant = create.mutable_content()->add_variants();
  variant->set_network(v1::NETWORK_MASTODON);
  variant->set_text("Walk-in flu shots at St Mary's, weekdays 8-6.");
  v1::CreateContentResponse created;
  ASSERT_TRUE(stub_->CreateContent(Context("wendy").get(), create, &created).ok());
  v1::SubmitContentRequest submit;
  submit.set_name(created.content().name());
  v1::SubmitContentResponse submitted;
  ASSERT_TRUE(stub_->SubmitContent(Context("wendy").get(), submit, &submitted).ok());
  v1::ApproveContentRequest approve;
  approve.set_name(created.content().name());
  approve.set_version(1);
  v1::ApproveContentResponse approved;
  ASSERT_TRUE(stub_->ApproveContent(Context("rita").get(), approve, &approved).ok());

  auto before = Take();
  v1::SchedulePostRequest schedule;
  schedule.set_content(created.content().name());
  schedule.set_account(account_created.account().name());
  *schedule.mutable_publish_time() = In(absl::Hours(1));
  v1::SchedulePostResponse scheduled;
  status = stub_->SchedulePost(Context("paul").get(), schedule, &scheduled);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(),
            "no channel adapter is configured for network mastodon (set "
            "CARECAST_CHANNEL_MASTODON_BASE_URL)");
  ExpectUnchanged(before, "a refused SchedulePost over gRPC");
}

TEST_F(PlannerGrpcServiceTest, AStrategistSetsAReviewPolicyThatAWriterMayOnlyRead) {
  MakeSpoke();
  v1::SetReviewPolicyRequest set;
  set.mutable_policy()->set_name("spokes/st-marys/reviewPolicy");
  v1::ReviewStage* stage = set.mutable_policy()->add_stages();
  stage->set_id("clinical");
  stage->set_role("clinical_reviewer");
  stage->set_rule(v1::REVIEW_RULE_ANY_ONE);
  v1::SetReviewPolicyResponse response;
  EXPECT_EQ(stub_->SetReviewPolicy(Context("wendy").get(), set, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status status = stub_->SetReviewPolicy(Context("alice").get(), set, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.policy().version(), 1);
  v1::GetReviewPolicyRequest get;
  get.set_name("spokes/st-marys/reviewPolicy");
  v1::GetReviewPolicyResponse got;
  ASSERT_TRUE(stub_->GetReviewPolicy(Context("wendy").get(), get, &got).ok());
  EXPECT_EQ(got.policy().stages(0).id(), "clinical");
  // A bad policy crosses the edge as INVALID_ARGUMENT with its reason.
  set.set_expected_version(1);
  set.mutable_policy()->mutable_stages(0)->set_role("publisher");
  status = stub_->SetReviewPolicy(Context("alice").get(), set, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("clinical_reviewer or compliance_reviewer"));
}

}  // namespace
}  // namespace carecast::planner
