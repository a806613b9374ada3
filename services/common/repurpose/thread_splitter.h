// Splits a text too long for one post into a numbered thread, for networks that
// take replies as posts of their own (X, Mastodon, Bluesky). Lengths are the
// network's own (common::networks::TextLength and NetworkRules::max_text_bytes);
// this file only chooses where to cut.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "services/common/networks/network_rules.h"

namespace carecast::common::repurpose {

// Most posts in a generated thread unless the caller says otherwise.
inline constexpr size_t kDefaultMaxThreadParts = 20;

// True when `text` is within the network's text limits: max_text in its
// text_unit and max_text_bytes in bytes (each 0: none).
bool FitsOnePost(const networks::NetworkRules& rules, std::string_view text);

// OK when FitsOnePost; otherwise FAILED_PRECONDITION naming the network, the
// limit and the measured length ("linkedin allows 3000 characters; this text
// has 3412"), never the text.
absl::Status CheckLength(const networks::NetworkRules& rules, std::string_view text);

// The posts of `text` (valid UTF-8, whitespace normalised: NormalizeWhitespace)
// on the network of `rules`: {text} when it fits one post; otherwise 2 to
// `max_parts` posts, each ending " k/n" and fitting the network's limits with
// that numbering counted. Cuts go at the end of a paragraph, line or sentence
// (". ", "! ", "? ", "… ", "。") when that keeps a post at least half as long as
// cutting at the last word that fits would, else at a space, and only inside a
// word longer than a post (CJK runs, long compounds), between grapheme
// clusters. Never inside a link, hashtag, mention or domain, a grapheme
// cluster or a UTF-8 sequence; the spaces at a cut are dropped.
// FAILED_PRECONDITION (naming the network and limit, never the text) when a
// link, hashtag, mention or domain alone does not fit a post, or the thread
// would need more than `max_parts` posts.
absl::StatusOr<std::vector<std::string>> SplitIntoThread(std::string_view text,
                                                         const networks::NetworkRules& rules,
                                                         size_t max_parts = kDefaultMaxThreadParts);

}  // namespace carecast::common::repurpose
