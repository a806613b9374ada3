// RpcEdge through a real in-process gRPC server: a stub PlannerService whose
// GetPublishingState goes through the edge.
#include "services/common/rpc/rpc_edge.h"

#include <atomic>
#include <future>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include "carecast/v1/planner_service.grpc.pb.h"

#include "services/common/base/clock.h"
#include "services/common/rpc/grpc_server.h"
#include "services/common/rpc/jwt_authenticator.h"
#include "tests/support/fake_authenticator.h"
#include "tests/support/test_tokens.h"

namespace carecast::common {
namespace {

constexpr char kMethod[] = "/carecast.v1.PlannerService/GetPublishingState";

class StubPlanner final : public v1::PlannerService::Service {
 public:
  explicit StubPlanner(RpcEdge& edge) : edge_(edge) {}

  grpc::Status GetPublishingState(grpc::ServerContext* context,
                                  const v1::GetPublishingStateRequest*,
                                  v1::GetPublishingStateResponse*) override {
    return edge_.Unary(context, kMethod, [&](const Caller& caller) {
      calls_.fetch_add(1);
      last_role_.store(static_cast<int>(caller.role));
      return result_;
    });
  }

  int calls() const { return calls_.load(); }
  Role last_role() const { return static_cast<Role>(last_role_.load()); }
  void set_result(absl::Status s) { result_ = std::move(s); }

 private:
  RpcEdge& edge_;
  std::atomic<int> calls_{0};
  std::atomic<int> last_role_{-1};
  absl::Status result_;
};

// Lets a test hold admission until it says so.
class GatedAuthenticator final : public Authenticator {
 public:
  explicit GatedAuthenticator(const Authenticator& inner) : inner_(inner) {}
  absl::StatusOr<Principal> Authenticate(std::string_view token) const override {
    entered_.set_value();
    gate_.get_future().wait();
    return inner_.Authenticate(token);
  }
  void WaitEntered() { entered_future_.wait(); }
  void Open() { gate_.set_value(); }

 private:
  const Authenticator& inner_;
  mutable std::promise<void> entered_;
  std::future<void> entered_future_ = entered_.get_future();
  mutable std::promise<void> gate_;
};

class RpcEdgeTest : public ::testing::Test {
 protected:
  RpcEdgeTest() {
    auth_.AddSubject("strategist-token", {Role::kStrategist});
    auth_.AddSubject("contributor-token", {Role::kContributor});
  }

  void StartWith(const Authenticator& authenticator) {
    edge_ = std::make_unique<RpcEdge>(authenticator, roles_, metrics_, logger_);
    planner_ = std::make_unique<StubPlanner>(*edge_);
    GrpcServerOptions options;
    options.address = "127.0.0.1";
    auto server = GrpcServer::Start(options, {planner_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
    stub_ = v1::PlannerService::NewStub(server_->InProcessChannel());
  }

  grpc::Status Call(const std::string& authorization) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!authorization.empty()) context.AddMetadata("authorization", authorization);
    v1::GetPublishingStateRequest request;
    v1::GetPublishingStateResponse response;
    return stub_->GetPublishingState(&context, request, &response);
  }

  std::string Scrape() { return prometheus::TextSerializer().Serialize(registry_.Collect()); }

  std::string HandledSeries(const std::string& code) {
    return "grpc_server_handled_total{grpc_code=\"" + code +
           "\",grpc_method=\"GetPublishingState\",grpc_service=\"carecast.v1.PlannerService\","
           "grpc_type=\"unary\"} ";
  }

