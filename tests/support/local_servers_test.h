// A test fixture with a real nats-server and redis-server on free loopback ports
// (tests/support/local_servers.h). The test fails when either binary is not
// installed (scripts/install-deps.sh installs both): it never skips. Subclasses
// that add to SetUp() call LocalServersTest::SetUp() first and return when
// HasFatalFailure().
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/child_process.h"
#include "tests/support/local_nats_cluster.h"
#include "tests/support/local_servers.h"

namespace carecast::testing {

class LocalServersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (NatsNodes() > 1) {
      auto cluster = LocalNatsCluster::Start(NatsNodes());
      if (cluster.status().code() == absl::StatusCode::kNotFound)
        GTEST_FAIL() << "nats-server is not installed (scripts/install-deps.sh installs it)";
      ASSERT_TRUE(cluster.ok()) << cluster.status();
      nats_cluster_ = *std::move(cluster);
    }
    auto nats = NatsNodes() > 1 ? absl::StatusOr<std::unique_ptr<LocalNatsServer>>(nullptr)
                                : LocalNatsServer::Start();
    auto redis = LocalRedisServer::Start(RedisArgs());
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

  // How many nats-server nodes the test runs on: 1 (one server, R1 streams)
  // or 3 (a JetStream cluster, R3 streams and buckets; nats_cluster_).
  virtual int NatsNodes() const { return 1; }
  // Arguments redis-server gets after the usual ones (none by default).
  virtual std::vector<std::string> RedisArgs() const { return {}; }
  // The URL(s) clients connect to: one server's, or every node's, comma-separated.
  std::string nats_url() const {
    return nats_cluster_ ? nats_cluster_->url() : nats_server_->url();
  }
  // Replicas of the streams and buckets: the number of nodes.
  int stream_replicas() const { return nats_cluster_ ? nats_cluster_->size() : 1; }
  // Where the test keeps its files and the services' logs.
  std::string work_dir() const {
    return nats_cluster_ ? nats_cluster_->node(0).dir() : nats_server_->dir();
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

  std::unique_ptr<LocalNatsServer> nats_server_;    // null on a cluster
  std::unique_ptr<LocalNatsCluster> nats_cluster_;  // null on one server
  std::unique_ptr<LocalRedisServer> redis_server_;
};

}  // namespace carecast::testing
