#include "services/common/rpc/jwt_signer.h"

#include "absl/strings/str_cat.h"
#include <nlohmann/json.hpp>

#include "services/common/base/status_macros.h"

namespace carecast::common {
namespace {

// dump() throws on invalid UTF-8 unless told to replace it.
std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

absl::StatusOr<JwtSigner> JwtSigner::FromPem(std::string_view private_key_pem) {
  ASSIGN_OR_RETURN(JwsPrivateKey key, JwsPrivateKey::FromPem(private_key_pem));
  return JwtSigner(std::move(key));
}

absl::StatusOr<JwtSigner> JwtSigner::FromFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string pem, ReadKeyFile(path));
  return FromPem(pem);
}

absl::StatusOr<std::string> JwtSigner::Sign(const JwtClaims& claims) const {
  if (claims.subject.empty()) return absl::InvalidArgumentError("subject must be set");
  nlohmann::json header = {{"alg", std::string(JwsAlgorithmName(key_.algorithm()))},
                           {"typ", "JWT"}};
  nlohmann::json roles = nlohmann::json::array();
  for (Role role : claims.roles) roles.push_back(std::string(RoleName(role)));
  nlohmann::json payload = {{"iss", claims.issuer},
                            {"aud", claims.audience},
                            {"sub", claims.subject},
                            {"iat", absl::ToUnixSeconds(claims.issued_at)},
                            {"exp", absl::ToUnixSeconds(claims.issued_at + claims.ttl)},
                            {"roles", roles}};
  if (!claims.spokes.empty()) payload["spokes"] = claims.spokes;
  return SignRaw(Dump(header), Dump(payload));
}

absl::StatusOr<std::string> JwtSigner::SignRaw(std::string_view header_json,
                                               std::string_view payload_json) const {
  std::string signing_input =
      absl::StrCat(Base64UrlEncode(header_json), ".", Base64UrlEncode(payload_json));
  ASSIGN_OR_RETURN(std::string signature, key_.Sign(signing_input));
  return absl::StrCat(signing_input, ".", Base64UrlEncode(signature));
}

}  // namespace carecast::common
