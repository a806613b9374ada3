// The rules content must follow: sizes, per-network variant limits (from
// common::networks), whether it fits every network it targets, and the
// canonical hash an approval binds to.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

#include "carecast/v1/resources.pb.h"

namespace carecast::planner {

inline constexpr size_t kMaxTitleChars = 200;
inline constexpr size_t kMaxMasterTextBytes = size_t{64} * 1024;
inline constexpr size_t kMaxObjectivesPerContent = 20;
// Most thread parts after a variant's text: a thread of at most 20 posts, as
// the repurposing splitter makes.
inline constexpr size_t kMaxThreadParts = 19;

// Lower-case short name of a network, used as the guard's field name and in
// messages: "x", "facebook", ... (common::networks::NetworkName).
std::string_view NetworkField(carecast::v1::Network network);

// Checks what a person wrote: title, master text, variants (valid UTF-8, sizes,
// one variant per known network, each text within its network's length limit,
// counted as the network counts; thread parts only on networks with threads,
// each checked like the text) and media (well-formed; the per-network image
// rules apply at approval). INVALID_ARGUMENT naming the field.
absl::Status ValidateContentBody(const carecast::v1::Content& content);

// FAILED_PRECONDITION when a variant, posted with the content's media, breaks its
// network's rules (common::networks::CheckPostFits), listing every reason;
// checked at approval so a reviewer never approves what cannot be posted.
absl::Status CheckContentFitsNetworks(const carecast::v1::Content& content);

// Sorts variants by network so equal content hashes and stores identically.
void SortVariants(carecast::v1::Content* content);

// Hex SHA-256 over a length-prefixed serialization of title, text, the variants
// in network order, their thread parts and the media in their order: stable
// across protobuf versions and field order. Content without media or thread
// parts hashes as it did before those existed, so approvals given then still hold.
std::string ContentHash(const carecast::v1::Content& content);

}  // namespace carecast::planner
