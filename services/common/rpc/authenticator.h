// Turns a bearer token into a Principal. JwtAuthenticator verifies signed JWTs;
// FakeAuthenticator (tests/support) maps fixed tokens to principals.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"

#include "services/common/rpc/principal.h"

namespace carecast::common {

// Thread-safe. Every failure is UNAUTHENTICATED with a reason that never echoes
// the token.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual absl::StatusOr<Principal> Authenticate(std::string_view bearer_token) const = 0;
};

}  // namespace carecast::common
