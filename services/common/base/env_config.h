// Configuration from environment variables, validated at start. ConfigReader
// collects every problem so a misconfigured service reports all of them at once,
// then exits non-zero (fail fast).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/logger.h"

namespace carecast::common {

// Where variables come from. ProcessEnv reads the real environment; MapEnv is the fake.
class EnvSource {
 public:
  virtual ~EnvSource() = default;
  virtual std::optional<std::string> Get(std::string_view name) const = 0;
};

class ProcessEnv final : public EnvSource {
 public:
  std::optional<std::string> Get(std::string_view name) const override;
};

class MapEnv final : public EnvSource {
 public:
  explicit MapEnv(std::map<std::string, std::string, std::less<>> vars) : vars_(std::move(vars)) {}
  std::optional<std::string> Get(std::string_view name) const override;

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

// Reads typed values; each problem is remembered and reported by Finish().
// An empty variable counts as unset.
class ConfigReader {
 public:
  explicit ConfigReader(const EnvSource& env) : env_(env) {}

  std::string String(std::string_view name, std::string_view default_value);
  std::string RequiredString(std::string_view name);
  int64_t Int(std::string_view name, int64_t default_value, int64_t min, int64_t max);
  // A TCP port, 0..65535 (0: pick a free one).
  int Port(std::string_view name, int default_value);
  bool Bool(std::string_view name, bool default_value);
  // Go-style durations: "500ms", "5s", "2m", "1h".
  absl::Duration Duration(std::string_view name, absl::Duration default_value);
  LogLevel Level(std::string_view name, LogLevel default_value);
  // Records a custom problem (e.g. two values that contradict each other).
  void AddError(std::string error);

  // OK, or INVALID_ARGUMENT listing every problem ("NATS_URL: must be set; ...").
  absl::Status Finish() const;

 private:
  const EnvSource& env_;
  std::vector<std::string> errors_;
};

// Settings every service shares. Environment variable, default, meaning:
struct CommonConfig {
  std::string service_name;              // set by the service, not the environment
  int grpc_port = 0;                     // CARECAST_GRPC_PORT (per-service default)
  int http_port = 0;                     // CARECAST_HTTP_PORT: /metrics, /healthz, webhooks
  std::string bind_address = "0.0.0.0";  // CARECAST_BIND_ADDRESS
  std::string nats_url;                  // CARECAST_NATS_URL, e.g. nats://127.0.0.1:4222 (required)
  std::string nats_creds_file;           // CARECAST_NATS_CREDS_FILE, optional user credentials
  std::string redis_url;            // CARECAST_REDIS_URL, e.g. redis://127.0.0.1:6379 (required)
  std::string redis_password_file;  // CARECAST_REDIS_PASSWORD_FILE, optional
  std::string jwt_public_key_file;  // CARECAST_JWT_PUBLIC_KEY_FILE, PEM (required)
  std::string jwt_issuer = "carecast";    // CARECAST_JWT_ISSUER
  std::string jwt_audience = "carecast";  // CARECAST_JWT_AUDIENCE
  int stream_replicas = 1;                // CARECAST_STREAM_REPLICAS: 1 locally, 3 in production
  absl::Duration shutdown_grace = absl::Seconds(10);  // CARECAST_SHUTDOWN_GRACE
  LogLevel log_level = LogLevel::kInfo;               // CARECAST_LOG_LEVEL
  // The outbox relay (services/common/store): how often it looks for entity
  // writes a crash or a bus outage left owing events, and how old such a write
  // must be before the relay finishes it for its writer.
  absl::Duration outbox_relay_period = absl::Seconds(5);  // CARECAST_OUTBOX_RELAY_PERIOD
  absl::Duration outbox_relay_grace = absl::Seconds(2);   // CARECAST_OUTBOX_RELAY_GRACE
  // How often each Redis index is reconciled with the KV bucket it caches (besides
  // once at start), so a sorted set lost while its marker survived heals within
  // this bound (services/common/redis/index_reconciler.h).
  absl::Duration index_reconcile_period = absl::Seconds(60);  // CARECAST_INDEX_RECONCILE_PERIOD
};

// Reads the CommonConfig variables into `reader` (errors accumulate there).
CommonConfig ReadCommonConfig(ConfigReader& reader, std::string service_name, int default_grpc_port,
                              int default_http_port);

}  // namespace carecast::common
