// The WordPress adapter: the core REST API (/wp-json/wp/v2) of one site, with an
// Application Password over HTTP Basic auth. WordPress has no idempotency key,
// so a create is sent once and never repeated here; each post version gets a
// deterministic slug ("cc-<post id>-v<version>"), and FindPublished looks the
// version up by that slug after an unknown outcome. docs/channels/wordpress.md
// has the details.
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

struct WordPressChannelOptions {
  // The site root, no trailing slash (e.g. "https://news.example-health.org");
  // the API is under <base_url>/wp-json/wp/v2. No default: every site differs.
  std::string base_url;
  // One HTTP call's timeout, shortened to the request's deadline (20s).
  absl::Duration call_timeout = absl::Seconds(20);
  // The title is the text's first line cut to this many characters (80).
  int title_max_chars = 80;
  // How long a host's 429 without Retry-After blocks the site's bucket (1 min).
  absl::Duration rate_block = absl::Minutes(1);
  // FindPublished's fallback text search and the reply search read at most
  // this many pages (3); more and they cannot tell (UNAVAILABLE).
  int max_find_pages = 3;
  // The text search also looks this far before `since` (2 min), for clock skew.
  absl::Duration find_slack = absl::Minutes(2);
};

// Credential: fields["username"] and fields["app_password"] (an Application
// Password, WordPress >= 5.6, sent as HTTP Basic auth; access_token is unused).
// Application passwords do not expire and are not refreshed, but a 401 makes
// the adapter call CredentialSource::Refresh(account, access_token): the
// source marks the account disconnected (a person must set a new password)
// or hands out newer credentials (an operator's new token file). With another
// username or application password the call is sent once more (a 401 created
// nothing, so also a create); a 401 that remains is auth-expired ("revoked or
// wrong application password") naming the account, a refused refresh
// CredentialFailure (auth-expired, or retryable when the source is
// transiently unavailable).
//
// External ids: a post is its numeric id ("123"); a reply is a comment, whose
// id is "comment:<comment id>@<post id>". request.in_reply_to may be either: a
// post id makes a comment on the post, a comment id a reply to that comment.
//
// Rate limits: WordPress itself has none; hosts and firewalls answer 429 (or
// 503) with Retry-After. Every call draws on {"wordpress", "site", account}; a
// 429, or a 503 with Retry-After, blocks it until then.
//
// Thread-safe (no state of its own). The client, credentials, limiter and clock
// are not owned and must outlive the channel. Errors are channel errors
// (MakeChannelError); no message carries a password.
class WordPressChannel final : public Channel {
 public:
  WordPressChannel(WordPressChannelOptions options, common::HttpClient& http,
                   CredentialSource& credentials, RateLimiter& limiter, const common::Clock& clock);

  IdempotencyModel idempotency() const override { return IdempotencyModel::kNone; }

  // Publishes a post (title, content, status "publish", the version's slug) or,
  // when request.in_reply_to is set, a comment. Images (at most 10, each with
  // alt text; none on a comment; else kPermanent before any call) are fetched,
  // uploaded to the media library (POST /media, then its alt_text) first; those
  // calls create no post, fail like reads and leave the post unsent. The post
  // features the first image and its content ends with every image (ImageHtml).
  // WordPress's duplicate-comment refusal (409 comment_duplicate) is kPermanent
  // with "duplicate" in the message.
  absl::StatusOr<Receipt> Publish(const PublishRequest& request) override;
  // A post: by its slug in every status; when no post has the slug (a site
  // whose plugins rewrite slugs), by its text among the posts without a
  // CareCast slug created since `since`. A reply: by its text and parent among
  // the post's comments since `since`.
  absl::StatusOr<std::optional<Receipt>> FindPublished(const PublishRequest& request,
                                                       absl::Time since) override;
  // Deletes for good (force=true), not to the trash.
  absl::Status Delete(std::string_view account, std::string_view external_id) override;
  // Published posts created since `since`; text is the content as stored (HTML).
  absl::StatusOr<std::vector<RemotePost>> ListRecent(std::string_view account, absl::Time since,
                                                     int limit) override;
  // replies (the comment count, from X-WP-Total); the rest -1.
  absl::StatusOr<Engagement> ReadEngagement(std::string_view account,
                                            std::string_view external_id) override;

  // "cc-<post id>-v<version>", lower case, only [a-z0-9-].
  static std::string SlugFor(const PublishRequest& request);
  // The first line of `text`, whitespace-trimmed, cut to `max_chars` code points.
  static std::string TitleFor(std::string_view text, int max_chars);
  // `text` as HTML paragraphs: blank lines separate <p>s, single newlines
  // become <br />, and & < > " ' are escaped.
  static std::string ContentFor(std::string_view text);
  // An uploaded image as the post's content shows it: a wp-block-image figure
  // whose <img> has the escaped source URL and alt text.
  static std::string ImageHtml(std::string_view source_url, std::string_view alt_text,
                               std::string_view media_id);

 private:
  struct Call;
  struct Listing;
  struct Uploaded {
    std::string id;
    std::string source_url;
  };

  // SendOnce, and on a 401 the refresh described above; `credential` then
  // holds the refreshed credentials for the caller's next calls.
  absl::StatusOr<common::HttpReply> Send(const Call& call, Credential& credential);
  absl::StatusOr<common::HttpReply> SendOnce(const Call& call, const Credential& credential);
  void ObserveRate(std::string_view account, const common::HttpReply& reply);
  absl::StatusOr<Credential> CredentialsOf(std::string_view account);
  absl::StatusOr<Listing> List(std::string_view account, Credential& credential,
                               const std::string& path, absl::Time deadline);
  absl::StatusOr<Receipt> PublishComment(const PublishRequest& request, Credential& credential);
  // Fetches image `index`, uploads it and sets its alt text.
  absl::StatusOr<Uploaded> UploadImage(const PublishRequest& request, size_t index,
                                       Credential& credential);
  absl::StatusOr<std::optional<Receipt>> FindBySlug(const PublishRequest& request,
                                                    Credential& credential);
  absl::StatusOr<std::optional<Receipt>> FindByText(const PublishRequest& request,
                                                    Credential& credential, absl::Time since);
  absl::StatusOr<std::optional<Receipt>> FindComment(const PublishRequest& request,
                                                     Credential& credential, absl::Time since);

  const WordPressChannelOptions options_;
  common::HttpClient& http_;
  CredentialSource& credentials_;
  RateLimiter& limiter_;
  const common::Clock& clock_;
};

}  // namespace carecast::publisher
