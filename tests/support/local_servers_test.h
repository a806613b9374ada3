// A test fixture with a real nats-server and redis-server on free loopback ports
// (tests/support/local_servers.h). The test fails when either binary is not
// installed (scripts/install-deps.sh installs both): it never skips. Subclasses
// that add to SetUp() call LocalServersTest::SetUp() first and return when
// HasFatalFailure().
#pragma once

#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/child_process.h"
#include "tests/support/local_servers.h"

namespace carecast::testing {

class LocalServersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto nats = LocalNatsServer::Start();
    auto redis = LocalRedisServer::Start();
    if (nats.status().code() == absl::StatusCode::kNotFound ||
        redis.status().code() == absl::StatusCode::kNotFound) {
      GTEST_FAIL() << "nats-server or redis-server is not installed (scripts/install-deps.sh "
                      "installs them); these tests need the real servers";
    }
    ASSERT_TRUE(nats.ok()) << nats.status();
    ASSERT_TRUE(redis.ok()) << redis.status();
    nats_server_ = *std::move(nats);
    redis_server_ = *std::move(redis);
  }

  // A service binary running against these servers.
  struct ServiceProcess {
    std::unique_ptr<ChildProcess> process;
    int grpc_port = 0;
    int http_port = 0;
  };

  // Starts `relative_path` (under $CARECAST_BINARY_DIR) on loopback with free
  // gRPC and HTTP ports, these servers, the test JWT key and `extra_env`, its
  // log in the NATS server's directory, and waits until /readyz answers 200.
  absl::StatusOr<ServiceProcess> StartServiceBinary(
      const std::string& relative_path, const std::map<std::string, std::string>& extra_env = {},
      absl::Duration timeout = absl::Seconds(20));

  std::unique_ptr<LocalNatsServer> nats_server_;
  std::unique_ptr<LocalRedisServer> redis_server_;
};

}  // namespace carecast::testing
