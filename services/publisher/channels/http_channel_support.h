// What every HTTP adapter shares: turning a transport failure, an HTTP answer
// or a credential source's failure into one of the five channel error kinds, the Retry-After and
// reset headers, the per-call timeout bounded by the claim's deadline, the text match used to find
// a post again on networks without an idempotency key, and fetching a post's images from their
// references for the networks that take uploads.
#pragma once

#include <cstddef>
#include <cstdint>
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

namespace carecast::publisher {

// Whether the failed call created something: a create (publish, reply,
// container) may have been acted on; a read or delete can simply be repeated.
enum class CallKind { kCreate, kRead };

// A transport failure (HttpClient::Send's error) as a channel error: UNAVAILABLE
// (never reached the server) is retryable; anything else is retryable for a read
// and, for a create, outcome-unknown with the request possibly still in flight.
absl::Status TransportFailure(const absl::Status& transport, CallKind kind,
                              std::string_view network);

// The default reading of an HTTP error answer (status >= 300) for networks
// that say nothing more specific: 401 → auth-expired; 429 → rate-limited after
// `retry_after`; 408 and 5xx → retryable for a read and, for a create,
// outcome-unknown (the server answered, so the request is no longer in flight);
// any other 4xx → permanent. `detail` is the network's own error text (never a
// token); it is put in the message.
absl::Status HttpAnswerFailure(int status, std::string_view detail, CallKind kind,
                               std::string_view network,
                               absl::Duration retry_after = absl::ZeroDuration());

// A failure of CredentialSource::Get or CredentialSource::Refresh as a channel
// error, the one reading every adapter shares (credentials.h):
//   NOT_FOUND (no credentials for the account), UNAUTHENTICATED and
//   PERMISSION_DENIED (a person must reconnect the account; the source has
//   marked it disconnected)                     → kAuthExpired
//   anything else (UNAVAILABLE: a transient failure; the account stays
//   connected and the call is tried again later) → kRetryable
// The message starts with `network`, names `account` and carries the source's
// own message, which never holds a token; it never carries a token either.
absl::Status CredentialFailure(std::string_view network, const absl::Status& status,
                               std::string_view account);

// Retry-After as seconds or an HTTP date; nullopt when absent or malformed.
std::optional<absl::Duration> ParseRetryAfter(std::string_view value, absl::Time now);
// A reset header given in Unix seconds (X, Mastodon give ISO 8601: see below).
std::optional<absl::Time> ParseUnixSeconds(std::string_view value);
// An RFC 3339 / ISO 8601 time ("2026-12-05T10:00:00.000Z").
std::optional<absl::Time> ParseIsoTime(std::string_view value);
std::optional<int64_t> ParseInt(std::string_view value);

// The time left for one call: `per_call` but no later than `deadline`.
// Zero or negative when the deadline has passed (the caller must not send).
absl::Duration CallTimeout(absl::Duration per_call, absl::Time deadline, absl::Time now);

// True when `listed` is the text CareCast sent as `sent`, as the network shows it:
// whitespace runs collapsed and links ignored (X and LinkedIn rewrite them), and
// HTML tags and entities removed (Mastodon and WordPress return HTML).
bool SameTextAsSent(std::string_view sent, std::string_view listed);

// Percent-encodes `value` for a URL query or path segment.
std::string UrlEncode(std::string_view value);

// --- images ------------------------------------------------------------------

// The images of a request as a network takes them, checked before any call:
// at most `max_images` (kPermanent naming both counts) and each with alt text
// that is not blank (kPermanent naming the image). `network` starts messages.
absl::Status CheckMediaRefs(const std::vector<MediaRef>& media, int max_images,
                            std::string_view network);

// One image fetched from its reference.
struct FetchedMedia {
  std::string bytes;
  std::string mime_type;  // MediaRef::mime_type, else the answer's Content-Type
};

// Fetches image `index` (0-based) of a post: GET media.url without credentials,
// within CallTimeout(per_call, deadline). Creates nothing anywhere, so every
// failure is that of a read. Messages say "<network>: image <index + 1>", never
// the URL (it may carry a signature). Deadline already passed → kRetryable,
// nothing sent; transport failure → TransportFailure(kRead); 200 with a body →
// the image; 408, 429, 5xx → kRetryable; any other status, an empty body, or
// more than `max_bytes` bytes (when > 0) → kPermanent.
absl::StatusOr<FetchedMedia> FetchMedia(common::HttpClient& http, const common::Clock& clock,
                                        const MediaRef& media, size_t index,
                                        std::string_view network, absl::Duration per_call,
                                        absl::Time deadline, int64_t max_bytes = 0);

// "image-<index + 1>.<ext>" for a MIME type ("image-1.png"); no extension for
// a type CareCast does not know.
std::string MediaFileName(std::string_view mime_type, size_t index);

// One part of a multipart/form-data body: a field when `filename` is empty,
// else a file with `content_type`.
struct FormPart {
  std::string name;
  std::string data;
  std::string filename;
  std::string content_type;
};
struct FormBody {
  std::string content_type;  // "multipart/form-data; boundary=..."
  std::string body;
};
// `parts` as multipart/form-data (RFC 7578), with a boundary that occurs in no part.
FormBody MultipartForm(const std::vector<FormPart>& parts);

}  // namespace carecast::publisher
