// Capability tokens for iCalendar feed URLs. Calendar apps fetch a subscribed
// URL with no header of their own, so the URL carries the credential:
//
//   token = <key id> "." base64url(HMAC-SHA256(key, <kind> ":" <resource> ":"
//                                               <generation> ":" <key id>))
//
// unpadded base64url (43 characters), e.g. "k2027a.Xy3...". The key id names
// the key that signed, so keys rotate without breaking subscriptions: add a new
// key and make it current (new URLs use it), keep the old one in the ring until
// the URLs minted with it should stop working, then drop it. The generation is
// a per-feed counter kept with the spoke or campaign (0 at first); bumping it
// revokes that one feed's URL without touching any other.
//
// Verify compares in constant time and answers one error for every failure, so
// a caller learns nothing about which part was wrong. Immutable after Create;
// thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace carecast::common::cadence {

// What the feed shows; part of the signed text, so a spoke's token never opens
// a campaign's feed of the same name. kReport: a weekly report's page and PDF on
// the metrics service (the resource is the report's name).
enum class FeedKind { kSpoke, kCampaign, kReport };

// "spoke" / "campaign" / "report".
std::string_view FeedKindName(FeedKind kind);

struct FeedTokenKey {
  std::string id;      // 1..32 of [A-Za-z0-9_-]; not secret (it is in every token)
  std::string secret;  // at least kMinFeedKeyBytes random bytes
};

inline constexpr size_t kMinFeedKeyBytes = 32;
inline constexpr size_t kMaxFeedKeyIdBytes = 32;

class FeedTokens {
 public:
  // `keys` is the ring every token is verified against; `current_key_id` names
  // the one that signs new tokens. INVALID_ARGUMENT for no keys, a bad or
  // repeated id, a short secret, or a current id not in the ring (the message
  // names the key id, never the secret).
  static absl::StatusOr<FeedTokens> Create(const std::vector<FeedTokenKey>& keys,
                                           std::string_view current_key_id);

  // A token for the feed of `resource` ("spokes/s1"), signed with the current
  // key. INVALID_ARGUMENT for an empty resource name; INTERNAL if OpenSSL fails.
  absl::StatusOr<std::string> Mint(FeedKind kind, std::string_view resource,
                                   uint64_t generation = 0) const;

  // OK when `token` was minted by a key still in the ring for exactly this
  // kind, resource and generation. Otherwise UNAUTHENTICATED "invalid token".
  absl::Status Verify(std::string_view token, FeedKind kind, std::string_view resource,
                      uint64_t generation = 0) const;

  const std::string& current_key_id() const { return current_; }

 private:
  FeedTokens(std::map<std::string, std::string, std::less<>> secrets, std::string current)
      : secrets_(std::move(secrets)), current_(std::move(current)) {}

  std::map<std::string, std::string, std::less<>> secrets_;  // key id -> secret
  std::string current_;
};

}  // namespace carecast::common::cadence
