#include "services/common/rpc/http_server.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>

#include <gtest/gtest.h>
#include <prometheus/counter.h>

#include "services/common/rpc/rpc_metrics.h"
#include "tests/support/http_probe.h"

namespace carecast::common {
namespace {

using testing::HttpCall;

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options = {}) {
    options.address = "127.0.0.1";
    server_ = std::make_unique<HttpServer>(options, registry_);
    server_->AddPostRoute("/webhooks/test", [this](const HttpRequest& request) {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
      return HttpResponse{202, "application/json", "{\"accepted\":true}"};
    });
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
  }

  prometheus::Registry registry_;
  std::unique_ptr<HttpServer> server_;
  std::mutex mu_;
  std::vector<HttpRequest> requests_;
};

TEST_F(HttpServerTest, MetricsServeTheRegistryInTextFormat) {
  prometheus::BuildCounter()
      .Name("carecast_test_things_total")
      .Help("Things.")
      .Register(registry_)
      .Add({{"kind", "a"}})
      .Increment(3);
  Start();
  auto response = HttpCall(server_->port(), "GET", "/metrics");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->content_type, "text/plain; version=0.0.4");
  EXPECT_NE(response->body.find("# TYPE carecast_test_things_total counter"), std::string::npos);
  EXPECT_NE(response->body.find("carecast_test_things_total{kind=\"a\"} 3"), std::string::npos)
      << response->body;
}

TEST_F(HttpServerTest, HealthzAndReadyzFlip) {
  Start();
  EXPECT_EQ(HttpCall(server_->port(), "GET", "/healthz")->status, 200);
  auto ready = HttpCall(server_->port(), "GET", "/readyz");
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(ready->body, "{\"ready\":false}");
  server_->SetReady(true);
  EXPECT_EQ(HttpCall(server_->port(), "GET", "/readyz")->status, 200);
  server_->SetReady(false);
  EXPECT_EQ(HttpCall(server_->port(), "GET", "/readyz")->status, 503);
}

TEST_F(HttpServerTest, PostRouteGetsBodyAndHeaders) {
  Start();
  auto response = HttpCall(server_->port(), "POST", "/webhooks/test", "{\"x\":1}",
                           {{"Content-Type", "application/json"}, {"Authorization", "Bearer abc"}});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 202);
  EXPECT_EQ(response->body, "{\"accepted\":true}");
  EXPECT_EQ(response->content_type, "application/json");
  std::lock_guard lock(mu_);
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_EQ(requests_[0].method, "POST");
  EXPECT_EQ(requests_[0].path, "/webhooks/test");
  EXPECT_EQ(requests_[0].body, "{\"x\":1}");
  EXPECT_EQ(requests_[0].content_type, "application/json");
  EXPECT_EQ(requests_[0].authorization, "Bearer abc");
}

TEST_F(HttpServerTest, BigBodyIs413BeforeTheHandler) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  Start(options);
  auto response = HttpCall(server_->port(), "POST", "/webhooks/test", std::string(64 * 1024, 'x'));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->content_type, "application/json");
  EXPECT_EQ(response->body, "{\"error\":\"request body larger than 1024 bytes\"}");
  std::lock_guard lock(mu_);
  EXPECT_TRUE(requests_.empty());
}

TEST_F(HttpServerTest, UnknownPathIs404Json) {
  Start();
  for (const char* path : {"/nope", "/webhooks/test/extra", "/webhooksXtest", "/metricsz"}) {
    auto response = HttpCall(server_->port(), "GET", path);
    ASSERT_TRUE(response.ok());
    EXPECT_EQ(response->status, 404) << path;
    EXPECT_EQ(response->body, "{\"error\":\"not found\"}") << path;
  }
  // A route is exact: a regex-looking near miss does not match.
  EXPECT_EQ(HttpCall(server_->port(), "POST", "/webhooks.test", "{}")->status, 404);
  std::lock_guard lock(mu_);
  EXPECT_TRUE(requests_.empty());
}

TEST_F(HttpServerTest, StopClosesThePortAndIsIdempotent) {
  Start();
  const int port = server_->port();
  server_->Stop();
  EXPECT_FALSE(HttpCall(port, "GET", "/healthz", "", {}, absl::Seconds(1)).ok());
  server_->Stop();
}

TEST_F(HttpServerTest, PortInUseIsUnavailable) {
  Start();
  HttpServerOptions options;
  options.address = "127.0.0.1";
  options.port = server_->port();
  HttpServer second(options, registry_);
  EXPECT_EQ(second.Start().code(), absl::StatusCode::kUnavailable);
}

// promtool (Debian's prometheus package) checks the exposition format and
// naming conventions of what /metrics serves.
TEST_F(HttpServerTest, PromtoolAcceptsTheMetricsOutput) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_FAIL() << "promtool not on PATH (Debian package prometheus; scripts/install-deps.sh)";
  }
  RpcMetrics metrics(registry_);
  metrics.Started("/carecast.v1.PlannerService/CreateContent", "unary");
  metrics.Handled("/carecast.v1.PlannerService/CreateContent", "unary",
                  absl::StatusCode::kPermissionDenied, absl::Milliseconds(4));
  Start();
  auto response = HttpCall(server_->port(), "GET", "/metrics");
  ASSERT_TRUE(response.ok());
  char path[] = "/tmp/carecast-metrics-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << response->body;
  const std::string command =
      std::string("promtool check metrics < ") + path + " > " + path + ".out 2>&1";
  const int rc = std::system(command.c_str());
  std::ifstream out(std::string(path) + ".out");
  std::string report((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << report << "\n--- metrics ---\n" << response->body;
  std::remove(path);
  std::remove((std::string(path) + ".out").c_str());
}

}  // namespace
}  // namespace carecast::common
