#include "services/common/base/ids.h"

#include <array>
#include <cstdio>

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace carecast::common {
namespace {

std::string Hex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

}  // namespace

std::string NewId() {
  std::array<unsigned char, 16> bytes{};
  // RAND_bytes only fails when the OS entropy source is broken; there is no safe
  // way to continue minting ids then.
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) std::abort();
  return Hex(bytes.data(), bytes.size());
}

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr);
  return Hex(md.data(), len);
}

std::string IdFromRequest(std::string_view scope, std::string_view request_id) {
  std::string input;
  input.reserve(scope.size() + 1 + request_id.size());
  input.append(scope).push_back('\n');
  input.append(request_id);
  return Sha256Hex(input).substr(0, 32);
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return id.front() != '-';
}

}  // namespace carecast::common
