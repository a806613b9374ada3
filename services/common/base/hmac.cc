#include "services/common/base/hmac.h"

#include "absl/strings/ascii.h"
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace carecast::common {

std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
           &length) == nullptr) {
    ERR_clear_error();
    return {};
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string LowerHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Sha256SignatureHeader(std::string_view key, std::string_view message) {
  return "sha256=" + LowerHex(HmacSha256(key, message));
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool VerifySha256SignatureHeader(std::string_view key, std::string_view message,
                                 std::string_view header) {
  const std::string expected = Sha256SignatureHeader(key, message);
  if (expected.size() == 7) return false;  // OpenSSL failed: nothing verifies
  // Hex digits may arrive in upper case; the prefix is matched as sent.
  std::string given(header);
  for (size_t i = 7; i < given.size(); ++i) given[i] = absl::ascii_tolower(given[i]);
  return ConstantTimeEquals(expected, given);
}

}  // namespace carecast::common
