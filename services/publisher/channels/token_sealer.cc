#include "services/publisher/channels/token_sealer.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "services/common/base/strings.h"

namespace carecast::publisher {
namespace {

constexpr char kPrefix[] = "cs1.";  // format version: a new scheme gets a new prefix
constexpr size_t kNonceBytes = 12;  // GCM's standard IV size
constexpr size_t kTagBytes = 16;
// Anything larger than a key, hex-encoded with some whitespace, is not a key file.
constexpr std::uintmax_t kMaxKeyFileBytes = 1024;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

TokenSealer::~TokenSealer() { OPENSSL_cleanse(key_.data(), key_.size()); }

absl::StatusOr<TokenSealer> TokenSealer::FromKey(std::string_view key) {
  if (key.size() != kKeyBytes) {
    return absl::InvalidArgumentError("the token sealing key must be 32 bytes");
  }
  TokenSealer sealer;
  std::memcpy(sealer.key_.data(), key.data(), kKeyBytes);
  return sealer;
}

absl::StatusOr<TokenSealer> TokenSealer::FromKeyFile(const std::string& path) {
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("cannot read the token sealing key file ", path, ": ", ec.message()));
  }
  if (size > kMaxKeyFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat("the token sealing key file ", path,
                                                   " is neither 32 raw bytes nor 64 hex digits"));
  }
  std::string content(static_cast<size_t>(size), '\0');
  std::ifstream in(path, std::ios::binary);
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read the token sealing key file ", path));
  }
  absl::StatusOr<TokenSealer> sealer = absl::InvalidArgumentError(absl::StrCat(
      "the token sealing key file ", path, " is neither 32 raw bytes nor 64 hex digits"));
  // Raw first: 32 random bytes may well look like whitespace at either end.
  if (content.size() == kKeyBytes) {
    sealer = FromKey(content);
  } else {
    absl::string_view hex = absl::StripAsciiWhitespace(content);
    bool all_hex = hex.size() == 2 * kKeyBytes;
    for (char c : hex) all_hex = all_hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
    if (all_hex) {
      std::string raw = absl::HexStringToBytes(hex);
      sealer = FromKey(raw);
      OPENSSL_cleanse(raw.data(), raw.size());
    }
  }
  OPENSSL_cleanse(content.data(), content.size());
  return sealer;
}

absl::StatusOr<std::string> TokenSealer::Seal(std::string_view plaintext,
                                              std::string_view context) const {
  std::string out(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  unsigned char* cipher = nonce + kNonceBytes;
  if (RAND_bytes(nonce, kNonceBytes) != 1) {
    return absl::InternalError("no randomness for the token sealing nonce");
  }
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int total = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(context),
                        static_cast<int>(context.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), cipher, &len, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1) {
    return absl::InternalError("token sealing failed");
  }
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), cipher + total, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, cipher + plaintext.size()) !=
          1) {
    return absl::InternalError("token sealing failed");
  }
  std::string encoded;
  absl::WebSafeBase64Escape(out, &encoded);
  return absl::StrCat(kPrefix, encoded);
}

absl::StatusOr<std::string> TokenSealer::Open(std::string_view sealed,
                                              std::string_view context) const {
  const absl::Status unreadable = absl::DataLossError(
      "the sealed token record cannot be opened (malformed, altered, or sealed under another "
      "key)");
  if (!absl::StartsWith(common::AsAbsl(sealed), kPrefix)) return unreadable;
  std::string raw;
  if (!absl::WebSafeBase64Unescape(common::AsAbsl(sealed.substr(sizeof(kPrefix) - 1)), &raw) ||
      raw.size() < kNonceBytes + kTagBytes) {
    return unreadable;
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(raw.data());
  const unsigned char* cipher = nonce + kNonceBytes;
  const size_t cipher_size = raw.size() - kNonceBytes - kTagBytes;
  std::string plain(cipher_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  // GCM's tag is written, not read, by the ctrl call: it takes a non-const pointer.
  std::string tag(raw.substr(kNonceBytes + cipher_size));
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(context),
                        static_cast<int>(context.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &len, cipher, static_cast<int>(cipher_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1) {
    return unreadable;
  }
  const int written = len;
  // The final step checks the tag: a wrong key, context or any altered byte fails here.
  if (EVP_DecryptFinal_ex(ctx.get(), out + written, &len) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return unreadable;
  }
  return plain;
}

}  // namespace carecast::publisher
