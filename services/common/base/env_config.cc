#include "services/common/base/env_config.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "services/common/base/strings.h"

namespace carecast::common {
namespace {

// Values are echoed in error messages so an operator can see the typo; a long
// value is cut so a misplaced secret or blob does not end up in full in a log.
std::string Quote(std::string_view value) {
  constexpr size_t kMaxEcho = 64;
  if (value.size() > kMaxEcho) return absl::StrCat("'", AsAbsl(value.substr(0, kMaxEcho)), "...'");
  return absl::StrCat("'", AsAbsl(value), "'");
}

}  // namespace

std::optional<std::string> ProcessEnv::Get(std::string_view name) const {
  // getenv needs a NUL-terminated name.
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::optional<std::string> MapEnv::Get(std::string_view name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

namespace {

std::optional<std::string> NonEmpty(const EnvSource& env, std::string_view name) {
  std::optional<std::string> value = env.Get(name);
  if (value.has_value() && value->empty()) return std::nullopt;
  return value;
}

}  // namespace

std::string ConfigReader::String(std::string_view name, std::string_view default_value) {
  return NonEmpty(env_, name).value_or(std::string(default_value));
}

std::string ConfigReader::RequiredString(std::string_view name) {
  std::optional<std::string> value = NonEmpty(env_, name);
  if (!value.has_value()) {
    errors_.push_back(absl::StrCat(AsAbsl(name), ": must be set"));
    return "";
  }
  return *value;
}

int64_t ConfigReader::Int(std::string_view name, int64_t default_value, int64_t min, int64_t max) {
  std::optional<std::string> value = NonEmpty(env_, name);
  if (!value.has_value()) return default_value;
  int64_t parsed = 0;
  if (!absl::SimpleAtoi(*value, &parsed)) {
    errors_.push_back(absl::StrCat(AsAbsl(name), ": not an integer: ", Quote(*value)));
    return default_value;
  }
  if (parsed < min || parsed > max) {
    errors_.push_back(
        absl::StrCat(AsAbsl(name), ": must be between ", min, " and ", max, ": ", Quote(*value)));
    return default_value;
  }
  return parsed;
}

int ConfigReader::Port(std::string_view name, int default_value) {
  std::optional<std::string> value = NonEmpty(env_, name);
  if (!value.has_value()) return default_value;
  int64_t parsed = 0;
  if (!absl::SimpleAtoi(*value, &parsed) || parsed < 0 || parsed > 65535) {
    errors_.push_back(absl::StrCat(AsAbsl(name), ": not a port: ", Quote(*value)));
    return default_value;
  }
  return static_cast<int>(parsed);
}

bool ConfigReader::Bool(std::string_view name, bool default_value) {
  std::optional<std::string> value = NonEmpty(env_, name);
  if (!value.has_value()) return default_value;
  std::string lower = absl::AsciiStrToLower(*value);
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "0" || lower == "no" || lower == "off") return false;
  errors_.push_back(absl::StrCat(AsAbsl(name), ": not a boolean (true/false): ", Quote(*value)));
  return default_value;
}

absl::Duration ConfigReader::Duration(std::string_view name, absl::Duration default_value) {
  std::optional<std::string> value = NonEmpty(env_, name);
  if (!value.has_value()) return default_value;
  absl::Duration parsed;
  // absl::ParseDuration speaks Go's syntax ("1h30m", "500ms"); negative and
  // infinite values make no sense for timeouts and intervals.
  if (!absl::ParseDuration(*value, &parsed) || parsed < absl::ZeroDuration() ||
      parsed == absl::InfiniteDuration()) {
    errors_.push_back(
        absl::StrCat(AsAbsl(name), ": not a duration (e.g. 500ms, 5s, 2m, 1h): ", Quote(*value)));
    return default_value;
  }
  return parsed;
}

LogLevel ConfigReader::Level(std::string_view name, LogLevel default_value) {
  std::optional<std::string> value = NonEmpty(env_, name);
  if (!value.has_value()) return default_value;
  LogLevel level = default_value;
  if (!ParseLogLevel(absl::AsciiStrToLower(*value), &level)) {
    errors_.push_back(absl::StrCat(
        AsAbsl(name), ": not a log level (debug, info, warn, error): ", Quote(*value)));
    return default_value;
  }
  return level;
}

void ConfigReader::AddError(std::string error) { errors_.push_back(std::move(error)); }

absl::Status ConfigReader::Finish() const {
  if (errors_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors_, "; "));
}

CommonConfig ReadCommonConfig(ConfigReader& reader, std::string service_name, int default_grpc_port,
                              int default_http_port) {
  CommonConfig config;
  config.service_name = std::move(service_name);
  config.grpc_port = reader.Port("CARECAST_GRPC_PORT", default_grpc_port);
  config.http_port = reader.Port("CARECAST_HTTP_PORT", default_http_port);
  config.bind_address = reader.String("CARECAST_BIND_ADDRESS", config.bind_address);
  config.nats_url = reader.RequiredString("CARECAST_NATS_URL");
  config.nats_creds_file = reader.String("CARECAST_NATS_CREDS_FILE", "");
  config.redis_url = reader.RequiredString("CARECAST_REDIS_URL");
  config.redis_password_file = reader.String("CARECAST_REDIS_PASSWORD_FILE", "");
  config.jwt_public_key_file = reader.RequiredString("CARECAST_JWT_PUBLIC_KEY_FILE");
  config.jwt_issuer = reader.String("CARECAST_JWT_ISSUER", config.jwt_issuer);
  config.jwt_audience = reader.String("CARECAST_JWT_AUDIENCE", config.jwt_audience);
  // JetStream allows at most 5 replicas per stream.
  config.stream_replicas =
      static_cast<int>(reader.Int("CARECAST_STREAM_REPLICAS", config.stream_replicas, 1, 5));
  config.shutdown_grace = reader.Duration("CARECAST_SHUTDOWN_GRACE", config.shutdown_grace);
  config.log_level = reader.Level("CARECAST_LOG_LEVEL", config.log_level);
  config.outbox_relay_period =
      reader.Duration("CARECAST_OUTBOX_RELAY_PERIOD", config.outbox_relay_period);
  config.outbox_relay_grace =
      reader.Duration("CARECAST_OUTBOX_RELAY_GRACE", config.outbox_relay_grace);
  if (config.outbox_relay_period <= absl::ZeroDuration()) {
    reader.AddError("CARECAST_OUTBOX_RELAY_PERIOD must be greater than 0");
  }
  config.index_reconcile_period =
      reader.Duration("CARECAST_INDEX_RECONCILE_PERIOD", config.index_reconcile_period);
  if (config.index_reconcile_period < absl::Seconds(1) ||
      config.index_reconcile_period > absl::Hours(24)) {
    reader.AddError("CARECAST_INDEX_RECONCILE_PERIOD: must be between 1s and 24h");
  }
  if (config.grpc_port != 0 && config.grpc_port == config.http_port) {
    reader.AddError(
        absl::StrCat("CARECAST_GRPC_PORT and CARECAST_HTTP_PORT: both are ", config.grpc_port));
  }
  return config;
}

}  // namespace carecast::common
