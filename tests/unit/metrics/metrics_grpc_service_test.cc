#include "services/metrics/metrics_grpc_service.h"

#include <set>

#include <google/protobuf/descriptor.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/rpc/grpc_server.h"
#include "services/common/rpc/rpc_metrics.h"
#include "services/metrics/metrics_roles.h"
#include "tests/support/fake_authenticator.h"
#include "tests/unit/metrics/metrics_test_events.h"

namespace carecast::metrics {
namespace {

using common::Role;
using test_events::Objective;
using test_events::T0;

TEST(MetricsRolesTest, TableCoversEveryMethod) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          v1::MetricsService::service_full_name());
  ASSERT_NE(service, nullptr);
  std::set<std::string> methods;
  for (int i = 0; i < service->method_count(); ++i)
    methods.insert("/" + service->full_name() + "/" + service->method(i)->name());
  std::vector<std::string> table = MetricsRoleTable().Methods();
  EXPECT_EQ(std::set<std::string>(table.begin(), table.end()), methods);
}

TEST(MetricsRolesTest, EveryStaffRoleMayRead) {
  common::RoleTable table = MetricsRoleTable();
  for (Role role : {Role::kContributor, Role::kContentDeveloper, Role::kClinicalReviewer,
                    Role::kComplianceReviewer, Role::kPublisher, Role::kResponder,
                    Role::kStrategist, Role::kAdmin}) {
    common::Principal p{.subject = "u", .roles = {role}};
    EXPECT_TRUE(table.Authorize(p, kGetObjectiveProgressMethod).ok());
    EXPECT_TRUE(table.Authorize(p, kGetProgramSummaryMethod).ok());
  }
  common::Principal nobody{.subject = "u", .roles = {}};
  EXPECT_EQ(table.Authorize(nobody, kGetProgramSummaryMethod).status().code(),
            absl::StatusCode::kPermissionDenied);
}

class MetricsGrpcServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auth_.AddSubject("strategist", {Role::kStrategist});
    auth_.AddSubject("roleless", {});
    ASSERT_TRUE(figures_
                    .ApplyObjectiveCreated("o1", T0(),
                                           Objective("objectives/posts", v1::KPI_POSTS_PUBLISHED, 3,
                                                     T0(), T0() + absl::Hours(1)))
                    .ok());
    common::GrpcServerOptions options;
    options.address = "127.0.0.1";
    auto server = common::GrpcServer::Start(options, {&grpc_service_});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::MetricsService::NewStub(server_->InProcessChannel());
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }
  std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }
  grpc::StatusCode Progress(const std::string& token, const std::string& name,
                            v1::GetObjectiveProgressResponse* out) {
    v1::GetObjectiveProgressRequest req;
    req.set_name(name);
    return stub_->GetObjectiveProgress(Context(token).get(), req, out).error_code();
  }

  testing::FakeAuthenticator auth_;
  common::RoleTable roles_ = MetricsRoleTable();
  prometheus::Registry registry_;
  common::RpcMetrics rpc_metrics_{registry_};
  common::CapturingLogger logger_;
  common::RpcEdge edge_{auth_, roles_, rpc_metrics_, logger_};
  common::FakeClock clock_{T0()};
  ProgramFigures figures_;
  MetricsService service_{figures_, clock_};
  MetricsGrpcService grpc_service_{service_, edge_};
  std::unique_ptr<common::GrpcServer> server_;
  std::unique_ptr<v1::MetricsService::Stub> stub_;
};

TEST_F(MetricsGrpcServiceTest, AnswersObjectiveProgress) {
  v1::GetObjectiveProgressResponse out;
  ASSERT_EQ(Progress("strategist", "objectives/posts", &out), grpc::StatusCode::OK);
  EXPECT_EQ(out.progress().objective(), "objectives/posts");
  EXPECT_DOUBLE_EQ(out.progress().target(), 3);
  EXPECT_DOUBLE_EQ(out.progress().current(), 0);
}

TEST_F(MetricsGrpcServiceTest, BadNamesAndUnknownObjectives) {
  v1::GetObjectiveProgressResponse out;
  EXPECT_EQ(Progress("strategist", "", &out), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Progress("strategist", "objectives/Bad_Id", &out), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Progress("strategist", "contents/abc", &out), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Progress("strategist", "objectives/missing", &out), grpc::StatusCode::NOT_FOUND);
}

TEST_F(MetricsGrpcServiceTest, RefusesCallersWithoutTokenOrRole) {
  v1::GetObjectiveProgressResponse out;
  EXPECT_EQ(Progress("", "objectives/posts", &out), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Progress("forged", "objectives/posts", &out), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Progress("roleless", "objectives/posts", &out), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(MetricsGrpcServiceTest, AnswersProgramSummary) {
  v1::GetProgramSummaryResponse out;
  grpc::Status status =
      stub_->GetProgramSummary(Context("strategist").get(), v1::GetProgramSummaryRequest(), &out);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(out.objectives_size(), 1);
  EXPECT_EQ(out.objectives(0).objective(), "objectives/posts");
}

}  // namespace
}  // namespace carecast::metrics
