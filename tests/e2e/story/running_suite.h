// The whole CareCast suite as separate processes on real servers: nats-server,
// redis-server, planner, two publishers, listener and metrics, on free loopback
// ports, with a JWT key made for the test. For end-to-end tests.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include <grpcpp/grpcpp.h>

#include "tests/support/child_process.h"
#include "tests/support/local_servers.h"

namespace carecast::testing {

struct SuiteService {
  std::string name;  // "planner", "publisher-1", ...
  int grpc_port = 0;
  int http_port = 0;
  std::unique_ptr<ChildProcess> process;
  std::shared_ptr<grpc::Channel> channel;
};

class RunningSuite {
 public:
  // Extra environment per service name ("planner", "publisher-1", "listener", ...),
  // over the suite's defaults.
  using ServiceEnv = std::map<std::string, std::map<std::string, std::string>>;
  // NOT_FOUND when nats-server/redis-server or a service binary is missing.
  static absl::StatusOr<std::unique_ptr<RunningSuite>> Start(const ServiceEnv& overrides = {});

  SuiteService& service(const std::string& name);
  std::vector<SuiteService*> services();
  const std::string& sandbox_dir() const { return sandbox_dir_; }
  const std::string& work_dir() const { return work_dir_; }
  LocalNatsServer& nats() { return *nats_; }
  LocalRedisServer& redis() { return *redis_; }
  // The last lines of every service log, for failure messages.
  std::string LogTails() const;

 private:
  std::unique_ptr<LocalNatsServer> nats_;
  std::unique_ptr<LocalRedisServer> redis_;
  std::vector<SuiteService> services_;
  std::string work_dir_;
  std::string sandbox_dir_;
};

// A client context with a deadline and "authorization: Bearer <token>".
std::unique_ptr<grpc::ClientContext> AuthedContext(const std::string& token);

}  // namespace carecast::testing
