// The mention sources a listener reads, from the JSON file named by
// CARECAST_LISTENER_SOURCES_FILE (in the chart, a Secret that holds the token
// files beside it: listener.sources.existingSecret):
//   {"sources": [
//     {"name": "mastodon-main", "kind": "mastodon_notifications",
//      "url": "https://social.example.org", "token_file": "/run/secrets/mastodon",
//      "account": "spokes/hub/accounts/mastodon", "period": "30s"},
//     {"name": "x-brand", "kind": "x_recent_search", "url": "https://api.x.example",
//      "token_file": "/run/secrets/x-bearer", "query": "@OurHospital -is:retweet",
//      "period": "60s"},
//     {"name": "bluesky", "kind": "bluesky_jetstream",
//      "url": "wss://jetstream.example/subscribe", "watch_dids": ["did:plc:..."],
//      "account": "spokes/hub/accounts/bluesky", "period": "2s"}]}
// docs/listening.md ("Mention sources") describes each field.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace carecast::listener {

inline constexpr std::string_view kMastodonNotificationsKind = "mastodon_notifications";
inline constexpr std::string_view kXRecentSearchKind = "x_recent_search";
inline constexpr std::string_view kBlueskyJetstreamKind = "bluesky_jetstream";

struct SourceSpec {
  // [a-z0-9-], 1 to 40 characters; unique; keys the stored cursor.
  std::string name;
  std::string kind;  // one of the kinds above
  // The network's API base URL (http:// or https://); for Jetstream its
  // subscribe endpoint (ws:// or wss://).
  std::string url;
  // The file holding the access token (Mastodon: read:notifications; X: an
  // app-only bearer token). Required for those two; Jetstream needs none.
  std::string token_file;
  // The CareCast account the source reads for ("spokes/{s}/accounts/{a}"):
  // its mentions are routed to that spoke. Optional.
  std::string account;
  // X only (required): the recent-search query.
  std::string query;
  // Bluesky only (required): the DIDs of the organisation's accounts.
  std::vector<std::string> watch_dids;
  // Time between reads: default 30s (Mastodon), 60s (X), 2s (Jetstream);
  // 1s to 1h.
  absl::Duration period = absl::ZeroDuration();
};

// Parses and validates the file's text; INVALID_ARGUMENT lists every problem
// (by source index and field), never a token.
absl::StatusOr<std::vector<SourceSpec>> ParseSourcesConfig(std::string_view json);

}  // namespace carecast::listener
