// The due-time index: post ids scored by when the dispatcher should next look
// at them, kept in Redis as a cache over carecast_posts. Redis may be wiped at
// any time; EnsureBuilt() notices a missing marker and rebuilds from the posts
// bucket at once, and Reconcile() / Sweep() (run by the publisher on a period)
// heal a set lost behind a surviving marker. Every member is re-checked against
// KV before use, so a stale member is harmless. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/base/logger.h"
#include "services/common/bus/key_value_store.h"
#include "services/common/redis/index_reconciler.h"
#include "services/common/redis/sorted_index.h"
#include "services/publisher/post_records.h"
#include "services/publisher/publisher_metrics.h"

namespace carecast::publisher {

inline constexpr std::string_view kDueIndexName = "carecast:publisher:due";
inline constexpr std::string_view kDueIndexMarker = "carecast:publisher:due:built";
// The index's name in logs and in carecast_index_repairs_total{index}.
inline constexpr std::string_view kDueIndexLabel = "publisher_due";

class DueIndex {
 public:
  DueIndex(common::SortedIndex& index, common::KeyValueStore& posts, DispatchPolicy policy,
           PublisherMetrics& metrics, common::Logger& logger);
  DueIndex(const DueIndex&) = delete;
  DueIndex& operator=(const DueIndex&) = delete;

  // Rebuilds when the marker is missing; true when it did. UNAVAILABLE when Redis
  // or KV cannot be reached.
  absl::StatusOr<bool> EnsureBuilt();
  // A full reconciliation, then the marker: counted as a rebuild.
  absl::Status Rebuild();
  // Checks every post in the bucket against the index: adds posts that still
  // need dispatch, re-scores members the record contradicts (a score later than
  // the record's look time by more than policy.max_retry_backoff, the room a
  // channel's retry-after may take), removes members that need nothing more.
  // Sets the marker. Repairs are logged and counted (carecast_index_repairs_total).
  absl::StatusOr<common::ReconcileReport> Reconcile();
  // The due sweep: makes sure every post whose look time is at or before
  // now + horizon (SCHEDULED, or PUBLISHING past its lease) is in the index at
  // that time or earlier. Adds and fixes only; never removes.
  absl::StatusOr<common::ReconcileReport> Sweep(absl::Time now, absl::Duration horizon);

  absl::Status Put(std::string_view post_id, absl::Time when);
  absl::Status Remove(std::string_view post_id);
  // Members due at or before `now`, earliest first, at most `limit`.
  absl::StatusOr<std::vector<common::ScoredMember>> Due(absl::Time now, size_t limit);
  absl::StatusOr<int64_t> Size();
  // The earliest member's time; nullopt when the index is empty.
  absl::StatusOr<std::optional<absl::Time>> Next();

 private:
  common::SortedIndex& index_;
  const DispatchPolicy policy_;
  PublisherMetrics& metrics_;
  common::Logger& logger_;
  common::IndexReconciler reconciler_;
};

}  // namespace carecast::publisher
