#include "services/common/startup/service_startup.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"

namespace carecast::common {

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::FailedPreconditionError("cannot read " + path);
  std::stringstream content;
  content << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(content.str()));
}

NatsOptions NatsOptionsFor(const CommonConfig& config, std::string connection_name,
                           BusObserver* observer) {
  NatsOptions options;
  options.url = config.nats_url;
  options.creds_file = config.nats_creds_file;
  options.name = std::move(connection_name);
  options.observer = observer;
  return options;
}

absl::StatusOr<RedisOptions> RedisOptionsFor(const CommonConfig& config, RedisObserver* observer) {
  RedisOptions options;
  options.url = config.redis_url;
  options.observer = observer;
  if (!config.redis_password_file.empty()) {
    absl::StatusOr<std::string> password = ReadSecretFile(config.redis_password_file);
    if (!password.ok()) return password.status();
    options.password = *std::move(password);
  }
  return options;
}

absl::StatusOr<std::unique_ptr<JwtAuthenticator>> LoadAuthenticator(const CommonConfig& config,
                                                                    const Clock& clock) {
  JwtOptions options;
  options.issuer = config.jwt_issuer;
  options.audience = config.jwt_audience;
  return JwtAuthenticator::FromFile(config.jwt_public_key_file, options, clock);
}

GrpcServerOptions GrpcServerOptionsFor(const CommonConfig& config) {
  GrpcServerOptions options;
  options.address = config.bind_address;
  options.port = config.grpc_port;
  return options;
}

HttpServerOptions HttpServerOptionsFor(const CommonConfig& config) {
  HttpServerOptions options;
  options.address = config.bind_address;
  options.port = config.http_port;
  return options;
}

}  // namespace carecast::common
