// Turning report text into HTML that shows it as text: every string that comes
// from data (post excerpts, topics, names) goes through HtmlEscape, so markup in
// it is displayed, never interpreted.
#pragma once

#include <string>
#include <string_view>

namespace carecast::metrics {

// `text` with & < > " ' as character references, C0 controls other than tab
// and newline dropped, and bytes that are not well-formed UTF-8 replaced by
// U+FFFD. Safe in element content and in quoted attribute values.
std::string HtmlEscape(std::string_view text);

// Whether `url` may be a link target: an absolute http or https URL with no
// whitespace or control characters. Anything else (javascript:, data:,
// relative) is shown as text, never linked.
bool IsSafeHttpUrl(std::string_view url);

// The standard base64 of SHA-256(`text`), as CSP hash sources carry it. Empty
// only if OpenSSL fails.
std::string Sha256Base64(std::string_view text);

}  // namespace carecast::metrics
