// The one adapter over OpenSSL for signed tokens (JWS compact form): base64url,
// RS256 / ES256 keys from PEM, signing, verification and key generation.
// Keys are immutable after loading and safe to share between threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

// OpenSSL's key type, kept opaque so no OpenSSL header leaks out of this adapter.
struct evp_pkey_st;

namespace carecast::common {

// The only algorithms CareCast accepts; each is pinned to a key type.
enum class JwsAlgorithm {
  kRs256,  // RSA (>= 2048 bits), PKCS#1 v1.5, SHA-256
  kEs256,  // ECDSA P-256, SHA-256, signature as raw r||s (64 bytes)
};

// "RS256" / "ES256".
std::string_view JwsAlgorithmName(JwsAlgorithm algorithm);

// Unpadded base64url (RFC 7515 section 2).
std::string Base64UrlEncode(std::string_view data);
// Strict: rejects padding, whitespace, other alphabets and non-canonical trailing bits.
std::optional<std::string> Base64UrlDecode(std::string_view text);

class JwsPublicKey {
 public:
  // SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----"). INVALID_ARGUMENT for
  // anything else, for RSA keys under 2048 bits and EC keys not on P-256.
  static absl::StatusOr<JwsPublicKey> FromPem(std::string_view pem);

  JwsAlgorithm algorithm() const { return algorithm_; }
  // True only for a valid signature by this key under algorithm().
  bool Verify(std::string_view signing_input, std::string_view signature) const;

 private:
  JwsPublicKey(std::shared_ptr<evp_pkey_st> key, JwsAlgorithm algorithm)
      : key_(std::move(key)), algorithm_(algorithm) {}
  std::shared_ptr<evp_pkey_st> key_;
  JwsAlgorithm algorithm_;
};

class JwsPrivateKey {
 public:
  // PKCS#8 or traditional private-key PEM; same key rules as JwsPublicKey.
  static absl::StatusOr<JwsPrivateKey> FromPem(std::string_view pem);
  // A fresh key: P-256 for ES256, RSA 2048 for RS256.
  static absl::StatusOr<JwsPrivateKey> Generate(JwsAlgorithm algorithm);

  JwsAlgorithm algorithm() const { return algorithm_; }
  absl::StatusOr<std::string> Sign(std::string_view signing_input) const;
  // PKCS#8 PEM of this key and SubjectPublicKeyInfo PEM of its public half.
  std::string PrivateKeyPem() const;
  std::string PublicKeyPem() const;

 private:
  JwsPrivateKey(std::shared_ptr<evp_pkey_st> key, JwsAlgorithm algorithm)
      : key_(std::move(key)), algorithm_(algorithm) {}
  std::shared_ptr<evp_pkey_st> key_;
  JwsAlgorithm algorithm_;
};

// Reads a key file (at most 64 KiB). FAILED_PRECONDITION when it cannot be read.
absl::StatusOr<std::string> ReadKeyFile(const std::string& path);

}  // namespace carecast::common
