// Parses redis://[[user]:password@]host[:port][/db] into its parts.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace carecast::common {

struct RedisEndpoint {
  std::string host;
  int port = 6379;
  std::string user;      // empty: the default user
  std::string password;  // empty: no AUTH
  int db = 0;
};

// INVALID_ARGUMENT for another scheme (rediss:// needs TLS, which hiredis 0.14
// lacks), an empty host, or a port or db that is not a number in range.
// Percent-escapes in user and password are decoded.
absl::StatusOr<RedisEndpoint> ParseRedisUrl(std::string_view url);

}  // namespace carecast::common
