// The Bluesky adapter: app.bsky.feed.post records in the account's repository
// on its PDS, through XRPC (docs/channels/bluesky.md). Exactly once through a
// client-chosen record key derived from the idempotency key: a retry targets
// the same record, which the PDS refuses to create twice, and FindPublished
// reads that one record with getRecord.
#pragma once

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

struct BlueskyChannelOptions {
  // The account's PDS, e.g. "https://bsky.social" (a trailing slash is dropped). No
  // default: required. (A credential's "pds_url" field is ignored.)
  std::string base_url;
  // The longest one HTTP call may take; a request's deadline can shorten it (20s).
  absl::Duration call_timeout = absl::Seconds(20);
  // Where posts are shown: "<app_url>/profile/<handle>/post/<rkey>" ("https://bsky.app").
  std::string app_url = "https://bsky.app";
  // Put in every post's `langs` (BCP 47 tags; empty, the default: none).
  std::vector<std::string> langs;
  // listRecords pages (100 records each) one ListRecent reads at most (10).
  int max_list_pages = 10;
};

// Credential fields: "handle", "did", "app_password" (an app password, never
// the account password); access_token is not sent: the adapter keeps its own
// session per account (createSession, refreshSession). When createSession
// refuses the app password, CredentialSource::Refresh(account, access_token)
// is called: it marks the account disconnected (kAuthExpired naming the
// account) or hands out newer credentials, with which createSession is tried
// once more; a transiently failing source is kRetryable. Rate buckets:
// {"bluesky", "account", <account>} for record calls and {"bluesky", "session",
// <account>} for session calls (their own, smaller budget), fed by RateLimit-*.
//
// Thread-safe. The HTTP client, credential source, rate limiter and clock are
// not owned and must outlive the channel. Errors are channel errors; no message
// carries a password or a token.
class BlueskyChannel final : public Channel {
 public:
  BlueskyChannel(BlueskyChannelOptions options, common::HttpClient& http,
                 CredentialSource& credentials, RateLimiter& limiter, const common::Clock& clock);

  IdempotencyModel idempotency() const override { return IdempotencyModel::kClientRecordKey; }
  // com.atproto.repo.createRecord with rkey = BlueskyRecordKey(idempotency_key).
  // A reply (in_reply_to: the parent's at:// URI) reads the parent first for its
  // cid and thread root; images are uploaded with uploadBlob. When the PDS says
  // the record exists, the record is read: the same text is this post version
  // (an earlier attempt landed: its receipt); other text is kPermanent
  // ("duplicate"). Receipt: external_id the at:// URI, url the bsky.app page.
  absl::StatusOr<Receipt> Publish(const PublishRequest& request) override;
  // getRecord of the derived rkey; `since` is not needed.
  absl::StatusOr<std::optional<Receipt>> FindPublished(const PublishRequest& request,
                                                       absl::Time since) override;
  // `external_id` is an at:// URI of this account's repository.
  absl::Status Delete(std::string_view account, std::string_view external_id) override;
  // listRecords pages (keys derived from hashes are not in time order, so up to
  // max_list_pages are read), filtered on createdAt and sorted newest first.
  absl::StatusOr<std::vector<RemotePost>> ListRecent(std::string_view account, absl::Time since,
                                                     int limit) override;
  // app.bsky.feed.getPosts: likes, shares (reposts + quotes), replies;
  // impressions and clicks are not reported (-1).
  absl::StatusOr<Engagement> ReadEngagement(std::string_view account,
                                            std::string_view external_id) override;
  // followersCount of app.bsky.actor.getProfile for the session's own did.
  absl::StatusOr<int64_t> ReadFollowers(std::string_view account) override;

 private:
  struct Session {
    std::string access_jwt;
    std::string refresh_jwt;
    std::string did;
    std::string handle;
  };
  // One XRPC call.
  struct ApiCall {
    std::string method = "GET";
    std::string nsid;   // "com.atproto.repo.createRecord"
    std::string query;  // without '?'
    std::string body;
    std::string content_type = "application/json";
    CallKind kind = CallKind::kRead;
    absl::Time deadline = absl::InfiniteFuture();
  };
  struct StrongRef {
    std::string uri;
    std::string cid;
  };
  // An app.bsky.feed.post record as getRecord returns it.
  struct PostRecord {
    StrongRef ref;
    std::string text;
    std::optional<absl::Time> created_at;
    StrongRef reply_root;    // empty for a top-level post
    StrongRef reply_parent;  // empty for a top-level post
  };

  RateBucket Bucket(std::string_view account, std::string_view scope) const;
  // With the account's session; when the PDS says the access token expired,
  // renews the session once and repeats the call once.
  absl::StatusOr<common::HttpReply> Call(std::string_view account, const ApiCall& call);
  absl::StatusOr<common::HttpReply> SendOnce(const RateBucket& bucket, const std::string& token,
                                             const ApiCall& call);
  void ObserveRate(const RateBucket& bucket, const common::HttpReply& reply);
  absl::Status Failure(const common::HttpReply& reply, CallKind kind) const;

  absl::StatusOr<Session> SessionFor(std::string_view account, absl::Time deadline);
  // A new session unless another caller already replaced `stale_access`:
  // refreshSession, falling back to createSession.
  absl::StatusOr<Session> RenewSession(std::string_view account, const std::string& stale_access,
                                       absl::Time deadline);
  // nullopt: the refresh token was refused (a new session must be created).
  absl::StatusOr<std::optional<Session>> RefreshSession(std::string_view account,
                                                        const Session& session,
                                                        absl::Time deadline);
  absl::StatusOr<Session> CreateSession(std::string_view account, absl::Time deadline);

  // nullopt when the PDS has no such record (RecordNotFound).
  absl::StatusOr<std::optional<PostRecord>> GetRecord(std::string_view account,
                                                      std::string_view uri, absl::Time deadline);
  // The createRecord body, as JSON text (reply refs and images resolved).
  absl::StatusOr<std::string> CreateRecordBody(const PublishRequest& request,
                                               const Session& session, const std::string& rkey);
  // The uploaded blob's JSON (the `blob` of uploadBlob's answer).
  absl::StatusOr<std::string> UploadImage(const PublishRequest& request, size_t index);
  // After createRecord was refused: the receipt when the record at `rkey`
  // holds this post's text, nullopt when there is none, kPermanent
  // ("duplicate") when it holds other text.
  absl::StatusOr<std::optional<Receipt>> ExistingRecord(const PublishRequest& request,
                                                        const Session& session,
                                                        const std::string& rkey);
  std::string PostUrl(const Session& session, std::string_view rkey) const;

  const BlueskyChannelOptions options_;
  common::HttpClient& http_;
  CredentialSource& credentials_;
  RateLimiter& limiter_;
  const common::Clock& clock_;

  // Held while a session is created or refreshed, so concurrent callers of one
  // account do not spend the small createSession budget twice.
  std::mutex session_mu_;
  std::mutex mu_;
  std::map<std::string, Session, std::less<>> sessions_ ABSL_GUARDED_BY(mu_);
};

// The record key of a post version: a TID-syntax key (13 characters of
// base32-sortable, top bit zero) made from the first 64 bits of
// SHA-256(idempotency_key). The same key always gives the same rkey, in every
// process and build. It is not time-ordered (see docs/channels/bluesky.md).
std::string BlueskyRecordKey(std::string_view idempotency_key);

// Whether `rkey` has TID syntax: 13 characters of "234567abcdefghijklmnopqrstuvwxyz",
// the first one of "234567abcdefghij".
bool IsTidSyntax(std::string_view rkey);

}  // namespace carecast::publisher
