#include "services/common/base/env_config.h"

#include <cstdlib>

#include <gtest/gtest.h>

namespace carecast::common {
namespace {

using Vars = std::map<std::string, std::string, std::less<>>;

MapEnv Valid() {
  return MapEnv(Vars{{"CARECAST_NATS_URL", "nats://127.0.0.1:4222"},
                     {"CARECAST_REDIS_URL", "redis://127.0.0.1:6379"},
                     {"CARECAST_JWT_PUBLIC_KEY_FILE", "/keys/jwt.pem"}});
}

TEST(ConfigReaderTest, ReportsEveryProblemAtOnce) {
  MapEnv env(Vars{{"CARECAST_GRPC_PORT", "abc"}});
  ConfigReader reader(env);
  reader.RequiredString("CARECAST_NATS_URL");
  reader.Port("CARECAST_GRPC_PORT", 50051);
  absl::Status status = reader.Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "CARECAST_NATS_URL: must be set; CARECAST_GRPC_PORT: not a port: 'abc'");
}

TEST(ConfigReaderTest, EmptyCountsAsUnset) {
  MapEnv env(Vars{{"A", ""}, {"B", ""}});
  ConfigReader reader(env);
  EXPECT_EQ(reader.String("A", "dflt"), "dflt");
  EXPECT_EQ(reader.RequiredString("B"), "");
  EXPECT_EQ(reader.Finish().message(), "B: must be set");
}

TEST(ConfigReaderTest, TypedValues) {
  MapEnv env(Vars{{"I", "42"},
                  {"P", "8080"},
                  {"B1", "TRUE"},
                  {"B0", "no"},
                  {"D1", "500ms"},
                  {"D2", "1h30m"},
                  {"L", "Warn"}});
  ConfigReader reader(env);
  EXPECT_EQ(reader.Int("I", 1, 0, 100), 42);
  EXPECT_EQ(reader.Port("P", 1), 8080);
  EXPECT_TRUE(reader.Bool("B1", false));
  EXPECT_FALSE(reader.Bool("B0", true));
  EXPECT_EQ(reader.Duration("D1", absl::Seconds(1)), absl::Milliseconds(500));
  EXPECT_EQ(reader.Duration("D2", absl::Seconds(1)), absl::Minutes(90));
  EXPECT_EQ(reader.Level("L", LogLevel::kInfo), LogLevel::kWarn);
  EXPECT_TRUE(reader.Finish().ok()) << reader.Finish();
}

TEST(ConfigReaderTest, DefaultsWhenUnset) {
  MapEnv env(Vars{});
  ConfigReader reader(env);
  EXPECT_EQ(reader.Int("I", 7, 0, 100), 7);
  EXPECT_EQ(reader.Port("P", 0), 0);
  EXPECT_TRUE(reader.Bool("B", true));
  EXPECT_EQ(reader.Duration("D", absl::Seconds(3)), absl::Seconds(3));
  EXPECT_EQ(reader.Level("L", LogLevel::kError), LogLevel::kError);
  EXPECT_TRUE(reader.Finish().ok());
}

TEST(ConfigReaderTest, BadValuesKeepDefaultsAndAreReported) {
  MapEnv env(Vars{{"I", "12x"},
                  {"R", "101"},
                  {"P1", "65536"},
                  {"P2", "-1"},
                  {"B", "maybe"},
                  {"D1", "5"},
                  {"D2", "-5s"},
                  {"D3", "five seconds"},
                  {"L", "loud"}});
  ConfigReader reader(env);
  EXPECT_EQ(reader.Int("I", 3, 0, 100), 3);
  EXPECT_EQ(reader.Int("R", 3, 0, 100), 3);
  EXPECT_EQ(reader.Port("P1", 9), 9);
  EXPECT_EQ(reader.Port("P2", 9), 9);
  EXPECT_FALSE(reader.Bool("B", false));
  EXPECT_EQ(reader.Duration("D1", absl::Seconds(2)), absl::Seconds(2));
  EXPECT_EQ(reader.Duration("D2", absl::Seconds(2)), absl::Seconds(2));
  EXPECT_EQ(reader.Duration("D3", absl::Seconds(2)), absl::Seconds(2));
  EXPECT_EQ(reader.Level("L", LogLevel::kInfo), LogLevel::kInfo);
  absl::Status status = reader.Finish();
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const std::string message(status.message());
  for (const char* expected :
       {"I: not an integer: '12x'", "R: must be between 0 and 100: '101'",
        "P1: not a port: '65536'", "P2: not a port: '-1'", "B: not a boolean", "D1: not a duration",
        "D2: not a duration", "D3: not a duration", "L: not a log level"}) {
    EXPECT_NE(message.find(expected), std::string::npos) << expected << " in " << message;
  }
}

TEST(ConfigReaderTest, LongValuesAreCutInMessages) {
  MapEnv env(Vars{{"P", std::string(500, '9')}});
  ConfigReader reader(env);
  reader.Port("P", 1);
  EXPECT_LT(reader.Finish().message().size(), 100u);
}

TEST(ConfigReaderTest, AddErrorIsReported) {
  MapEnv env(Vars{});
  ConfigReader reader(env);
  reader.AddError("X and Y: contradict");
  EXPECT_EQ(reader.Finish().message(), "X and Y: contradict");
}

TEST(ReadCommonConfigTest, Defaults) {
  MapEnv env = Valid();
  ConfigReader reader(env);
  CommonConfig config = ReadCommonConfig(reader, "planner", 50051, 9091);
  ASSERT_TRUE(reader.Finish().ok()) << reader.Finish();
  EXPECT_EQ(config.service_name, "planner");
  EXPECT_EQ(config.grpc_port, 50051);
  EXPECT_EQ(config.http_port, 9091);
  EXPECT_EQ(config.bind_address, "0.0.0.0");
  EXPECT_EQ(config.nats_url, "nats://127.0.0.1:4222");
  EXPECT_EQ(config.nats_creds_file, "");
  EXPECT_EQ(config.redis_url, "redis://127.0.0.1:6379");
  EXPECT_EQ(config.redis_password_file, "");
  EXPECT_EQ(config.jwt_public_key_file, "/keys/jwt.pem");
  EXPECT_EQ(config.jwt_issuer, "carecast");
  EXPECT_EQ(config.jwt_audience, "carecast");
  EXPECT_EQ(config.stream_replicas, 1);
  EXPECT_EQ(config.shutdown_grace, absl::Seconds(10));
  EXPECT_EQ(config.log_level, LogLevel::kInfo);
}

TEST(ReadCommonConfigTest, Overrides) {
  MapEnv env(Vars{{"CARECAST_NATS_URL", "nats://n:4222"},
                  {"CARECAST_REDIS_URL", "redis://r:6379"},
                  {"CARECAST_JWT_PUBLIC_KEY_FILE", "/k.pem"},
                  {"CARECAST_GRPC_PORT", "7000"},
                  {"CARECAST_HTTP_PORT", "7001"},
                  {"CARECAST_BIND_ADDRESS", "127.0.0.1"},
                  {"CARECAST_NATS_CREDS_FILE", "/creds"},
                  {"CARECAST_REDIS_PASSWORD_FILE", "/pw"},
                  {"CARECAST_JWT_ISSUER", "idp"},
                  {"CARECAST_JWT_AUDIENCE", "api"},
                  {"CARECAST_STREAM_REPLICAS", "3"},
                  {"CARECAST_SHUTDOWN_GRACE", "30s"},
                  {"CARECAST_LOG_LEVEL", "debug"}});
  ConfigReader reader(env);
  CommonConfig config = ReadCommonConfig(reader, "publisher", 1, 2);
  ASSERT_TRUE(reader.Finish().ok()) << reader.Finish();
  EXPECT_EQ(config.grpc_port, 7000);
  EXPECT_EQ(config.http_port, 7001);
  EXPECT_EQ(config.bind_address, "127.0.0.1");
  EXPECT_EQ(config.nats_creds_file, "/creds");
  EXPECT_EQ(config.redis_password_file, "/pw");
  EXPECT_EQ(config.jwt_issuer, "idp");
  EXPECT_EQ(config.jwt_audience, "api");
  EXPECT_EQ(config.stream_replicas, 3);
  EXPECT_EQ(config.shutdown_grace, absl::Seconds(30));
  EXPECT_EQ(config.log_level, LogLevel::kDebug);
}

TEST(ReadCommonConfigTest, MissingRequiredAndBadValuesAllListed) {
  MapEnv env(Vars{{"CARECAST_GRPC_PORT", "abc"}, {"CARECAST_STREAM_REPLICAS", "7"}});
  ConfigReader reader(env);
  ReadCommonConfig(reader, "planner", 50051, 9091);
  absl::Status status = reader.Finish();
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "CARECAST_GRPC_PORT: not a port: 'abc'; CARECAST_NATS_URL: must be set; "
            "CARECAST_REDIS_URL: must be set; CARECAST_JWT_PUBLIC_KEY_FILE: must be set; "
            "CARECAST_STREAM_REPLICAS: must be between 1 and 5: '7'");
}

TEST(ReadCommonConfigTest, SamePortTwiceIsAProblem) {
  MapEnv env(Vars{{"CARECAST_NATS_URL", "n"},
                  {"CARECAST_REDIS_URL", "r"},
                  {"CARECAST_JWT_PUBLIC_KEY_FILE", "k"},
                  {"CARECAST_GRPC_PORT", "8000"},
                  {"CARECAST_HTTP_PORT", "8000"}});
  ConfigReader reader(env);
  ReadCommonConfig(reader, "planner", 1, 2);
  EXPECT_EQ(reader.Finish().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ProcessEnvTest, ReadsTheRealEnvironment) {
  ASSERT_EQ(setenv("CARECAST_ENV_CONFIG_TEST_VAR", "hello", 1), 0);
  ProcessEnv env;
  EXPECT_EQ(env.Get("CARECAST_ENV_CONFIG_TEST_VAR"), "hello");
  EXPECT_EQ(env.Get("CARECAST_ENV_CONFIG_TEST_UNSET_VAR"), std::nullopt);
  unsetenv("CARECAST_ENV_CONFIG_TEST_VAR");
}

}  // namespace
}  // namespace carecast::common
