#include "services/common/rpc/jws_crypto.h"

#include <array>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace carecast::common {
namespace {

constexpr size_t kEs256CoordinateBytes = 32;
constexpr int kMinRsaBits = 2048;
// A PEM key is a few kilobytes at most; refuse to feed OpenSSL anything huge.
constexpr size_t kMaxPemBytes = 64 * 1024;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* key) {
  return std::shared_ptr<EVP_PKEY>(key, [](EVP_PKEY* k) { EVP_PKEY_free(k); });
}

// OpenSSL keeps a per-thread error queue; a failure we turn into a Status must
// not linger there and confuse the next, unrelated OpenSSL call on this thread.
absl::Status Failed(absl::StatusCode code, const char* what) {
  ERR_clear_error();
  return absl::Status(code, what);
}

// Pins the algorithm to the key type, so a token cannot choose how it is checked.
absl::StatusOr<JwsAlgorithm> AlgorithmForKey(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key) < kMinRsaBits) {
        return Failed(absl::StatusCode::kInvalidArgument, "RSA key shorter than 2048 bits");
      }
      return JwsAlgorithm::kRs256;
    case EVP_PKEY_EC: {
      std::array<char, 64> group{};
      size_t len = 0;
      if (EVP_PKEY_get_group_name(key, group.data(), group.size(), &len) != 1 ||
          std::strcmp(group.data(), "prime256v1") != 0) {
        return Failed(absl::StatusCode::kInvalidArgument, "EC key is not on curve P-256");
      }
      return JwsAlgorithm::kEs256;
    }
    default:
      return Failed(absl::StatusCode::kInvalidArgument, "key is neither RSA nor EC P-256");
  }
}

BioPtr ReadBio(std::string_view pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

// JWS carries ECDSA signatures as fixed-width r||s; OpenSSL speaks DER.
std::optional<std::string> RawToDer(std::string_view raw) {
  if (raw.size() != 2 * kEs256CoordinateBytes) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BnPtr r(BN_bin2bn(bytes, kEs256CoordinateBytes, nullptr));
  BnPtr s(BN_bin2bn(bytes + kEs256CoordinateBytes, kEs256CoordinateBytes, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  r.release();  // owned by sig now
  s.release();
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::optional<std::string> DerToRaw(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(2 * kEs256CoordinateBytes, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, bytes, kEs256CoordinateBytes) < 0 ||
      BN_bn2binpad(s, bytes + kEs256CoordinateBytes, kEs256CoordinateBytes) < 0) {
    return std::nullopt;
  }
  return out;
}

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::string_view JwsAlgorithmName(JwsAlgorithm algorithm) {
  switch (algorithm) {
    case JwsAlgorithm::kRs256:
      return "RS256";
    case JwsAlgorithm::kEs256:
      return "ES256";
  }
  return "";
}

std::string Base64UrlEncode(std::string_view data) {
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(data[i]) << 16) | (static_cast<uint8_t>(data[i + 1]) << 8) |
                 static_cast<uint8_t>(data[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = static_cast<uint8_t>(data[i]) << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    uint32_t v = (static_cast<uint8_t>(data[i]) << 16) | (static_cast<uint8_t>(data[i + 1]) << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = DecodeChar(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero, otherwise two encodings decode to one value.
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

absl::StatusOr<JwsPublicKey> JwsPublicKey::FromPem(std::string_view pem) {
  if (pem.size() > kMaxPemBytes) {
    return absl::InvalidArgumentError("public key PEM too large");
  }
  BioPtr bio = ReadBio(pem);
  EVP_PKEY* raw = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (raw == nullptr) {
    return Failed(absl::StatusCode::kInvalidArgument,
                  "not a PEM public key (expected -----BEGIN PUBLIC KEY-----)");
  }
  std::shared_ptr<EVP_PKEY> key = Own(raw);
  absl::StatusOr<JwsAlgorithm> algorithm = AlgorithmForKey(key.get());
  if (!algorithm.ok()) return algorithm.status();
  return JwsPublicKey(std::move(key), *algorithm);
}

bool JwsPublicKey::Verify(std::string_view signing_input, std::string_view signature) const {
  std::string der;
  std::string_view to_check = signature;
  if (algorithm_ == JwsAlgorithm::kEs256) {
    std::optional<std::string> converted = RawToDer(signature);
    if (!converted.has_value()) {
      ERR_clear_error();
      return false;
    }
    der = std::move(*converted);
    to_check = der;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) == 1 &&
      EVP_DigestVerify(
          ctx.get(), reinterpret_cast<const unsigned char*>(to_check.data()), to_check.size(),
          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  ERR_clear_error();
  return ok;
}

absl::StatusOr<JwsPrivateKey> JwsPrivateKey::FromPem(std::string_view pem) {
  if (pem.size() > kMaxPemBytes) {
    return absl::InvalidArgumentError("private key PEM too large");
  }
  BioPtr bio = ReadBio(pem);
  EVP_PKEY* raw = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (raw == nullptr) {
    return Failed(absl::StatusCode::kInvalidArgument, "not an unencrypted PEM private key");
  }
  std::shared_ptr<EVP_PKEY> key = Own(raw);
  absl::StatusOr<JwsAlgorithm> algorithm = AlgorithmForKey(key.get());
  if (!algorithm.ok()) return algorithm.status();
  return JwsPrivateKey(std::move(key), *algorithm);
}

absl::StatusOr<JwsPrivateKey> JwsPrivateKey::Generate(JwsAlgorithm algorithm) {
  EVP_PKEY* raw = nullptr;
  switch (algorithm) {
    case JwsAlgorithm::kRs256:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(kMinRsaBits));
      break;
    case JwsAlgorithm::kEs256:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
  }
  if (raw == nullptr) return Failed(absl::StatusCode::kInternal, "key generation failed");
  return JwsPrivateKey(Own(raw), algorithm);
}

absl::StatusOr<std::string> JwsPrivateKey::Sign(std::string_view signing_input) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return Failed(absl::StatusCode::kInternal, "signing failed");
  }
  std::string signature(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return Failed(absl::StatusCode::kInternal, "signing failed");
  }
  signature.resize(len);
  if (algorithm_ == JwsAlgorithm::kEs256) {
    std::optional<std::string> raw = DerToRaw(signature);
    if (!raw.has_value()) return Failed(absl::StatusCode::kInternal, "signing failed");
    return *raw;
  }
  return signature;
}

std::string JwsPrivateKey::PrivateKeyPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return "";
  }
  return BioContents(bio.get());
}

std::string JwsPrivateKey::PublicKeyPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    ERR_clear_error();
    return "";
  }
  return BioContents(bio.get());
}

absl::StatusOr<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read key file ", path));
  std::string data;
  data.resize(kMaxPemBytes + 1);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (in.bad()) return absl::FailedPreconditionError(absl::StrCat("cannot read key file ", path));
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > kMaxPemBytes) {
    return absl::FailedPreconditionError(absl::StrCat("key file too large: ", path));
  }
  return data;
}

}  // namespace carecast::common
