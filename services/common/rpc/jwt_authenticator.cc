#include "services/common/rpc/jwt_authenticator.h"

#include "absl/strings/match.h"
#include <nlohmann/json.hpp>

#include "services/common/base/status_macros.h"

namespace carecast::common {
namespace {

constexpr size_t kMaxSubjectBytes = 256;

absl::Status Unauthenticated(const char* reason) { return absl::UnauthenticatedError(reason); }

// Parses without exceptions: nlohmann reports failure as a "discarded" value.
std::optional<nlohmann::json> ParseObject(std::string_view text) {
  nlohmann::json value = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                               /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) return std::nullopt;
  return value;
}

// NumericDate (seconds since the epoch, possibly fractional). absl::Seconds(double)
// saturates instead of overflowing on absurd values.
std::optional<absl::Time> NumericDate(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  return absl::UnixEpoch() + absl::Seconds(it->get<double>());
}

bool AudienceMatches(const nlohmann::json& aud, const std::string& audience) {
  if (aud.is_string()) return aud.get_ref<const std::string&>() == audience;
  if (!aud.is_array()) return false;
  for (const nlohmann::json& entry : aud) {
    if (entry.is_string() && entry.get_ref<const std::string&>() == audience) return true;
  }
  return false;
}

// Reads an optional array of strings; false when present but malformed.
bool StringArray(const nlohmann::json& claims, const char* name, std::vector<std::string>* out) {
  auto it = claims.find(name);
  if (it == claims.end() || it->is_null()) return true;
  if (!it->is_array()) return false;
  for (const nlohmann::json& entry : *it) {
    if (!entry.is_string()) return false;
    out->push_back(entry.get<std::string>());
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<JwtAuthenticator>> JwtAuthenticator::FromPem(
    std::string_view public_key_pem, JwtOptions options, const Clock& clock) {
  ASSIGN_OR_RETURN(JwsPublicKey key, JwsPublicKey::FromPem(public_key_pem));
  return std::unique_ptr<JwtAuthenticator>(
      new JwtAuthenticator(std::move(key), std::move(options), clock));
}

absl::StatusOr<std::unique_ptr<JwtAuthenticator>> JwtAuthenticator::FromFile(
    const std::string& path, JwtOptions options, const Clock& clock) {
  ASSIGN_OR_RETURN(std::string pem, ReadKeyFile(path));
  return FromPem(pem, std::move(options), clock);
}

absl::StatusOr<Principal> JwtAuthenticator::Authenticate(std::string_view token) const {
  if (token.empty()) return Unauthenticated("empty token");
  if (token.size() > kMaxTokenBytes) return Unauthenticated("token too large");

  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Unauthenticated("malformed token");
  }
  const std::string_view header_b64 = token.substr(0, dot1);
  const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_b64 = token.substr(dot2 + 1);

  std::optional<std::string> header_json = Base64UrlDecode(header_b64);
  if (!header_json.has_value()) return Unauthenticated("malformed token header");
  std::optional<nlohmann::json> header = ParseObject(*header_json);
  if (!header.has_value()) return Unauthenticated("malformed token header");

  // The key decides the algorithm; the header may only agree with it. This
  // refuses "none", HS256-with-the-public-key and RS/ES swaps alike.
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string() ||
      alg->get_ref<const std::string&>() != JwsAlgorithmName(key_.algorithm())) {
    return Unauthenticated("token algorithm not accepted");
  }
  // RFC 7515 4.1.11: extensions we do not understand must not be ignored.
  if (header->contains("crit")) return Unauthenticated("token has critical header extensions");

  std::optional<std::string> signature = Base64UrlDecode(signature_b64);
  if (!signature.has_value()) return Unauthenticated("malformed token signature");
  if (!key_.Verify(token.substr(0, dot2), *signature)) {
    return Unauthenticated("bad token signature");
  }

  // Only signed claims are read from here on.
  std::optional<std::string> payload_json = Base64UrlDecode(payload_b64);
  if (!payload_json.has_value()) return Unauthenticated("malformed token payload");
  std::optional<nlohmann::json> claims = ParseObject(*payload_json);
  if (!claims.has_value()) return Unauthenticated("malformed token payload");

  auto iss = claims->find("iss");
  if (iss == claims->end() || !iss->is_string() ||
      iss->get_ref<const std::string&>() != options_.issuer) {
    return Unauthenticated("wrong token issuer");
  }
  auto aud = claims->find("aud");
  if (aud == claims->end() || !AudienceMatches(*aud, options_.audience)) {
    return Unauthenticated("wrong token audience");
  }

  const absl::Time now = clock_.Now();
  std::optional<absl::Time> exp = NumericDate(*claims, "exp");
  if (!exp.has_value()) return Unauthenticated("token has no expiry");
  if (now >= *exp + options_.leeway) return Unauthenticated("token expired");
  if (claims->contains("nbf")) {
    std::optional<absl::Time> nbf = NumericDate(*claims, "nbf");
    if (!nbf.has_value()) return Unauthenticated("malformed token nbf");
    if (now + options_.leeway < *nbf) return Unauthenticated("token not yet valid");
  }
  if (claims->contains("iat")) {
    std::optional<absl::Time> iat = NumericDate(*claims, "iat");
    if (!iat.has_value()) return Unauthenticated("malformed token iat");
    if (*iat > now + options_.leeway) return Unauthenticated("token issued in the future");
  }

  Principal principal;
  auto sub = claims->find("sub");
  if (sub == claims->end() || !sub->is_string() || sub->get_ref<const std::string&>().empty() ||
      sub->get_ref<const std::string&>().size() > kMaxSubjectBytes) {
    return Unauthenticated("token has no valid subject");
  }
  principal.subject = sub->get<std::string>();

  std::vector<std::string> role_names;
  if (!StringArray(*claims, "roles", &role_names)) {
    return Unauthenticated("malformed token roles");
  }
  for (const std::string& name : role_names) {
    // Unknown role names are dropped: an issuer may know roles this version does not.
    if (std::optional<Role> role = ParseRole(name); role.has_value() && !principal.HasRole(*role)) {
      principal.roles.push_back(*role);
    }
  }
  if (!StringArray(*claims, "spokes", &principal.spokes)) {
    return Unauthenticated("malformed token spokes");
  }
  return principal;
}

}  // namespace carecast::common
