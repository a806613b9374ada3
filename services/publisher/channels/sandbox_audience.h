// What the sandbox "network" reports about its posts and accounts, so a demo or
// a test can give published sandbox posts an audience: <dir>/audience.jsonl,
// one JSON object per line, the last line for a post or account winning:
//   {"external_id": "<id>", "impressions": 120, "likes": 4, "shares": 1,
//    "replies": 0, "clicks": 3}        (a missing figure: not reported, -1)
//   {"external_id": "<id>", "deleted": true}   (the post is gone)
//   {"account": "spokes/s/accounts/a", "followers": 1520}
// A post or account without a line has true zeros. Lines that do not parse
// are skipped. Writers append whole lines (O_APPEND).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "services/publisher/channels/channel.h"

namespace carecast::publisher {

inline constexpr std::string_view kSandboxAudienceFileName = "audience.jsonl";

struct SandboxAudience {
  std::map<std::string, Engagement, std::less<>> posts;   // by external id
  std::set<std::string, std::less<>> deleted;             // external ids
  std::map<std::string, int64_t, std::less<>> followers;  // by account name
};

// The file in `dir`; empty when there is none. UNAVAILABLE when it cannot be read.
absl::StatusOr<SandboxAudience> ReadSandboxAudience(const std::string& dir);

// Appends one line (tests, demos). UNAVAILABLE when the file cannot be written.
absl::Status AppendSandboxEngagement(const std::string& dir, std::string_view external_id,
                                     const Engagement& figures);
absl::Status AppendSandboxDeleted(const std::string& dir, std::string_view external_id);
absl::Status AppendSandboxFollowers(const std::string& dir, std::string_view account,
                                    int64_t followers);

}  // namespace carecast::publisher
