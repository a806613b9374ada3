// The Instagram adapter on the Instagram Graph API (Instagram API with Facebook
// Login): an image post is made in two phases, a media container (POST
// /{ig-user-id}/media) and its publication (POST /{ig-user-id}/media_publish).
// The container id is saved (PublishRequest::save_progress) before the second
// phase, and before publishing again the container's status_code is read:
// PUBLISHED means done, so a retry can never publish twice. A reply is a
// comment (POST /{media-id}/comments). docs/channels/instagram.md has the details.
#pragma once

#include <cstdint>
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
#include "services/publisher/channels/meta_graph.h"
#include "services/publisher/channels/rate_limiter.h"

namespace carecast::publisher {

struct InstagramChannelOptions {
  // The Graph API root, no trailing slash ("https://graph.facebook.com").
  std::string base_url = "https://graph.facebook.com";
  // The Graph API version of every URL ("v21.0").
  std::string graph_version = "v21.0";
  // One HTTP call's timeout, shortened to the request's deadline (20s).
  absl::Duration call_timeout = absl::Seconds(20);
  // While a container is IN_PROGRESS its status is read again after this
  // pause (1s), doubling up to container_poll_max (5s), at most
  // max_status_reads times (10) and never past the request's deadline; still
  // not ready → kRetryable (the saved container is reused next attempt).
  absl::Duration container_poll_initial = absl::Seconds(1);
  absl::Duration container_poll_max = absl::Seconds(5);
  int max_status_reads = 10;
  // The publishing quota (content_publishing_limit) is read at most this often
  // per account (60s); publishing in between counts against the cached figure.
  absl::Duration quota_cache_ttl = absl::Seconds(60);
  // A spent publishing quota holds new posts of the account this long (1h):
  // Meta's window is a rolling 24 hours and it does not say when a slot frees.
  absl::Duration quota_block = absl::Hours(1);
  // Media listings read at most this many pages of 25 (4); FindPublished also
  // looks this far before `since` (2 min), for clock skew.
  int max_find_pages = 4;
  absl::Duration find_slack = absl::Minutes(2);
};

// Credential: access_token is the token (a Facebook User or Page token with
// instagram_content_publish, or an Instagram User token); fields["ig_user_id"]
// is the Instagram professional account's id. The token is not OAuth-refreshed:
// on a refusal (190) GraphClient asks CredentialSource::Refresh, which marks
// the account disconnected (kAuthExpired, a person must reconnect it) or hands
// out a newer token from the token file, with which the call is sent once more.
//
// Rate-limit buckets:
//   {"instagram", "app", ""}         X-App-Usage, code 4
//   {"instagram", "page", account}   X-Business-Use-Case-Usage, codes 80001-80014
//   {"instagram", "publish", account}  the publishing quota (content_publishing_limit)
//
// Thread-safe (the quota cache is locked). The client, credentials, limiter and
// clock are not owned and must outlive the channel. Errors are channel errors
// (MakeChannelError); no message carries a token.
class InstagramChannel final : public Channel {
 public:
  InstagramChannel(InstagramChannelOptions options, common::HttpClient& http,
                   CredentialSource& credentials, RateLimiter& limiter, const common::Clock& clock);

  IdempotencyModel idempotency() const override { return IdempotencyModel::kTwoPhase; }

  // A top-level post needs an image (media[0]; its alt text goes with it);
  // without one it is kPermanent "Instagram needs an image". With
  // request.progress["container_id"] from an earlier attempt, that container's
  // status decides: PUBLISHED → the receipt of the media it made (never a second
  // publish); FINISHED or IN_PROGRESS → publish it; EXPIRED, ERROR or gone → a
  // new container. A new container is made only while the publishing quota
  // allows (else kRateLimited). save_progress failing → kRetryable.
  // A reply (in_reply_to = a media id) is a comment, text only.
  absl::StatusOr<Receipt> Publish(const PublishRequest& request) override;
  // With a container id in request.progress: PUBLISHED → the media with the
  // caption (UNAVAILABLE while it is not listed yet); any other status → nullopt
  // (not published). Without one (or when the container is gone): the account's
  // media since `since` − find_slack matched by caption. A reply: the parent's
  // comments matched by text.
  absl::StatusOr<std::optional<Receipt>> FindPublished(const PublishRequest& request,
                                                       absl::Time since) override;
  // The Instagram Graph API cannot delete feed media: always kPermanent.
  absl::Status Delete(std::string_view account, std::string_view external_id) override;
  absl::StatusOr<std::vector<RemotePost>> ListRecent(std::string_view account, absl::Time since,
                                                     int limit) override;
  // likes and replies (comments); shares, impressions and clicks are -1
  // (impressions need the insights edge: not read).
  absl::StatusOr<Engagement> ReadEngagement(std::string_view account,
                                            std::string_view external_id) override;
  // followers_count of GET /{ig-user-id}?fields=followers_count.
  absl::StatusOr<int64_t> ReadFollowers(std::string_view account) override;

 private:
  struct Container;
  struct MediaPage;
  struct Quota {
    int64_t usage = 0;
    int64_t total = 0;
    absl::Time read_at = absl::InfinitePast();
  };

  absl::StatusOr<Receipt> PublishComment(const PublishRequest& request, Credential& credential);
  // The second phase and what leads to it.
  absl::StatusOr<Receipt> Resume(const PublishRequest& request, Credential& credential,
                                 const Container& container);
  absl::StatusOr<Receipt> PublishNew(const PublishRequest& request, Credential& credential);
  absl::StatusOr<Receipt> WaitAndPublish(const PublishRequest& request, Credential& credential,
                                         Container container);
  absl::StatusOr<Receipt> PublishContainer(const PublishRequest& request, Credential& credential,
                                           const std::string& container_id);
  // media_publish refused: the container's status says whether it is done already.
  absl::StatusOr<Receipt> AfterRefusedPublish(const PublishRequest& request, Credential& credential,
                                              const GraphRequest& publish,
                                              const std::string& container_id,
                                              const common::HttpReply& reply);
  absl::StatusOr<std::string> CreateContainer(const PublishRequest& request,
                                              Credential& credential);
  absl::StatusOr<Container> ReadContainer(std::string_view account, Credential& credential,
                                          const std::string& id, absl::Time deadline) const;
  // The publishing quota allows one more post (cached per account).
  absl::Status CheckQuota(std::string_view account, Credential& credential, absl::Time deadline);
  void CountPublished(std::string_view account);
  // The receipt of the newest media with the request's caption, listed from `start`.
  absl::StatusOr<std::optional<Receipt>> FindMedia(const PublishRequest& request,
                                                   Credential& credential, absl::Time start) const;
  absl::StatusOr<MediaPage> ReadMediaPage(std::string_view account, Credential& credential,
                                          const std::string& after, int limit,
                                          absl::Time deadline) const;
  absl::StatusOr<std::optional<Receipt>> FindComment(const PublishRequest& request,
                                                     Credential& credential,
                                                     absl::Time start) const;
  // The media's permalink; empty when it cannot be read (the post exists anyway).
  std::string PermalinkOf(std::string_view account, Credential& credential,
                          const std::string& media_id, absl::Time deadline) const;

  const InstagramChannelOptions options_;
  GraphClient graph_;
  std::mutex mu_;
  std::map<std::string, Quota> quotas_ ABSL_GUARDED_BY(mu_);
};

}  // namespace carecast::publisher
