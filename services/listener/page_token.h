// Opaque page tokens for ListInboxItems: a keyset cursor (the index score and id
// of the last item returned) bound to the listed state, so pages stay stable
// while items open and close between calls.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

#include "carecast/v1/resources.pb.h"

namespace carecast::listener {

struct PageCursor {
  v1::InboxItemState state = v1::INBOX_ITEM_STATE_OPEN;
  int64_t score = 0;  // milliseconds since the epoch, as in the index
  std::string id;
};

std::string EncodePageToken(const PageCursor& cursor);
// INVALID_ARGUMENT when `token` was not made by EncodePageToken or was made for
// another state.
absl::StatusOr<PageCursor> DecodePageToken(std::string_view token, v1::InboxItemState state);

}  // namespace carecast::listener
