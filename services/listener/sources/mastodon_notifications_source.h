// Mentions of one Mastodon account, read from its notifications:
//   GET {base_url}/api/v1/notifications?types[]=mention&limit=N&min_id=<checkpoint>
// with the account's bearer token (scope read:notifications). The checkpoint is
// the id of the newest notification already read (a decimal string). min_id
// makes Mastodon answer the page immediately after it, so a catch-up walks
// forward without gaps; a full page means more is waiting. An empty checkpoint
// reads the newest page only. Direct (private) mentions are kept: a responder
// must see them. Thread-compatible (mention_source.h).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/clock.h"
#include "services/common/http/http_client.h"
#include "services/listener/sources/mention_source.h"

namespace carecast::listener {

struct MastodonNotificationsSettings {
  // MentionSource::name(): keys the checkpoint ("mastodon").
  std::string name = "mastodon";
  // The instance, "https://mastodon.example" (a trailing slash is dropped).
  std::string base_url;
  // The account's access token, already read by the caller. Never logged.
  std::string token;
  // Mention.account: the CareCast account addressed (empty: not known).
  std::string account;
  // Notifications per request (Mastodon's limit: 40 by default, at most 80).
  int page_size = 40;
  // Each request must finish within this (10s).
  absl::Duration call_timeout = absl::Seconds(10);
};

class MastodonNotificationsSource final : public MentionSource {
 public:
  // `http` and `clock` must outlive the source.
  MastodonNotificationsSource(MastodonNotificationsSettings settings, common::HttpClient& http,
                              const common::Clock& clock);

  const std::string& name() const override { return settings_.name; }

  // A 429 waits until X-RateLimit-Reset (ISO 8601), or a minute when the
  // header is missing. Errors as MentionSource::Fetch says.
  absl::StatusOr<SourcePage> Fetch(std::string_view checkpoint) override;

 private:
  const MastodonNotificationsSettings settings_;
  common::HttpClient& http_;
  const common::Clock& clock_;
};

}  // namespace carecast::listener
