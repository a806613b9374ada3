// The LinkedIn adapter: versioned REST API (Posts API, socialActions) with a
// Bearer token, `LinkedIn-Version` and `X-Restli-Protocol-Version: 2.0.0` on
// every call. LinkedIn has no idempotency key, so a create is sent once and
// never repeated here; an unknown outcome is reconciled by FindPublished, which
// lists the author's posts (or, for a reply, the comments on its post) since the
// attempt and matches the text. docs/channels/linkedin.md has the details.
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
#include "services/publisher/channels/http_channel_support.h"
#include "services/publisher/channels/rate_limiter.h"

namespace carecast::publisher {

struct LinkedInChannelOptions {
  // The API root, no trailing slash ("https://api.linkedin.com").
  std::string base_url = "https://api.linkedin.com";
  // One HTTP call's timeout, shortened to the request's deadline (20s).
  absl::Duration call_timeout = absl::Seconds(20);
  // Sent as LinkedIn-Version ("202611"). LinkedIn sunsets versions about a
  // year after release; an inactive one is refused (kPermanent naming it).
  std::string linkedin_version = "202611";
  // FindPublished reads at most this many pages of 50 posts or comments (3);
  // more changed since the attempt and it cannot tell (UNAVAILABLE).
  int max_find_pages = 3;
  // FindPublished also looks this far before `since` (2 min), for clock skew.
  absl::Duration find_slack = absl::Minutes(2);
  // How long a 429 without Retry-After blocks its bucket (5 min). LinkedIn's
  // daily quotas reset at midnight UTC; the adapter simply tries again later.
  absl::Duration rate_block = absl::Minutes(5);
};

// Credential: access_token is the member's OAuth 2.0 token (3-legged);
// fields["author_urn"] is the author, "urn:li:organization:<id>" (a page, needs
// w_organization_social / r_organization_social, and rw_organization_admin for
// its share statistics) or "urn:li:person:<id>".
//
// External ids: a post is its URN (urn:li:share:… or urn:li:ugcPost:…); a
// reply is a comment, whose id is its comment URN
// "urn:li:comment:(<post or activity urn>,<comment id>)". request.in_reply_to
// may be either: a post URN makes a comment on the post, a comment URN a reply
// to that comment (parentComment).
//
// Rate limits: LinkedIn signals only 429 (no remaining/reset headers). Every
// call (image uploads included) draws on {"linkedin", "app", ""} and {"linkedin", "member",
// account}; a 429 whose message names the APPLICATION quota blocks the app bucket, any other 429
// the member bucket, until Retry-After (or options.rate_block).
//
// Thread-safe (no state of its own). The client, credentials, limiter and clock
// are not owned and must outlive the channel. Errors are channel errors
// (MakeChannelError); no message carries a token.
class LinkedInChannel final : public Channel {
 public:
  LinkedInChannel(LinkedInChannelOptions options, common::HttpClient& http,
                  CredentialSource& credentials, RateLimiter& limiter, const common::Clock& clock);

  IdempotencyModel idempotency() const override { return IdempotencyModel::kNone; }

  // Creates a post (POST /rest/posts), or a comment when request.in_reply_to is
  // set. Images (at most 20, one on a comment, each with alt text; else
  // kPermanent before any call) are fetched and uploaded first (Images API:
  // initializeUpload, then PUT to its uploadUrl); those calls create no post,
  // fail like reads and leave the post unsent. One image is content.media,
  // more content.multiImage. A duplicate refusal (422 "Content is a duplicate
  // of …") is kPermanent with "duplicate" in the message.
  absl::StatusOr<Receipt> Publish(const PublishRequest& request) override;
  absl::StatusOr<std::optional<Receipt>> FindPublished(const PublishRequest& request,
                                                       absl::Time since) override;
  // A post or a comment (by its URN).
  absl::Status Delete(std::string_view account, std::string_view external_id) override;
  // The author's posts (not comments) created since `since`.
  absl::StatusOr<std::vector<RemotePost>> ListRecent(std::string_view account, absl::Time since,
                                                     int limit) override;
  // likes and replies (comments) from GET /rest/socialActions/{urn}; 404 there
  // is NOT_FOUND. For an organization author, a post's impressions, clicks and
  // shares then come from its share statistics (GET
  // /rest/organizationalEntityShareStatistics), which also give likes and
  // replies when socialActions left them out. A statistics refusal the token
  // cannot get past (403: no rw_organization_admin) or a missing element or
  // field leaves those figures -1; a 429, 401 or 5xx there fails the reading.
  // A member author's post has no share statistics: no call, those stay -1.
  absl::StatusOr<Engagement> ReadEngagement(std::string_view account,
                                            std::string_view external_id) override;
  // An organization author's followers: firstDegreeSize of GET
  // /rest/networkSizes/{organization urn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER.
  // A person author: UNIMPLEMENTED (a member's network size needs a partner program).
  absl::StatusOr<int64_t> ReadFollowers(std::string_view account) override;

  // "https://www.linkedin.com/feed/update/<urn>/".
  static std::string PostUrl(std::string_view urn);

  // LinkedIn's "little text" format: commentary and comment text must escape
  // the reserved characters | { } @ [ ] ( ) < > # \ * _ ~ with a backslash
  // (links are left as they are). Unescape reverses it.
  static std::string EscapeLittleText(std::string_view text);
  static std::string UnescapeLittleText(std::string_view text);

 private:
  struct Call;
  struct Page;

  absl::StatusOr<common::HttpReply> Send(const Call& call, Credential& credential);
  absl::StatusOr<common::HttpReply> SendOnce(const Call& call, const Credential& credential);
  absl::Status AcquireBudget(std::string_view account);
  void ObserveRate(std::string_view account, const common::HttpReply& reply);
  absl::StatusOr<Credential> CredentialsOf(std::string_view account);
  absl::StatusOr<Page> ReadPostsPage(std::string_view account, Credential& credential, int start,
                                     absl::Time deadline);
  absl::StatusOr<Page> ReadCommentsPage(std::string_view account, Credential& credential,
                                        std::string_view object, int start, absl::Time deadline);
  absl::StatusOr<Receipt> PublishComment(const PublishRequest& request, Credential& credential,
                                         const std::string& author,
                                         const std::vector<std::string>& images);
  // Fetches image `index` and uploads it for `author`; its image URN.
  absl::StatusOr<std::string> UploadImage(const PublishRequest& request, size_t index,
                                          Credential& credential, const std::string& author);
  bool IsUploadUrlAllowed(std::string_view url) const;
  // Fills `engagement` from the share statistics of `post` (a share or
  // ugcPost URN of `organization`; any other URN: no call) as ReadEngagement says.
  absl::Status ReadShareStatistics(std::string_view account, Credential& credential,
                                   std::string_view organization, std::string_view post,
                                   Engagement& engagement);
  absl::StatusOr<std::optional<Receipt>> FindIn(const PublishRequest& request, absl::Time since,
                                                Credential& credential, const std::string& author);

  const LinkedInChannelOptions options_;
  common::HttpClient& http_;
  CredentialSource& credentials_;
  RateLimiter& limiter_;
  const common::Clock& clock_;
};

}  // namespace carecast::publisher
