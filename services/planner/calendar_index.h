// The calendar: post ids ordered by publish time in a Redis sorted set. It is a
// cache over the posts bucket; when its marker is gone (Redis wiped or new) it is
// rebuilt from the bucket before it is read, and Reconcile() (at start and on a
// period, see Planner::StartIndexReconciliation) heals a set lost behind a
// surviving marker. A responder's reply post (Post.reply set, made by the
// publisher in the same bucket) is never in it.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/logger.h"
#include "services/common/redis/index_reconciler.h"
#include "services/common/redis/sorted_index.h"
#include "services/common/store/entity_store.h"

namespace carecast::planner {

inline constexpr std::string_view kCalendarIndex = "carecast:planner:calendar";
inline constexpr std::string_view kCalendarMarker = "carecast:planner:calendar:built";
// The index's name in logs and in carecast_index_repairs_total{index}.
inline constexpr std::string_view kCalendarLabel = "planner_calendar";

// Thread-safe (its dependencies are). Errors: UNAVAILABLE when Redis or the
// bucket cannot be reached.
class CalendarIndex {
 public:
  // `observer` hears of every repair a reconciliation makes.
  CalendarIndex(common::SortedIndex& index, common::EntityStore& posts,
                common::IndexRepairObserver& observer, common::Logger& logger);
  CalendarIndex(const CalendarIndex&) = delete;
  CalendarIndex& operator=(const CalendarIndex&) = delete;

  // Adds (or re-scores) one post.
  absl::Status Add(const std::string& post_id, absl::Time publish_time);

  // Ids of posts with publish_time in [start, end), earliest first, after
  // skipping `offset`, at most `limit`. Call EnsureBuilt() first.
  absl::StatusOr<std::vector<std::string>> Range(absl::Time start, absl::Time end, size_t offset,
                                                 size_t limit);

  // Rebuilds from the posts bucket when the marker is missing. Returns true when
  // it rebuilt.
  absl::StatusOr<bool> EnsureBuilt();

  // Checks every post against the calendar: adds missing ones, re-scores wrong
  // ones, removes ids the bucket does not have; then sets the marker.
  absl::StatusOr<common::ReconcileReport> Reconcile();

  // Microseconds since the epoch: exact in a double for any plausible date.
  static double Score(absl::Time t);

 private:
  common::SortedIndex& index_;
  common::Logger& logger_;
  common::IndexReconciler reconciler_;
};

}  // namespace carecast::planner
