// The calendar: post ids ordered by publish time in a Redis sorted set. It is a
// cache over the posts bucket; when its marker is gone (Redis wiped or new) it is
// rebuilt from the bucket before it is read.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/logger.h"
#include "services/common/redis/sorted_index.h"
#include "services/common/store/entity_store.h"

namespace carecast::planner {

inline constexpr std::string_view kCalendarIndex = "carecast:planner:calendar";
inline constexpr std::string_view kCalendarMarker = "carecast:planner:calendar:built";

// Thread-safe (its dependencies are). Errors: UNAVAILABLE when Redis or the
// bucket cannot be reached.
class CalendarIndex {
 public:
  CalendarIndex(common::SortedIndex& index, common::EntityStore& posts, common::Logger& logger)
      : index_(index), posts_(posts), logger_(logger) {}

  // Adds (or re-scores) one post.
  absl::Status Add(const std::string& post_id, absl::Time publish_time);

  // Ids of posts with publish_time in [start, end), earliest first, after
  // skipping `offset`, at most `limit`. Call EnsureBuilt() first.
  absl::StatusOr<std::vector<std::string>> Range(absl::Time start, absl::Time end, size_t offset,
                                                 size_t limit);

  // Rebuilds from the posts bucket when the marker is missing. Returns true when
  // it rebuilt.
  absl::StatusOr<bool> EnsureBuilt();

  // Microseconds since the epoch: exact in a double for any plausible date.
  static double Score(absl::Time t);

 private:
  common::SortedIndex& index_;
  common::EntityStore& posts_;
  common::Logger& logger_;
};

}  // namespace carecast::planner
