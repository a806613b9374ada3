// The key ring of feed and report link tokens (feed_token.h) from the file named
// by CARECAST_FEED_TOKEN_KEYS_FILE: one key per line, "<key id> <secret as
// hex>", '#' starts a comment. Read by the planner (calendar feeds) and the
// metrics service (weekly report links).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

#include "services/common/cadence/feed_token.h"

namespace carecast::common::cadence {

// The key ring in `path`, `current` signing (empty: the last key).
// INVALID_ARGUMENT naming the line, never a secret.
absl::StatusOr<std::shared_ptr<const FeedTokens>> LoadFeedTokens(const std::string& path,
                                                                 const std::string& current);

}  // namespace carecast::common::cadence
