// The due-time index: post ids scored by when the dispatcher should next look
// at them, kept in Redis as a cache over carecast_posts. Redis may be wiped at
// any time; EnsureBuilt() notices the missing marker and rebuilds from the posts
// bucket. Every member is re-checked against KV before use, so a stale member is
// harmless. Thread-safe.
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
#include "services/common/redis/sorted_index.h"
#include "services/publisher/post_records.h"
#include "services/publisher/publisher_metrics.h"

namespace carecast::publisher {

inline constexpr std::string_view kDueIndexName = "carecast:publisher:due";
inline constexpr std::string_view kDueIndexMarker = "carecast:publisher:due:built";

class DueIndex {
 public:
  DueIndex(common::SortedIndex& index, common::KeyValueStore& posts, DispatchPolicy policy,
           PublisherMetrics& metrics, common::Logger& logger);

  // Rebuilds when the marker is missing; true when it did. UNAVAILABLE when Redis
  // or KV cannot be reached.
  absl::StatusOr<bool> EnsureBuilt();
  // Adds every post that still needs dispatch, then sets the marker.
  absl::Status Rebuild();

  absl::Status Put(std::string_view post_id, absl::Time when);
  absl::Status Remove(std::string_view post_id);
  // Members due at or before `now`, earliest first, at most `limit`.
  absl::StatusOr<std::vector<common::ScoredMember>> Due(absl::Time now, size_t limit);
  absl::StatusOr<int64_t> Size();
  // The earliest member's time; nullopt when the index is empty.
  absl::StatusOr<std::optional<absl::Time>> Next();

 private:
  common::SortedIndex& index_;
  common::KeyValueStore& posts_;
  const DispatchPolicy policy_;
  PublisherMetrics& metrics_;
  common::Logger& logger_;
};

}  // namespace carecast::publisher
