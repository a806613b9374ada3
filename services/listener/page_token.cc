#include "services/listener/page_token.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "services/common/base/ids.h"
#include "services/common/base/strings.h"

namespace carecast::listener {
namespace {

constexpr std::string_view kVersion = "i1";
constexpr size_t kMaxTokenBytes = 256;

absl::Status BadToken() {
  return absl::InvalidArgumentError("page_token is not valid: pass next_page_token unchanged");
}

}  // namespace

std::string EncodePageToken(const PageCursor& cursor) {
  return absl::WebSafeBase64Escape(absl::StrCat(common::AsAbsl(kVersion), "|",
                                                static_cast<int>(cursor.state), "|", cursor.score,
                                                "|", cursor.id));
}

absl::StatusOr<PageCursor> DecodePageToken(std::string_view token, v1::InboxItemState state) {
  if (token.size() > kMaxTokenBytes) return BadToken();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(common::AsAbsl(token), &raw)) return BadToken();
  std::vector<std::string> parts = absl::StrSplit(raw, '|');
  if (parts.size() != 4 || parts[0] != kVersion) return BadToken();
  int state_number = 0;
  PageCursor cursor;
  if (!absl::SimpleAtoi(parts[1], &state_number) || !absl::SimpleAtoi(parts[2], &cursor.score) ||
      !common::IsValidId(parts[3])) {
    return BadToken();
  }
  if (state_number != static_cast<int>(state)) {
    return absl::InvalidArgumentError("page_token was made for another state filter");
  }
  cursor.state = state;
  cursor.id = parts[3];
  return cursor;
}

}  // namespace carecast::listener