  testing::FakeAuthenticator auth_;
  RoleTable roles_{{{kMethod, {Role::kStrategist, Role::kAdmin}}}};
  prometheus::Registry registry_;
  RpcMetrics metrics_{registry_};
  CapturingLogger logger_;
  std::unique_ptr<RpcEdge> edge_;
  std::unique_ptr<StubPlanner> planner_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::PlannerService::Stub> stub_;
};

TEST_F(RpcEdgeTest, NoTokenIsUnauthenticated) {
  StartWith(auth_);
  grpc::Status status = Call("");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(status.error_message(), "missing bearer token");
  EXPECT_EQ(Call("Basic dXNlcjpwdw==").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Call("Bearer ").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Call("Bearer not-a-known-token").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(planner_->calls(), 0);
}

TEST_F(RpcEdgeTest, WrongRoleIsPermissionDeniedAndCounted) {
  StartWith(auth_);
  EXPECT_EQ(Call("Bearer contributor-token").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Call("Bearer contributor-token").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(planner_->calls(), 0);
  const std::string text = Scrape();
  EXPECT_NE(text.find(HandledSeries("PermissionDenied") + "2"), std::string::npos) << text;
}

TEST_F(RpcEdgeTest, AllowedRoleRunsTheHandler) {
  StartWith(auth_);
  grpc::Status status = Call("bearer strategist-token");  // scheme is case-insensitive
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(planner_->calls(), 1);
  EXPECT_EQ(planner_->last_role(), Role::kStrategist);
  const std::string text = Scrape();
  EXPECT_NE(text.find(HandledSeries("OK") + "1"), std::string::npos) << text;
  EXPECT_NE(text.find("grpc_server_handling_seconds_count{grpc_method=\"GetPublishingState\""),
            std::string::npos);
}

TEST_F(RpcEdgeTest, HandlerStatusIsConvertedWithItsMessage) {
  StartWith(auth_);
  planner_->set_result(absl::FailedPreconditionError("publishing is on hold"));
  grpc::Status status = Call("Bearer strategist-token");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "publishing is on hold");
  EXPECT_NE(Scrape().find(HandledSeries("FailedPrecondition") + "1"), std::string::npos);
}

TEST_F(RpcEdgeTest, LogsOneLinePerCallWithSubjectButNeverTheToken) {
  StartWith(auth_);
  ASSERT_TRUE(Call("Bearer strategist-token").ok());
  EXPECT_FALSE(Call("Bearer contributor-token").ok());
  std::vector<CapturingLogger::Line> lines = logger_.lines();
  ASSERT_EQ(lines.size(), 2u);
  auto field = [](const CapturingLogger::Line& line, const std::string& key) -> LogValue {
    for (const auto& [k, v] : line.fields) {
      if (k == key) return v;
    }
    return std::string("<absent>");
  };
  EXPECT_EQ(lines[0].message, "rpc");
  EXPECT_EQ(std::get<std::string>(field(lines[0], "method")), kMethod);
  EXPECT_EQ(std::get<std::string>(field(lines[0], "code")), "OK");
  EXPECT_EQ(std::get<std::string>(field(lines[0], "subject")), "strategist-token");
  EXPECT_GE(std::get<double>(field(lines[0], "duration_ms")), 0.0);
  EXPECT_EQ(std::get<std::string>(field(lines[1], "code")), "PermissionDenied");
  // The refused caller is named too.
  EXPECT_EQ(std::get<std::string>(field(lines[1], "subject")), "contributor-token");
}

TEST_F(RpcEdgeTest, RealJwtsThroughTheEdge) {
  SystemClock clock;
  auto jwt =
      JwtAuthenticator::FromPem(testing::TestTokens::Get().public_key_pem(), JwtOptions{}, clock);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  StartWith(**jwt);
  const auto& tokens = testing::TestTokens::Get();
  grpc::Status ok = Call(tokens.BearerHeader("staff-7", {Role::kAdmin}));
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(planner_->last_role(), Role::kAdmin);
  EXPECT_EQ(Call(tokens.BearerHeader("staff-8", {Role::kResponder})).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const std::string token = tokens.Mint("staff-7", {Role::kAdmin});
  EXPECT_EQ(Call("Bearer " + token.substr(0, token.size() - 4) + "AAAA").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  for (const auto& line : logger_.lines()) {
    for (const auto& [k, v] : line.fields) {
      if (const auto* s = std::get_if<std::string>(&v)) {
        EXPECT_EQ(s->find("eyJ"), std::string::npos) << k << " carries a token";
      }
    }
  }
}

// The client gives up while admission is still running: the handler must not run.
TEST_F(RpcEdgeTest, ExpiredDeadlineIsRefusedBeforeTheHandler) {
  GatedAuthenticator gated(auth_);
  StartWith(gated);
  std::thread client([&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    context.AddMetadata("authorization", "Bearer strategist-token");
    v1::GetPublishingStateRequest request;
    v1::GetPublishingStateResponse response;
    EXPECT_EQ(stub_->GetPublishingState(&context, request, &response).error_code(),
              grpc::StatusCode::DEADLINE_EXCEEDED);
  });
  gated.WaitEntered();
  client.join();  // returns once the client's deadline has passed
  gated.Open();
  // The server finishes the call after the client left; wait for its log line.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (logger_.lines().empty() && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(logger_.lines().size(), 1u);
  EXPECT_EQ(planner_->calls(), 0);
  const std::string code = std::get<std::string>(logger_.lines()[0].fields[1].second);
  EXPECT_TRUE(code == "DeadlineExceeded" || code == "Canceled") << code;
}

TEST(ToGrpcStatusTest, KeepsCodeAndMessage) {
  grpc::Status s = ToGrpcStatus(absl::NotFoundError("no content abc"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "no content abc");
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_EQ(ToGrpcStatus(absl::AbortedError("x")).error_code(), grpc::StatusCode::ABORTED);
}

}  // namespace
}  // namespace carecast::common
