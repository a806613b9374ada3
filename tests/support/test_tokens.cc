#include "tests/support/test_tokens.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"

#include "services/common/rpc/jws_crypto.h"

namespace carecast::testing {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "TestTokens: %s\n", what.c_str());
  std::abort();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  if (!out) Die(absl::StrCat("cannot write ", path));
}

}  // namespace

const TestTokens& TestTokens::Get() {
  static const TestTokens* const tokens = [] {
    absl::StatusOr<common::JwsPrivateKey> key =
        common::JwsPrivateKey::Generate(common::JwsAlgorithm::kEs256);
    if (!key.ok()) Die(std::string(key.status().message()));
    common::JwtSigner signer(*key);
    static TestTokens instance(std::move(signer), key->PrivateKeyPem(), key->PublicKeyPem());
    return &instance;
  }();
  return *tokens;
}

TestTokens::TestTokens(common::JwtSigner signer, std::string private_pem, std::string public_pem)
    : signer_(std::move(signer)),
      private_key_pem_(std::move(private_pem)),
      public_key_pem_(std::move(public_pem)) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/carecast-test-keys-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) Die("mkdtemp failed");
  dir_ = pattern;
  private_key_file_ = dir_ + "/jwt-private.pem";
  public_key_file_ = dir_ + "/jwt-public.pem";
  WriteFile(private_key_file_, private_key_pem_);
  WriteFile(public_key_file_, public_key_pem_);
}

TestTokens::~TestTokens() {
  std::remove(private_key_file_.c_str());
  std::remove(public_key_file_.c_str());
  rmdir(dir_.c_str());
}

std::string TestTokens::Mint(const std::string& subject, std::vector<common::Role> roles,
                             std::vector<std::string> spokes, absl::Time now,
                             absl::Duration ttl) const {
  common::JwtClaims claims;
  claims.subject = subject;
  claims.roles = std::move(roles);
  claims.spokes = std::move(spokes);
  claims.issued_at = now;
  claims.ttl = ttl;
  absl::StatusOr<std::string> token = signer_.Sign(claims);
  if (!token.ok()) Die(std::string(token.status().message()));
  return *token;
}

std::string TestTokens::BearerHeader(const std::string& subject, std::vector<common::Role> roles,
                                     std::vector<std::string> spokes) const {
  return absl::StrCat("Bearer ", Mint(subject, std::move(roles), std::move(spokes)));
}

}  // namespace carecast::testing
