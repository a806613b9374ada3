// What every HTTP adapter shares: turning a transport failure or an HTTP answer
// into one of the five channel error kinds, the Retry-After and reset headers,
// the per-call timeout bounded by the claim's deadline, and the text match used
// to find a post again on networks without an idempotency key.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

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

}  // namespace carecast::publisher
