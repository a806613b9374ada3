// Verifies bearer JWTs (JWS compact form) against one pinned public key.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/clock.h"
#include "services/common/rpc/authenticator.h"
#include "services/common/rpc/jws_crypto.h"

namespace carecast::common {

struct JwtOptions {
  std::string issuer = "carecast";            // "iss" must equal this
  std::string audience = "carecast";          // "aud" (string or array) must contain this
  absl::Duration leeway = absl::Seconds(60);  // clock skew allowed on exp, nbf, iat
};

// Accepts only the algorithm of its key (RS256 for an RSA key, ES256 for P-256);
// "none", HS* and everything else are refused. Requires exp and sub; checks iss,
// aud, nbf and iat; reads roles and spokes. Tokens over kMaxTokenBytes are refused
// unread. Thread-safe; `clock` must outlive it.
class JwtAuthenticator final : public Authenticator {
 public:
  static constexpr size_t kMaxTokenBytes = size_t{8} * 1024;

  // INVALID_ARGUMENT when the PEM is not an RSA (>= 2048 bits) or P-256 public key.
  static absl::StatusOr<std::unique_ptr<JwtAuthenticator>> FromPem(std::string_view public_key_pem,
                                                                   JwtOptions options,
                                                                   const Clock& clock);
  // As FromPem, reading the PEM from `path` (FAILED_PRECONDITION if unreadable).
  static absl::StatusOr<std::unique_ptr<JwtAuthenticator>> FromFile(const std::string& path,
                                                                    JwtOptions options,
                                                                    const Clock& clock);

  absl::StatusOr<Principal> Authenticate(std::string_view bearer_token) const override;

 private:
  JwtAuthenticator(JwsPublicKey key, JwtOptions options, const Clock& clock)
      : key_(std::move(key)), options_(std::move(options)), clock_(clock) {}

  const JwsPublicKey key_;
  const JwtOptions options_;
  const Clock& clock_;
};

}  // namespace carecast::common
