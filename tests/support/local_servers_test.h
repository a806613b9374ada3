// A test fixture with a real nats-server and redis-server on free loopback ports
// (tests/support/local_servers.h). The test is skipped when either binary is not
// installed. Subclasses that add to SetUp() call LocalServersTest::SetUp() first
// and return when IsSkipped() or HasFatalFailure().
#pragma once

#include <memory>

#include <gtest/gtest.h>

#include "tests/support/local_servers.h"

namespace carecast::testing {

class LocalServersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto nats = LocalNatsServer::Start();
    auto redis = LocalRedisServer::Start();
    if (nats.status().code() == absl::StatusCode::kNotFound ||
        redis.status().code() == absl::StatusCode::kNotFound) {
      GTEST_SKIP() << "nats-server or redis-server is not installed";
    }
    ASSERT_TRUE(nats.ok()) << nats.status();
    ASSERT_TRUE(redis.ok()) << redis.status();
    nats_server_ = *std::move(nats);
    redis_server_ = *std::move(redis);
  }

  std::unique_ptr<LocalNatsServer> nats_server_;
  std::unique_ptr<LocalRedisServer> redis_server_;
};

}  // namespace carecast::testing
