// Seals small secrets (the rotated channel tokens kept in the NATS KV bucket)
// with AES-256-GCM, so a snapshot, a backup or a `nats kv get` of the bucket
// shows no usable token. The key lives in a file mounted from a Kubernetes
// Secret (CARECAST_CHANNEL_TOKEN_SEALING_KEY_FILE in the chart).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace carecast::publisher {

// Immutable after construction, so thread-safe. The key bytes are wiped when the
// sealer is destroyed.
class TokenSealer {
 public:
  static constexpr size_t kKeyBytes = 32;

  // Reads the key from `path`: either exactly 32 raw bytes, or 64 hex digits
  // (surrounding whitespace, e.g. a trailing newline, is allowed). Errors name
  // the file and what is wrong with it, never its content: NOT_FOUND (cannot
  // read), INVALID_ARGUMENT (neither form).
  static absl::StatusOr<TokenSealer> FromKeyFile(const std::string& path);
  // `key` must be 32 bytes (INVALID_ARGUMENT otherwise).
  static absl::StatusOr<TokenSealer> FromKey(std::string_view key);

  TokenSealer(const TokenSealer&) = default;
  TokenSealer& operator=(const TokenSealer&) = default;
  ~TokenSealer();

  // Encrypts `plaintext` under a fresh random nonce, binding `context` (e.g. the
  // KV key) so a sealed value copied under another context does not open.
  // Returns printable text: "cs1." + base64url(nonce | ciphertext | tag).
  // INTERNAL when OpenSSL fails (no randomness).
  absl::StatusOr<std::string> Seal(std::string_view plaintext, std::string_view context) const;
  // The plaintext of a Seal()ed value. DATA_LOSS when it is malformed, was
  // sealed under another key or context, or was altered.
  absl::StatusOr<std::string> Open(std::string_view sealed, std::string_view context) const;

 private:
  TokenSealer() = default;
  std::array<unsigned char, kKeyBytes> key_{};
};

}  // namespace carecast::publisher
