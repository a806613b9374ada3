// The shared configuration turned into the options of the NATS, Redis, gRPC and
// HTTP parts and the JWT verifier, with the secret files read; ServiceHost's
// building blocks.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

#include "services/common/base/clock.h"
#include "services/common/base/env_config.h"
#include "services/common/bus/nats_connection.h"
#include "services/common/redis/redis_client.h"
#include "services/common/rpc/grpc_server.h"
#include "services/common/rpc/http_server.h"
#include "services/common/rpc/jwt_authenticator.h"

namespace carecast::common {

// The secret held in `path`, without surrounding whitespace. FAILED_PRECONDITION
// when the file cannot be read.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

// NATS options from the configuration: URL, credentials file, the connection
// name shown by the server, and the observer that records bus metrics.
NatsOptions NatsOptionsFor(const CommonConfig& config, std::string connection_name,
                           BusObserver* observer);

// Redis options from the configuration, with the password read from
// CARECAST_REDIS_PASSWORD_FILE when set (FAILED_PRECONDITION when unreadable).
absl::StatusOr<RedisOptions> RedisOptionsFor(const CommonConfig& config, RedisObserver* observer);

// The JWT verifier for the configured public key, issuer and audience.
absl::StatusOr<std::unique_ptr<JwtAuthenticator>> LoadAuthenticator(const CommonConfig& config,
                                                                    const Clock& clock);

GrpcServerOptions GrpcServerOptionsFor(const CommonConfig& config);
HttpServerOptions HttpServerOptionsFor(const CommonConfig& config);

}  // namespace carecast::common
