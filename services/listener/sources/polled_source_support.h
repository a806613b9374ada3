// What the polled mention sources (Mastodon notifications, X recent search)
// share: the MentionSource error reading of a transport failure or an HTTP
// answer, the time and id formats of the networks, and entity decoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include <nlohmann/json.hpp>

#include "services/listener/sources/mention_source.h"

namespace carecast::listener {

// HttpClient::Send's error as UNAVAILABLE (a read: every transport failure is
// worth trying again next period). The message is "<network>: " and the
// client's own, which names the host and never a header or body.
absl::Status SourceTransportFailure(std::string_view network, const absl::Status& transport);

// An HTTP answer that is neither 2xx nor 429: 401 → UNAUTHENTICATED; 408 and
// 5xx → UNAVAILABLE; any other status → FAILED_PRECONDITION. `detail` is the
// network's own error text (never a token or mention text), cut to 200 bytes.
absl::Status SourceHttpFailure(std::string_view network, int status, std::string_view detail);

// What a 429 answers (mention_source.h): an empty page that keeps
// `checkpoint`, not to be read again before the network's `reset`, or a
// minute from `now` when the network gave no usable reset.
SourcePage RateLimitedPage(std::string_view checkpoint, std::optional<absl::Time> reset,
                           absl::Time now);

// An RFC 3339 time ("2026-12-05T10:00:00.000Z", "...+01:00"); nullopt otherwise.
std::optional<absl::Time> ParseRfc3339(std::string_view value);

google::protobuf::Timestamp ProtoTimestamp(absl::Time time);

// Percent-encodes everything but RFC 3986's unreserved characters.
std::string UrlEncode(std::string_view value);

// Whether the decimal id `a` is older than `b`. The networks promise only a
// string of digits, of varying length: compared by length, then digit by
// digit, so no integer type bounds them.
bool IdLess(std::string_view a, std::string_view b);

// Decodes &amp; &lt; &gt; &quot; &#39; &apos; and numeric references
// (&#233; &#xE9;) in one pass; anything else is kept as it is.
std::string DecodeHtmlEntities(std::string_view text);

// The string member `name` of a JSON object; empty when `object` is not an
// object or the member is missing or not a string.
std::string JsonString(const nlohmann::json& object, const char* name);

// `url` without trailing slashes, so "{base}/api/..." never has "//".
std::string WithoutTrailingSlash(std::string url);

}  // namespace carecast::listener
