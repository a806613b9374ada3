#include "services/common/rpc/grpc_server.h"

#include <future>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "carecast/v1/planner_service.grpc.pb.h"

#include "tests/support/grpc_probe.h"

namespace carecast::common {
namespace {

using testing::CheckHealth;
using testing::HealthState;
using testing::ListReflectedServices;

constexpr char kPlanner[] = "carecast.v1.PlannerService";

// GetPublishingState blocks until released, to hold a call in flight.
class SlowPlanner final : public v1::PlannerService::Service {
 public:
  grpc::Status GetPublishingState(grpc::ServerContext*, const v1::GetPublishingStateRequest*,
                                  v1::GetPublishingStateResponse*) override {
    entered_.set_value();
    release_.get_future().wait();
    return grpc::Status::OK;
  }
  std::promise<void> entered_;
  std::promise<void> release_;
};

std::unique_ptr<GrpcServer> StartServer(grpc::Service* service) {
  GrpcServerOptions options;
  options.address = "127.0.0.1";
  auto server = GrpcServer::Start(options, {service});
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(server).value() : nullptr;
}

std::shared_ptr<grpc::Channel> TcpChannel(int port) {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                             grpc::InsecureChannelCredentials());
}

TEST(GrpcServerTest, PicksAPortAndKnowsItsServices) {
  SlowPlanner planner;
  auto server = StartServer(&planner);
  ASSERT_NE(server, nullptr);
  EXPECT_GT(server->port(), 0);
  EXPECT_EQ(server->service_names(), std::vector<std::string>{kPlanner});
}

TEST(GrpcServerTest, HealthFollowsSetServing) {
  SlowPlanner planner;
  auto server = StartServer(&planner);
  ASSERT_NE(server, nullptr);
  auto channel = TcpChannel(server->port());
  EXPECT_EQ(CheckHealth(channel, "").value(), HealthState::kServing);
  EXPECT_EQ(CheckHealth(channel, kPlanner).value(), HealthState::kServing);
  EXPECT_EQ(CheckHealth(channel, "carecast.v1.Nope").status().code(), absl::StatusCode::kNotFound);
  server->SetServing(false);
  EXPECT_EQ(CheckHealth(channel, "").value(), HealthState::kNotServing);
  EXPECT_EQ(CheckHealth(channel, kPlanner).value(), HealthState::kNotServing);
  server->SetServing(true);
  EXPECT_EQ(CheckHealth(channel, kPlanner).value(), HealthState::kServing);
}

TEST(GrpcServerTest, ReflectionListsTheService) {
  SlowPlanner planner;
  auto server = StartServer(&planner);
  ASSERT_NE(server, nullptr);
  absl::StatusOr<std::vector<std::string>> services =
      ListReflectedServices(server->InProcessChannel());
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_NE(std::find(services->begin(), services->end(), kPlanner), services->end());
}

TEST(GrpcServerTest, PortInUseIsUnavailable) {
  SlowPlanner a;
  auto first = StartServer(&a);
  ASSERT_NE(first, nullptr);
  SlowPlanner b;
  GrpcServerOptions options;
  options.address = "127.0.0.1";
  options.port = first->port();
  auto second = GrpcServer::Start(options, {&b});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(GrpcServerTest, ShutdownLetsCallsInFlightFinishAndTurnsHealthOff) {
  SlowPlanner planner;
  auto server = StartServer(&planner);
  ASSERT_NE(server, nullptr);
  auto channel = TcpChannel(server->port());
  auto stub = v1::PlannerService::NewStub(channel);

  std::promise<grpc::Status> result;
  std::thread client([&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::GetPublishingStateRequest request;
    v1::GetPublishingStateResponse response;
    result.set_value(stub->GetPublishingState(&context, request, &response));
  });
  planner.entered_.get_future().wait();

  std::thread stopper([&] { server->Shutdown(absl::Seconds(20)); });
  // Once shutdown has begun, health answers NOT_SERVING (or the server stops
  // answering new calls); poll for it rather than sleeping.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool not_serving = false;
  while (absl::Now() < deadline && !not_serving) {
    absl::StatusOr<HealthState> state = CheckHealth(channel, kPlanner, absl::Seconds(1));
    not_serving = !state.ok() || *state == HealthState::kNotServing;
  }
  EXPECT_TRUE(not_serving);
  planner.release_.set_value();
  stopper.join();
  client.join();
  grpc::Status status = result.get_future().get();
  EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  // SetServing after shutdown is ignored, not a crash.
  server->SetServing(true);
}

TEST(GrpcServerTest, ShutdownCancelsCallsThatOutlastTheGrace) {
  SlowPlanner planner;
  auto server = StartServer(&planner);
  ASSERT_NE(server, nullptr);
  auto stub = v1::PlannerService::NewStub(TcpChannel(server->port()));
  std::promise<grpc::Status> result;
  std::thread client([&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::GetPublishingStateRequest request;
    v1::GetPublishingStateResponse response;
    result.set_value(stub->GetPublishingState(&context, request, &response));
  });
  planner.entered_.get_future().wait();
  const absl::Time start = absl::Now();
  std::future<grpc::Status> status = result.get_future();
  std::thread stopper([&] { server->Shutdown(absl::Milliseconds(100)); });
  // The client sees its call cancelled once the grace has run out, while the
  // handler is still blocked.
  EXPECT_EQ(status.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_NE(status.get().error_code(), grpc::StatusCode::OK);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  planner.release_.set_value();  // Wait() returns once the handler does
  stopper.join();
  client.join();
}

}  // namespace
}  // namespace carecast::common
