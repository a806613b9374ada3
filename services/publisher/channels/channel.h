// A social network (or the sandbox) behind one adapter interface: publish (and
// reply), find a post version again after an unknown outcome (so it is
// reconciled, never blindly re-sent), delete, list the account's own posts, and
// read engagement. The five error kinds are decided in ClassifyChannelError.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "carecast/v1/resources.pb.h"

namespace carecast::publisher {

// An image sent with a post: fetched by the network (Instagram) or uploaded by
// the adapter from `url`. Alt text is required (checked at approval).
struct MediaRef {
  std::string url;
  std::string alt_text;
  std::string mime_type;  // "image/jpeg", "image/png"
};

// One post version to send. `idempotency_key` is "<post id>.v<content version>":
// the same key always means the same post version.
struct PublishRequest {
  std::string post;  // `posts/{post}`
  int64_t content_version = 0;
  std::string idempotency_key;
  std::string account;  // `spokes/{spoke}/accounts/{account}`
  carecast::v1::Network network = carecast::v1::NETWORK_UNSPECIFIED;
  std::string text;
  // External id of the post this one answers (a thread or a reply); empty for a
  // top-level post.
  std::string in_reply_to;
  // The posts that follow `text` as a thread (thread_publishing.h sends them
  // one by one as PartRequests); adapters always get a request without any.
  std::vector<std::string> thread_parts;
  std::vector<MediaRef> media;
  // What an earlier attempt of this claim saved with save_progress (the post's
  // channel_progress), e.g. {"container_id": "..."}.
  std::map<std::string, std::string> progress;
  // Stores key=value in the post's channel_progress durably before the adapter
  // goes on (two-phase channels). An error means nothing was published: the
  // adapter returns it as retryable. Unset: nothing can be saved (tests).
  std::function<absl::Status(std::string_view key, std::string_view value)> save_progress;
  // Every network call of this request must finish by then (the claim's lease,
  // less a margin). InfiniteFuture: the adapter's own timeout alone.
  absl::Time deadline = absl::InfiniteFuture();
};

// What the network gave back for an accepted post.
struct Receipt {
  std::string external_id;
  std::string url;
};

// One of the account's own posts as the network lists it.
struct RemotePost {
  std::string external_id;
  std::string url;
  std::string text;
  absl::Time create_time = absl::UnixEpoch();
  std::string in_reply_to;  // external id of the parent, if any
};

// What the network says about one post now. -1: the network does not report it
// (or not to this token).
struct Engagement {
  int64_t likes = -1;
  int64_t shares = -1;       // reposts, boosts, shares
  int64_t replies = -1;      // comments
  int64_t impressions = -1;  // views or reach
  int64_t clicks = -1;
};

// How a network lets a create be made exactly once (docs/channels.md).
enum class IdempotencyModel {
  // The network deduplicates on a key we send (Mastodon's Idempotency-Key, the
  // webhook's delivery id): a retry with the same key cannot create a second post
  // while the network remembers the key.
  kNativeKey,
  // We choose the record's key (Bluesky's rkey): a second create is refused.
  kClientRecordKey,
  // Create a container, then publish it; the container's status says whether it
  // was published (Instagram). The container id is saved between the phases.
  kTwoPhase,
  // Nothing (X, Facebook, LinkedIn, WordPress): a create whose outcome is unknown
  // is never sent again blindly; it is looked for among the account's posts.
  kNone,
};

// "native_key", "client_record_key", "two_phase", "none".
std::string_view IdempotencyModelName(IdempotencyModel model);

// How a failed channel call must be handled. Decided in one place
// (ClassifyChannelError); every handler switches over it without a default.
enum class ChannelErrorKind {
  kRetryable,       // not sent; safe to try again later
  kRateLimited,     // not sent; try again after retry_after
  kAuthExpired,     // credentials rejected; a person must renew them
  kPermanent,       // the network refuses this post; retrying cannot help
  kOutcomeUnknown,  // the request may have been accepted (e.g. timeout after send)
};

// "sandbox", "x", "facebook", "linkedin", "instagram", "mastodon", "bluesky",
// "wordpress", "webhook"; "unspecified" otherwise. Used for metric labels and records.
std::string_view NetworkLabel(carecast::v1::Network network);
// The inverse of NetworkLabel; NETWORK_UNSPECIFIED when unknown.
carecast::v1::Network ParseNetworkLabel(std::string_view label);

// "retryable", "rate_limited", "auth_expired", "permanent", "outcome_unknown".
std::string_view ChannelErrorKindName(ChannelErrorKind kind);

// An error status carrying `kind` (and, for kRateLimited, the wait the network
// asked for). `may_be_in_flight` (kOutcomeUnknown only): no answer came back (a
// timeout or a broken connection), so the network may still be acting on the
// request; without it the network answered (e.g. a 5xx) and is done with it.
absl::Status MakeChannelError(ChannelErrorKind kind, std::string_view message,
                              absl::Duration retry_after = absl::ZeroDuration(),
                              bool may_be_in_flight = false);

struct ChannelFailure {
  ChannelErrorKind kind = ChannelErrorKind::kPermanent;
  absl::Duration retry_after = absl::ZeroDuration();
  // See MakeChannelError. Statuses not made by it count as in flight when
  // kOutcomeUnknown (the conservative reading).
  bool may_be_in_flight = false;
  std::string message;
};

// The one classification of channel errors. Statuses made by MakeChannelError map
// back to their kind; any other status is classified by its code, conservatively
// (a code that could mean "maybe sent" is kOutcomeUnknown). `status` must not be OK.
ChannelFailure ClassifyChannelError(const absl::Status& status);

// One network behind one interface. Thread-safe. Every error is classified by
// ClassifyChannelError (adapters build them with MakeChannelError). Adapters
// never log or return a token.
class Channel {
 public:
  virtual ~Channel() = default;

  virtual IdempotencyModel idempotency() const = 0;

  // Sends one post version (a reply when request.in_reply_to is set).
  virtual absl::StatusOr<Receipt> Publish(const PublishRequest& request) = 0;

  // Reconciliation after an unknown outcome or an abandoned claim: the receipt
  // of `request` when the network has it, nullopt when it has definitely not got
  // it, UNAVAILABLE (or another error) when it cannot tell. `since` is when the
  // attempt began; posts created well before it are not considered.
  virtual absl::StatusOr<std::optional<Receipt>> FindPublished(const PublishRequest& request,
                                                               absl::Time since) = 0;

  // Removes a post. NOT_FOUND (permanent) when the network has no such post.
  virtual absl::Status Delete(std::string_view account, std::string_view external_id) = 0;

  // The account's own posts created at or after `since`, newest first, at most `limit`.
  virtual absl::StatusOr<std::vector<RemotePost>> ListRecent(std::string_view account,
                                                             absl::Time since, int limit) = 0;

  // The current engagement of one of the account's posts. NOT_FOUND (permanent)
  // when the network no longer has the post.
  virtual absl::StatusOr<Engagement> ReadEngagement(std::string_view account,
                                                    std::string_view external_id) = 0;

  // The account's follower count now (page followers, subscribers).
  // UNIMPLEMENTED when the adapter cannot tell it; other errors as for every call.
  virtual absl::StatusOr<int64_t> ReadFollowers(std::string_view /*account*/) {
    return absl::UnimplementedError("this channel does not report followers");
  }
};

}  // namespace carecast::publisher
