// Mints JWTs with a private key (RS256 or ES256, from the key type). Used by
// carecastctl, the local run script and tests; services only verify.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/rpc/jws_crypto.h"
#include "services/common/rpc/principal.h"

namespace carecast::common {

struct JwtClaims {
  std::string subject;                // "sub", a staff or service id
  std::vector<Role> roles;            // "roles", by RoleName
  std::vector<std::string> spokes;    // "spokes"; "*" is every spoke; omitted when empty (no spoke)
  std::string issuer = "carecast";    // "iss"
  std::string audience = "carecast";  // "aud"
  absl::Time issued_at;               // "iat"
  absl::Duration ttl = absl::Hours(1);  // "exp" = issued_at + ttl
};

// Immutable and thread-safe once built.
class JwtSigner {
 public:
  explicit JwtSigner(JwsPrivateKey key) : key_(std::move(key)) {}
  // INVALID_ARGUMENT when the PEM is not an RSA (>= 2048 bits) or P-256 private key.
  static absl::StatusOr<JwtSigner> FromPem(std::string_view private_key_pem);
  // FAILED_PRECONDITION when the file cannot be read.
  static absl::StatusOr<JwtSigner> FromFile(const std::string& path);

  JwsAlgorithm algorithm() const { return key_.algorithm(); }
  // "<header>.<payload>.<signature>" with header {"alg":...,"typ":"JWT"}.
  absl::StatusOr<std::string> Sign(const JwtClaims& claims) const;
  // Signs arbitrary header and payload JSON as given (tests forge tokens with it).
  absl::StatusOr<std::string> SignRaw(std::string_view header_json,
                                      std::string_view payload_json) const;

 private:
  JwsPrivateKey key_;
};

}  // namespace carecast::common
