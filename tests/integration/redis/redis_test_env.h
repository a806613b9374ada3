// A redis-server per test plus a connected RedisClient; skips when redis-server
// is not installed.
#pragma once

#include <memory>

#include <gtest/gtest.h>

#include "services/common/base/logger.h"
#include "services/common/redis/redis_client.h"
#include "tests/support/local_servers.h"

namespace carecast::testing {

class RedisEnv {
 public:
  // False (after a failure, or when skipped()) when the test cannot go on.
  bool Start(common::Logger& logger) {
    auto server = LocalRedisServer::Start();
    if (server.status().code() == absl::StatusCode::kNotFound) {
      skipped_ = true;
      return false;
    }
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return false;
    server_ = std::move(*server);
    auto client = Connect(logger);
    if (!client) return false;
    client_ = std::move(client);
    return true;
  }
  std::unique_ptr<common::RedisClient> Connect(common::Logger& logger,
                                               const std::string& suffix = "") {
    auto client = common::RedisClient::Connect(
        {.url = server_->url() + suffix, .timeout = absl::Seconds(2)}, logger);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }
  bool skipped() const { return skipped_; }
  LocalRedisServer& server() { return *server_; }
  common::RedisClient& client() { return *client_; }

 private:
  bool skipped_ = false;
  std::unique_ptr<LocalRedisServer> server_;
  std::unique_ptr<common::RedisClient> client_;
};

}  // namespace carecast::testing
