// The rules content must follow: sizes, per-network variant limits, and the
// canonical hash an approval binds to.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

#include "carecast/v1/resources.pb.h"

namespace carecast::planner {

inline constexpr size_t kMaxTitleChars = 200;
inline constexpr size_t kMaxMasterTextBytes = 64 * 1024;
inline constexpr size_t kMaxObjectivesPerContent = 20;

// Limits per network (characters as the network counts them; 0: no network
// limit, only the master-text byte cap):
//   X 280 (weighted, see XWeightedLength), LinkedIn 3000, Facebook 63206,
//   Instagram 2200, Mastodon 500, sandbox none.
size_t VariantCharLimit(carecast::v1::Network network);

// Length as X counts it (twitter-text v3 "weighted length"): each http(s) URL
// counts 23 whatever its length; code points in U+0000-U+10FF, U+2000-U+200D,
// U+2010-U+201F and U+2032-U+2037 count 1; all others (CJK, emoji, ...) count 2.
// Simplifications: no NFC normalisation, bare domains without a scheme are not
// recognised as URLs, and an emoji ZWJ sequence counts 2 per code point (so the
// result is never shorter than X's own count).
size_t XWeightedLength(std::string_view text);

// Lower-case short name of a network, used as the guard's field name: "x",
// "facebook", "linkedin", "instagram", "mastodon", "sandbox".
std::string_view NetworkField(carecast::v1::Network network);

// Checks title, master text and variants (valid UTF-8, sizes, one variant per
// known network, each within its limit). INVALID_ARGUMENT naming the field.
absl::Status ValidateContentBody(const carecast::v1::Content& content);

// Sorts variants by network so equal content hashes and stores identically.
void SortVariants(carecast::v1::Content* content);

// Hex SHA-256 over a length-prefixed serialization of title, text and the
// variants in network order: stable across protobuf versions and field order.
std::string ContentHash(const carecast::v1::Content& content);

}  // namespace carecast::planner
