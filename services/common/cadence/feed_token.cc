#include "services/common/cadence/feed_token.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/hmac.h"
#include "services/common/base/strings.h"

namespace carecast::common::cadence {
namespace {

// Every refusal is this one status, so a caller learns nothing of the reason.
absl::Status InvalidToken() { return absl::UnauthenticatedError("invalid token"); }

bool ValidKeyId(std::string_view id) {
  if (id.empty() || id.size() > kMaxFeedKeyIdBytes) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

// base64url(HMAC-SHA256(secret, kind:resource:generation:key_id)), unpadded.
// Neither kind, generation nor key id can hold ':', so the text is unambiguous
// whatever the resource name holds. nullopt only when OpenSSL fails.
std::optional<std::string> Mac(std::string_view secret, std::string_view key_id, FeedKind kind,
                               std::string_view resource, uint64_t generation) {
  const std::string text = absl::StrCat(AsAbsl(FeedKindName(kind)), ":", AsAbsl(resource), ":",
                                        generation, ":", AsAbsl(key_id));
  const std::string digest = common::HmacSha256(secret, text);
  if (digest.empty()) return std::nullopt;
  return absl::WebSafeBase64Escape(digest);
}

}  // namespace

std::string_view FeedKindName(FeedKind kind) {
  switch (kind) {
    case FeedKind::kSpoke:
      return "spoke";
    case FeedKind::kCampaign:
      return "campaign";
    case FeedKind::kReport:
      return "report";
  }
  return "";
}

absl::StatusOr<FeedTokens> FeedTokens::Create(const std::vector<FeedTokenKey>& keys,
                                              std::string_view current_key_id) {
  if (keys.empty()) return absl::InvalidArgumentError("feed token keys: at least one is required");
  std::map<std::string, std::string, std::less<>> secrets;
  for (size_t i = 0; i < keys.size(); ++i) {
    const FeedTokenKey& key = keys[i];
    if (!ValidKeyId(key.id)) {
      return absl::InvalidArgumentError(absl::StrCat("feed token keys[", i,
                                                     "]: the id must be 1 to ", kMaxFeedKeyIdBytes,
                                                     " of [A-Za-z0-9_-]"));
    }
    if (key.secret.size() < kMinFeedKeyBytes) {
      return absl::InvalidArgumentError(absl::StrCat("feed token key \"", key.id,
                                                     "\": the secret must be at least ",
                                                     kMinFeedKeyBytes, " bytes"));
    }
    if (!secrets.emplace(key.id, key.secret).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("feed token key \"", key.id, "\": the id is given twice"));
    }
  }
  if (secrets.find(current_key_id) == secrets.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "feed token current key \"", AsAbsl(current_key_id), "\" is not among the keys"));
  }
  return FeedTokens(std::move(secrets), std::string(current_key_id));
}

absl::StatusOr<std::string> FeedTokens::Mint(FeedKind kind, std::string_view resource,
                                             uint64_t generation) const {
  if (resource.empty()) return absl::InvalidArgumentError("resource: must not be empty");
  std::optional<std::string> mac =
      Mac(secrets_.find(current_)->second, current_, kind, resource, generation);
  if (!mac) return absl::InternalError("feed token: HMAC-SHA256 failed");
  return absl::StrCat(current_, ".", *mac);
}

absl::Status FeedTokens::Verify(std::string_view token, FeedKind kind, std::string_view resource,
                                uint64_t generation) const {
  const size_t dot = token.find('.');
  if (dot == std::string_view::npos || resource.empty()) return InvalidToken();
  // The key id is public; only the MAC comparison must not leak by its timing.
  const auto key = secrets_.find(token.substr(0, dot));
  if (key == secrets_.end()) return InvalidToken();
  const std::string_view given = token.substr(dot + 1);
  std::optional<std::string> expected = Mac(key->second, key->first, kind, resource, generation);
  if (!expected || !common::ConstantTimeEquals(given, *expected)) return InvalidToken();
  return absl::OkStatus();
}

}  // namespace carecast::common::cadence
