// Real signed JWTs for integration and e2e tests: one EC P-256 key pair per
// process (created on first use, also written to temp files for services that
// read CARECAST_JWT_PUBLIC_KEY_FILE) and tokens minted for a subject and roles.
#pragma once

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

#include "services/common/rpc/jwt_signer.h"
#include "services/common/rpc/principal.h"

namespace carecast::testing {

// Thread-safe after Get(). The temp files are removed at process exit.
class TestTokens {
 public:
  // The process-wide instance; aborts the test binary if key generation fails.
  static const TestTokens& Get();

  const std::string& public_key_pem() const { return public_key_pem_; }
  const std::string& private_key_pem() const { return private_key_pem_; }
  const std::string& public_key_file() const { return public_key_file_; }
  const std::string& private_key_file() const { return private_key_file_; }
  const common::JwtSigner& signer() const { return signer_; }

  // iss and aud "carecast", iat `now`, valid for `ttl`.
  std::string Mint(const std::string& subject, std::vector<common::Role> roles,
                   std::vector<std::string> spokes = {"*"}, absl::Time now = absl::Now(),
                   absl::Duration ttl = absl::Hours(1)) const;
  // "Bearer <Mint(...)>", the value of an authorization header.
  std::string BearerHeader(const std::string& subject, std::vector<common::Role> roles,
                           std::vector<std::string> spokes = {"*"}) const;

  ~TestTokens();

 private:
  TestTokens(common::JwtSigner signer, std::string private_pem, std::string public_pem);

  common::JwtSigner signer_;
  std::string private_key_pem_;
  std::string public_key_pem_;
  std::string dir_;
  std::string private_key_file_;
  std::string public_key_file_;
};

}  // namespace carecast::testing
