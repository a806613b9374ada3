// The Facebook Page adapter on the Meta Graph API: POST /{page-id}/feed with
// the Page access token, a reply being a comment (POST /{post-id}/comments).
// Facebook has no idempotency key, so a create is sent once and never repeated
// here; an unknown outcome is reconciled by FindPublished, which reads the
// Page's feed (or the parent's comments) since the attempt and matches the text.
// docs/channels/facebook.md has the details.
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
#include "services/publisher/channels/channel.h"
#include "services/publisher/channels/credentials.h"
#include "services/publisher/channels/meta_graph.h"
#include "services/publisher/channels/rate_limiter.h"

namespace carecast::publisher {

struct FacebookChannelOptions {
  // The Graph API root, no trailing slash ("https://graph.facebook.com").
  std::string base_url = "https://graph.facebook.com";
  // The Graph API version of every URL ("v21.0").
  std::string graph_version = "v21.0";
  // One HTTP call's timeout, shortened to the request's deadline (20s).
  absl::Duration call_timeout = absl::Seconds(20);
  // FindPublished reads at most this many pages of 50 feed posts or comments
  // (3); more since the attempt than that and it cannot tell (UNAVAILABLE).
  int max_find_pages = 3;
  // FindPublished also looks this far before `since` (2 min), for clock skew.
  absl::Duration find_slack = absl::Minutes(2);
};

// Credential: access_token is the Page access token; fields["page_id"] is the
// Page's id. Page tokens are not refreshed by OAuth: on a token refusal (190)
// GraphClient asks CredentialSource::Refresh, which marks the account
// disconnected (kAuthExpired, a person must reconnect it) or hands out a newer
// token from the token file, with which the call is sent once more.
//
// Rate-limit buckets (fed by X-App-Usage, X-Page-Usage and
// X-Business-Use-Case-Usage on every answer, and by throttle codes):
//   {"facebook", "app", ""}         the app's platform budget (code 4)
//   {"facebook", "page", account}   the Page's Business Use Case budget
//
// Thread-safe (no state of its own). The client, credentials, limiter and clock
// are not owned and must outlive the channel. Errors are channel errors
// (MakeChannelError; NOT_FOUND for a missing post); no message carries a token.
class FacebookChannel final : public Channel {
 public:
  FacebookChannel(FacebookChannelOptions options, common::HttpClient& http,
                  CredentialSource& credentials, RateLimiter& limiter, const common::Clock& clock);

  IdempotencyModel idempotency() const override { return IdempotencyModel::kNone; }

  // Posts the text to the Page's feed once (a comment on request.in_reply_to
  // when set). Images go by reference (at most 10, one on a comment, each with
  // alt text; else kPermanent before any call): each is fetched once to check
  // it, then added as an unpublished Page photo (POST /{page-id}/photos, url,
  // published=false, alt_text_custom) and the post attaches them
  // (attached_media); a comment names its image as attachment_url. The photo
  // calls publish nothing: they fail like reads and the post is not sent. The
  // 506 refusal is
  // kPermanent with "duplicate" in the message. Receipt.url is the
  // permalink_url Facebook reports (read after the create; when that read
  // fails, https://www.facebook.com/<id>).
  absl::StatusOr<Receipt> Publish(const PublishRequest& request) override;
  // Reads the Page's feed (a reply: the parent's comments) from `since` −
  // find_slack, newest first, up to max_find_pages pages, for the same text.
  absl::StatusOr<std::optional<Receipt>> FindPublished(const PublishRequest& request,
                                                       absl::Time since) override;
  absl::Status Delete(std::string_view account, std::string_view external_id) override;
  // The Page's feed since `since` (posts only, not comments).
  absl::StatusOr<std::vector<RemotePost>> ListRecent(std::string_view account, absl::Time since,
                                                     int limit) override;
  // likes = all reactions, shares, replies = comments; impressions and clicks
  // from the post's insights (post_impressions, post_clicks), -1 when the token
  // lacks the insights permission (Graph's "(#10)").
  absl::StatusOr<Engagement> ReadEngagement(std::string_view account,
                                            std::string_view external_id) override;
  // followers_count of GET /{page-id}?fields=followers_count (the Page's followers).
  absl::StatusOr<int64_t> ReadFollowers(std::string_view account) override;

 private:
  struct Page;

  // One page of the Page's feed (or of a post's comments when `parent` is set).
  absl::StatusOr<Page> ReadPage(std::string_view account, Credential& credential,
                                std::string_view parent, absl::Time start, const std::string& after,
                                int limit, absl::Time deadline) const;
  // The created object's permalink_url; the built URL when it cannot be read.
  std::string PermalinkOf(std::string_view account, Credential& credential, const std::string& id,
                          absl::Time deadline) const;

  // Adds image `index` as an unpublished photo of the Page; its photo id.
  absl::StatusOr<std::string> AddUnpublishedPhoto(const PublishRequest& request, size_t index,
                                                  Credential& credential);

  const FacebookChannelOptions options_;
  common::HttpClient& http_;  // fetches the images (the Graph calls go through graph_)
  GraphClient graph_;
};

}  // namespace carecast::publisher
