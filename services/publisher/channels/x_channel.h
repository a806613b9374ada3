// The X (Twitter) API v2 adapter: POST /2/tweets with an OAuth 2.0 user-context
// bearer token. X has no idempotency key, so a create is sent once and never
// repeated here (not on a 5xx, not on a timeout); an unknown outcome is
// reconciled by FindPublished, which reads the account's own timeline since the
// attempt and matches the text (links ignored: X rewrites them to t.co) and, for
// a reply, the replied_to reference. docs/channels/x.md has the details.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/clock.h"
#include "services/common/http/http_client.h"
#include "services/common/networks/network_rules.h"
#include "services/publisher/channels/channel.h"
#include "services/publisher/channels/credentials.h"
#include "services/publisher/channels/http_channel_support.h"
#include "services/publisher/channels/rate_limiter.h"

namespace carecast::publisher {

struct XChannelOptions {
  // The API root, no trailing slash ("https://api.x.com"); tests and egress
  // proxies point it elsewhere.
  std::string base_url = "https://api.x.com";
  // One HTTP call's timeout, shortened to the request's deadline (20s).
  absl::Duration call_timeout = absl::Seconds(20);
  // FindPublished reads at most this many timeline pages of 100 posts (3); more
  // posts since the attempt than that and it cannot tell (UNAVAILABLE).
  int max_find_pages = 3;
  // FindPublished also looks this far before `since` (2 min), for clock skew.
  absl::Duration find_slack = absl::Minutes(2);
};

// Credential: access_token is the OAuth 2.0 user access token; fields["user_id"]
// is the account's numeric X user id (needed by FindPublished and ListRecent).
//
// Rate-limit buckets (X limits each endpoint per user; the budgets are fed by
// the x-rate-limit-limit/-remaining/-reset headers of every answer):
//   {"x", "user", account}         POST /2/tweets (200 per 15 min per user)
//   {"x", "user-read", account}    GET /2/users/:id/tweets (timeline)
//   {"x", "user-lookup", account}  GET /2/tweets/:id (engagement)
//   {"x", "user-delete", account}  DELETE /2/tweets/:id
//   {"x", "user-media", account}   POST /2/media/upload
//   {"x", "user-media-metadata", account}  POST /2/media/metadata (alt text)
//
// Thread-safe (no state of its own). The client, credentials, limiter and clock
// are not owned and must outlive the channel. Errors are channel errors
// (MakeChannelError); no message carries a token.
class XChannel final : public Channel {
 public:
  XChannel(XChannelOptions options, common::HttpClient& http, CredentialSource& credentials,
           RateLimiter& limiter, const common::Clock& clock);

  IdempotencyModel idempotency() const override { return IdempotencyModel::kNone; }

  // Sends the text once (a reply when request.in_reply_to is set). Images (at
  // most 4, each with alt text; else kPermanent before any call) are fetched,
  // uploaded (POST /2/media/upload) and described (POST /2/media/metadata)
  // first; those calls create no post, so they fail like reads and the post is
  // not sent. The duplicate-content 403 is kPermanent with "duplicate" in the
  // message.
  absl::StatusOr<Receipt> Publish(const PublishRequest& request) override;
  // Reads the timeline from `since` − find_slack (newest first, up to
  // max_find_pages pages) for a post with the same text (and parent).
  absl::StatusOr<std::optional<Receipt>> FindPublished(const PublishRequest& request,
                                                       absl::Time since) override;
  absl::Status Delete(std::string_view account, std::string_view external_id) override;
  absl::StatusOr<std::vector<RemotePost>> ListRecent(std::string_view account, absl::Time since,
                                                     int limit) override;
  // likes, shares (retweets + quotes), replies and impressions; clicks -1.
  absl::StatusOr<Engagement> ReadEngagement(std::string_view account,
                                            std::string_view external_id) override;
  // public_metrics.followers_count of GET /2/users/me?user.fields=public_metrics
  // (the token's own user), under the "user-me" budget.
  absl::StatusOr<int64_t> ReadFollowers(std::string_view account) override;

  // "https://x.com/i/web/status/<id>".
  static std::string PostUrl(std::string_view id);

 private:
  struct Call;
  struct TimelinePage;

  // Sends `call` with the account's token under its bucket's budget; on a 401
  // refreshes the token once and sends again (a refused call created nothing).
  // Returns the answer whatever its status; errors are channel errors.
  absl::StatusOr<common::HttpReply> Send(const Call& call, Credential& credential);
  absl::StatusOr<TimelinePage> ReadTimelinePage(std::string_view account, Credential& credential,
                                                absl::Time start, const std::string& page_token,
                                                absl::Time deadline);
  absl::StatusOr<Credential> CredentialsOf(std::string_view account);
  // Fetches image `index`, uploads it and sets its alt text; its media id.
  absl::StatusOr<std::string> UploadImage(const PublishRequest& request, size_t index,
                                          Credential& credential);
  static const common::networks::NetworkRules& Rules();
  void ObserveRate(const Call& call, const common::HttpReply& reply);

  const XChannelOptions options_;
  common::HttpClient& http_;
  CredentialSource& credentials_;
  RateLimiter& limiter_;
  const common::Clock& clock_;
};

}  // namespace carecast::publisher
