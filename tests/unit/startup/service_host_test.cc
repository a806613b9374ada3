// The service host without servers behind it: the exit-code table at start
// (configuration before dependencies), and the shutdown order on a signal.
#include "services/common/startup/service_host.h"

#include <csignal>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "services/common/base/env_config.h"
#include "services/common/startup/exit_code.h"
#include "tests/support/test_tokens.h"

namespace carecast::common {
namespace {

CommonConfig Config(std::string jwt_public_key_file) {
  CommonConfig config;
  config.service_name = "host-test";
  config.bind_address = "127.0.0.1";
  // Nothing listens on port 1: a connection is refused at once.
  config.nats_url = "nats://127.0.0.1:1";
  config.redis_url = "redis://127.0.0.1:1";
  config.jwt_public_key_file = std::move(jwt_public_key_file);
  config.shutdown_grace = absl::Seconds(1);
  config.log_level = LogLevel::kError;
  return config;
}

TEST(ExitCodeTest, TheTableIsStable) {
  EXPECT_EQ(ExitStatus(ExitCode::kOk), 0);
  EXPECT_EQ(ExitStatus(ExitCode::kDependency), 1);
  EXPECT_EQ(ExitStatus(ExitCode::kConfig), 2);
}

TEST(ServiceHostTest, RefusedConfigurationExitsWithTheConfigCode) {
  EXPECT_EQ(ServiceHost::RefuseConfiguration("host-test", absl::InvalidArgumentError("bad")), 2);
}

TEST(ServiceHostTest, AnUnreadableKeyIsAConfigFailureBeforeAnyConnection) {
  ServiceHost host(Config("/nonexistent/jwt-public.pem"));
  EXPECT_EQ(host.Connect(), ExitStatus(ExitCode::kConfig));
}

TEST(ServiceHostTest, AnUnreachableNatsIsADependencyFailure) {
  ServiceHost host(Config(testing::TestTokens::Get().public_key_file()), {.redis = false});
  EXPECT_EQ(host.Connect(), ExitStatus(ExitCode::kDependency));
}

TEST(ServiceHostTest, ASignalStopsTheCoreThenTheServersAndReadinessStaysOff) {
  ServiceHost host(Config(testing::TestTokens::Get().public_key_file()), {.redis = false});
  std::vector<std::string> steps;
  // The signal is blocked in this thread (the host's constructor did it), so it
  // waits, pending, for Serve to take it.
  ASSERT_EQ(raise(SIGTERM), 0);
  int exit_status = host.Serve({.started_message = "host-test started",
                                .stop =
                                    [&] {
                                      steps.push_back("stop");
                                      // Too late: shutdown has begun.
                                      host.SetReady(true);
                                    },
                                .ready_at_start = false});
  EXPECT_EQ(exit_status, 0);
  EXPECT_EQ(steps, std::vector<std::string>{"stop"});
}

}  // namespace
}  // namespace carecast::common
