// A social network (or the sandbox) behind one adapter interface. Publish sends
// one post version; FindByMarker looks a version up by its idempotency key so an
// unknown outcome can be reconciled instead of blindly retried.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "carecast/v1/resources.pb.h"

namespace carecast::publisher {

// One post version to send. `idempotency_key` is "<post id>.v<content version>":
// the same key always means the same post version.
struct PublishRequest {
  std::string post;  // `posts/{post}`
  int64_t content_version = 0;
  std::string idempotency_key;
  std::string account;  // `spokes/{spoke}/accounts/{account}`
  carecast::v1::Network network = carecast::v1::NETWORK_UNSPECIFIED;
  std::string text;
};

// What the network gave back for an accepted post.
struct Receipt {
  std::string external_id;
  std::string url;
};

// How a failed channel call must be handled. Decided in one place
// (ClassifyChannelError); every handler switches over it without a default.
enum class ChannelErrorKind {
  kRetryable,       // not sent; safe to try again later
  kRateLimited,     // not sent; try again after retry_after
  kAuthExpired,     // credentials rejected; a person must renew them
  kPermanent,       // the network refuses this post; retrying cannot help
  kOutcomeUnknown,  // the request may have been accepted (e.g. timeout after send)
};

// "sandbox", "x", "facebook", "linkedin", "instagram", "mastodon"; "unspecified"
// otherwise. Used for metric labels and records.
std::string_view NetworkLabel(carecast::v1::Network network);
// The inverse of NetworkLabel; NETWORK_UNSPECIFIED when unknown.
carecast::v1::Network ParseNetworkLabel(std::string_view label);

// "retryable", "rate_limited", "auth_expired", "permanent", "outcome_unknown".
std::string_view ChannelErrorKindName(ChannelErrorKind kind);

// An error status carrying `kind` (and, for kRateLimited, the wait the network asked for).
absl::Status MakeChannelError(ChannelErrorKind kind, std::string_view message,
                              absl::Duration retry_after = absl::ZeroDuration());

struct ChannelFailure {
  ChannelErrorKind kind = ChannelErrorKind::kPermanent;
  absl::Duration retry_after = absl::ZeroDuration();
  std::string message;
};

// The one classification of channel errors. Statuses made by MakeChannelError map
// back to their kind; any other status is classified by its code, conservatively
// (a code that could mean "maybe sent" is kOutcomeUnknown). `status` must not be OK.
ChannelFailure ClassifyChannelError(const absl::Status& status);

// Thread-safe. Errors of Publish are classified by ClassifyChannelError.
class Channel {
 public:
  virtual ~Channel() = default;

  virtual absl::StatusOr<Receipt> Publish(const PublishRequest& request) = 0;

  // The receipt of the post sent with `idempotency_key`, nullopt when the network
  // definitely has none, UNAVAILABLE when it cannot tell.
  virtual absl::StatusOr<std::optional<Receipt>> FindByMarker(std::string_view idempotency_key) = 0;
};

}  // namespace carecast::publisher
