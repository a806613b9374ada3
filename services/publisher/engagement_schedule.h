// When a published post's engagement is read again: often while it is young,
// rarely when it is old, never after the last tier. Tiers are (age, interval):
// a post younger than `age` is read every `interval`; the first tier whose age
// exceeds the post's age applies. Pure; thread-safe.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace carecast::publisher {

struct EngagementTier {
  absl::Duration up_to_age;  // applies to posts younger than this
  absl::Duration interval;   // time between readings at that age
};

class EngagementSchedule {
 public:
  // The default: every 10 minutes in the first hour, hourly in the first day,
  // every 6 hours in the first week, daily up to 28 days; then no more.
  EngagementSchedule();
  // INVALID_ARGUMENT unless the tiers are non-empty, ages strictly increase and
  // every interval is positive and at most its tier's age.
  static absl::StatusOr<EngagementSchedule> Create(std::vector<EngagementTier> tiers);
  // "1h:10m,24h:1h,7d:6h,28d:24h" (ages and intervals as Go-style durations, a
  // "d" suffix for days). INVALID_ARGUMENT naming the bad part.
  static absl::StatusOr<EngagementSchedule> Parse(std::string_view text);

  // The first reading: one first-tier interval after publishing.
  absl::Time FirstReading(absl::Time published) const;
  // The reading after one made at `now`, or nullopt when the post is then past
  // the last tier (no reading follows).
  std::optional<absl::Time> NextReading(absl::Time published, absl::Time now) const;
  // The age after which a post is no longer read.
  absl::Duration max_age() const { return tiers_.back().up_to_age; }
  const std::vector<EngagementTier>& tiers() const { return tiers_; }

 private:
  explicit EngagementSchedule(std::vector<EngagementTier> tiers) : tiers_(std::move(tiers)) {}
  std::vector<EngagementTier> tiers_;
};

}  // namespace carecast::publisher
