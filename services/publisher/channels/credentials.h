// Where adapters get an account's credentials. Tokens come from the mounted
// channel secrets (file_credential_source.h); OAuth 2 access tokens that the
// network rejects are refreshed once at a time per account (token_refresher.h).
// Nothing here logs or exports a token.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace carecast::publisher {

// One account's credentials. `fields` carries what a network needs besides the
// token, by these names (docs/channels.md lists them per network):
//   "user_id" (X, Mastodon account id), "page_id" (Facebook), "ig_user_id"
//   (Instagram), "author_urn" (LinkedIn), "did" and "handle" (Bluesky),
//   "username" and "app_password" (WordPress), "secret" (webhook HMAC key),
//   "refresh_token", "client_id", "client_secret" (OAuth 2 refresh).
struct Credential {
  std::string access_token;
  std::map<std::string, std::string> fields;
  absl::Time expires_at = absl::InfiniteFuture();

  // fields[name], or empty.
  std::string Field(std::string_view name) const;
};

// Thread-safe.
class CredentialSource {
 public:
  virtual ~CredentialSource() = default;

  // The current credentials of `account` (`spokes/{spoke}/accounts/{account}`).
  // NOT_FOUND when none are configured (the adapter reports auth-expired).
  virtual absl::StatusOr<Credential> Get(std::string_view account) = 0;

  // The network refused `rejected_access_token` for `account`: returns newer
  // credentials. When another caller already refreshed it, that result is
  // returned without a second refresh. UNAUTHENTICATED when a person must
  // reconnect the account (no refresh token, invalid_grant); UNAVAILABLE when
  // the refresh failed transiently (try later; the account stays connected).
  virtual absl::StatusOr<Credential> Refresh(std::string_view account,
                                             std::string_view rejected_access_token) = 0;
};

}  // namespace carecast::publisher
