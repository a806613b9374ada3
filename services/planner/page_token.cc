#include "services/planner/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

namespace carecast::planner {
namespace {
using common::AsAbsl;
constexpr absl::string_view kVersion = "p1";
constexpr size_t kMaxTokenBytes = 1024;
}  // namespace

absl::StatusOr<size_t> ResolvePageSize(int32_t page_size) {
  if (page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  if (page_size == 0) return static_cast<size_t>(kDefaultPageSize);
  if (page_size > kMaxPageSize) return static_cast<size_t>(kMaxPageSize);
  return static_cast<size_t>(page_size);
}

std::string EncodePageToken(std::string_view scope, uint64_t offset) {
  return absl::WebSafeBase64Escape(absl::StrCat(kVersion, "|", AsAbsl(scope), "|", offset));
}

absl::StatusOr<uint64_t> DecodePageToken(std::string_view token, std::string_view scope) {
  if (token.empty()) return 0;
  const absl::Status invalid =
      absl::InvalidArgumentError("page_token is malformed or belongs to another query");
  if (token.size() > kMaxTokenBytes) return invalid;
  std::string raw;
  if (!absl::WebSafeBase64Unescape(AsAbsl(token), &raw)) return invalid;
  std::string prefix = absl::StrCat(kVersion, "|", AsAbsl(scope), "|");
  if (raw.size() <= prefix.size() || raw.compare(0, prefix.size(), prefix) != 0) return invalid;
  uint64_t offset = 0;
  if (!absl::SimpleAtoi(absl::string_view(raw).substr(prefix.size()), &offset)) return invalid;
  if (offset > (uint64_t{1} << 40)) return invalid;
  return offset;
}

}  // namespace carecast::planner
