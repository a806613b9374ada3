// The Mastodon adapter: statuses on one instance through its REST API
// (docs/channels/mastodon.md). Exactly once through Mastodon's Idempotency-Key
// (kept by the instance for up to an hour); after an unknown outcome the
// account's own statuses are listed, never re-posted, to find the post again.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
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

struct MastodonChannelOptions {
  // The instance, e.g. "https://mastodon.social" (a trailing slash is dropped). No default:
  // required.
  std::string base_url;
  // The longest one HTTP call may take; a request's deadline can shorten it (20s).
  absl::Duration call_timeout = absl::Seconds(20);
  // FindPublished looks at statuses created at or after `since` less this, for
  // clock skew between CareCast and the instance (2 minutes).
  absl::Duration find_slack = absl::Minutes(2);
  // The most listing pages (40 statuses each) one FindPublished or ListRecent
  // reads (5).
  int max_list_pages = 5;
  // While an uploaded image is still processing (HTTP 202), how often its state is
  // read (1s) and how many times before the post is given up as retryable (15).
  absl::Duration media_poll_interval = absl::Seconds(1);
  int max_media_polls = 15;
};

// Credential: access_token is the user's OAuth token (scopes read, write);
// fields "user_id" (the account's id on the instance; optional: when absent it
// is read once with verify_credentials and cached). Rate bucket:
// {"mastodon", "account", <account>}, fed by X-RateLimit-*.
//
// Thread-safe. The HTTP client, credential source, rate limiter and clock are
// not owned and must outlive the channel. Errors are channel errors
// (MakeChannelError); no message carries a token.
class MastodonChannel final : public Channel {
 public:
  MastodonChannel(MastodonChannelOptions options, common::HttpClient& http,
                  CredentialSource& credentials, RateLimiter& limiter, const common::Clock& clock);

  IdempotencyModel idempotency() const override { return IdempotencyModel::kNativeKey; }
  // POST /api/v1/statuses with Idempotency-Key = request.idempotency_key, after
  // uploading each image (POST /api/v2/media).
  absl::StatusOr<Receipt> Publish(const PublishRequest& request) override;
  // Lists the account's statuses back to `since` less find_slack and matches
  // the text (SameTextAsSent on the HTML content) and in_reply_to_id. Creates
  // nothing. UNAVAILABLE (retryable) when max_list_pages did not reach back.
  absl::StatusOr<std::optional<Receipt>> FindPublished(const PublishRequest& request,
                                                       absl::Time since) override;
  absl::Status Delete(std::string_view account, std::string_view external_id) override;
  // RemotePost.text is the content as plain text (paragraphs and line breaks as
  // newlines, links as their full URL).
  absl::StatusOr<std::vector<RemotePost>> ListRecent(std::string_view account, absl::Time since,
                                                     int limit) override;
  // favourites, reblogs, replies; impressions and clicks are not reported (-1).
  absl::StatusOr<Engagement> ReadEngagement(std::string_view account,
                                            std::string_view external_id) override;
  // followers_count of GET /api/v1/accounts/verify_credentials (the token's own account).
  absl::StatusOr<int64_t> ReadFollowers(std::string_view account) override;

 private:
  // One HTTP exchange with the instance.
  struct ApiCall {
    std::string method = "GET";
    std::string path;  // "/api/v1/...", with the query
    std::string body;
    std::string content_type;
    std::string idempotency_key;  // sent as Idempotency-Key when not empty
    CallKind kind = CallKind::kRead;
    absl::Time deadline = absl::InfiniteFuture();
  };
  // The account's statuses, newest first, and whether the listing reached back
  // past `since` (or to the account's first status).
  struct Listing {
    std::vector<RemotePost> posts;
    bool complete = false;
  };

  RateBucket Bucket(std::string_view account) const;
  // Sends `call` with the account's token; on 401 refreshes the token once and
  // sends it once more. Any answer is returned; errors are channel errors.
  absl::StatusOr<common::HttpReply> Call(std::string_view account, const ApiCall& call);
  absl::StatusOr<common::HttpReply> SendOnce(std::string_view account, const std::string& token,
                                             const ApiCall& call);
  void ObserveRate(std::string_view account, const common::HttpReply& reply);
  // The channel error for an answer >= 300.
  absl::Status Failure(const common::HttpReply& reply, CallKind kind) const;
  absl::StatusOr<std::string> AccountId(std::string_view account, absl::Time deadline);
  absl::StatusOr<Listing> ListSince(std::string_view account, absl::Time since, size_t max_posts,
                                    absl::Time deadline);
  absl::StatusOr<std::string> UploadMedia(std::string_view account, const MediaRef& media,
                                          size_t index, absl::Time deadline);
  absl::Status AwaitMedia(std::string_view account, const std::string& media_id,
                          absl::Time deadline);

  const MastodonChannelOptions options_;
  common::HttpClient& http_;
  CredentialSource& credentials_;
  RateLimiter& limiter_;
  const common::Clock& clock_;

  std::mutex mu_;
  // Instance account ids read with verify_credentials, by CareCast account.
  std::map<std::string, std::string, std::less<>> account_ids_ ABSL_GUARDED_BY(mu_);
};

// Mastodon's HTML content as the plain text that was posted: paragraphs and
// <br> become newlines, a link becomes its href (the full URL Mastodon shortens
// in the text), a mention or hashtag keeps its text; entities stay encoded.
// Exposed for tests.
std::string MastodonContentToText(std::string_view html);

}  // namespace carecast::publisher
