// Opaque, validated page tokens and page sizes for the planner's List methods.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace carecast::planner {

inline constexpr int32_t kDefaultPageSize = 50;
inline constexpr int32_t kMaxPageSize = 500;

// 0 -> kDefaultPageSize; above kMaxPageSize -> kMaxPageSize; negative -> INVALID_ARGUMENT.
absl::StatusOr<size_t> ResolvePageSize(int32_t page_size);

// A token for the page starting at `offset` of the query described by `scope`
// (e.g. "calendar:<start>:<end>"), web-safe base64 so it is opaque to callers.
std::string EncodePageToken(std::string_view scope, uint64_t offset);

// The offset in `token`: 0 for an empty token; INVALID_ARGUMENT when the token is
// malformed or was issued for another scope (another range, parent, ...).
absl::StatusOr<uint64_t> DecodePageToken(std::string_view token, std::string_view scope);

}  // namespace carecast::planner
