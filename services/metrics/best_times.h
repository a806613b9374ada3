// Best times to post (docs/measurement.md, "Best times to post"): an account's
// engagement history bucketed by hour of the week in its time zone, each hour's
// pooled engagement rate against the account's, how sure that is, and a
// suggested change to the account's cadence (a SetCadenceRequest a strategist
// sends as it is). A pure function: no clock, no I/O; deterministic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "carecast/v1/metrics_service.pb.h"
#include "carecast/v1/resources.pb.h"

namespace carecast::metrics {

// One published post's kept reading. A post counts only with impressions > 0
// and interactions >= 0 (-1: not reported); others are ignored.
struct PostEngagementSample {
  absl::Time publish_time;
  int64_t impressions = -1;
  int64_t interactions = -1;  // likes + shares + replies + clicks, where reported
};

struct BestTimesInput {
  std::string account;    // "spokes/{spoke}/accounts/{account}"
  std::string time_zone;  // the account's IANA zone
  std::vector<PostEngagementSample> posts;
  // The account's cadence as stored (name, slots, min_spacing, daily_cap,
  // version); none: no suggestion.
  std::optional<v1::Cadence> current_cadence;
  // The suggestion starts on the first local Monday after it (a week later
  // when the zone changes its UTC offset in that week).
  absl::Time now;
  int top = 0;  // 0: kDefaultTop; else 1..kMaxTop
};

inline constexpr int kDefaultTop = 5;
inline constexpr int kMaxTop = 168;
// An hour with fewer posts is listed nowhere and never suggested.
inline constexpr int64_t kMinPostsPerHour = 3;
// A suggestion needs this many posts with readings, over this many local weeks.
inline constexpr int64_t kMinPostsForSuggestion = 20;
inline constexpr int kMinWeeksForSuggestion = 2;
// An hour a slot may move to beats the account's rate with at least this confidence.
inline constexpr double kMinSuggestionConfidence = 0.8;
// The per-post spread assumed at least, as a fraction of the account's rate, so
// a bucket of one or two similar posts is never sure.
inline constexpr double kMinRelativeSpread = 0.5;

// INVALID_ARGUMENT for a malformed account name, an unknown time zone, `top`
// outside 0..168 or a current cadence named for another account. Everything
// else (too little history, no cadence, a cadence that cannot be read) yields
// a response without suggested_cadence and says why in suggestion_reason.
absl::StatusOr<v1::GetBestTimesResponse> ComputeBestTimes(const BestTimesInput& input);

// The request_id of a suggestion: "best-times-" and 32 hex digits of a digest
// of the account, the version it was made from and the suggested cadence, so
// the same suggestion sent twice is one change (a replay).
std::string SuggestionRequestId(const std::string& account, int64_t version,
                                const v1::Cadence& suggested);

}  // namespace carecast::metrics
