// Reconciliation of Redis sorted indexes with the KV bucket they cache. One pass
// lists the bucket's keys, asks the owner where each key belongs (which index,
// what score, or "not indexed"), reads every member of the indexes and then, in
// batches: adds members KV has and the index lacks, re-scores members whose score
// KV contradicts, and removes members KV does not place there. It never trusts
// a marker: owners run it at start and on a period (common::PeriodicRunner), so a
// sorted set lost behind a surviving marker heals within one period.
//
// A fix or a removal is re-checked with a fresh read of that key just before it
// is applied, so a write that raced the pass is not undone. Adds are not
// re-checked: every reader of these indexes re-reads KV before it acts, so a
// member added from a read that went stale a moment later is harmless and the
// next pass removes it.
//
// Thread-safe when its source and index are; passes may overlap (each repair is
// idempotent).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"

#include "services/common/base/logger.h"
#include "services/common/redis/sorted_index.h"

namespace carecast::common {

// Where KV says one key belongs.
struct IndexPlacement {
  std::string index;  // one of the reconciled indexes' names
  double score = 0;   // the score written when the member is added or fixed
  // An existing score in [score - slack_below, score + slack_above] is left as it
  // is (e.g. the due index accepts any earlier score: looking early is harmless).
  double slack_below = 0;
  double slack_above = 0;
};

// What the owner of an index knows about its bucket. Both functions are required.
struct IndexSource {
  // Every key that may be indexed; errors abort the pass.
  std::function<absl::StatusOr<std::vector<std::string>>()> keys;
  // Where `key` belongs now: a placement, or nullopt when it must not be indexed.
  // NOT_FOUND: the key is gone (not indexed). DATA_LOSS: the record is unreadable;
  // its members are left as they are. Any other error aborts the pass.
  std::function<absl::StatusOr<std::optional<IndexPlacement>>(std::string_view key)> place;
  // Optional, for large buckets: calls `visit(key, placement)` for every key with
  // what `place` would answer from a value read in the same pass (NOT_FOUND and
  // DATA_LOSS as for `place`), streaming the bucket instead of one read per key.
  // The pass uses it instead of `keys` + `place` when set; `place` still re-checks
  // a key before a fix or a removal.
  using Visit = std::function<absl::Status(std::string_view key,
                                           absl::StatusOr<std::optional<IndexPlacement>> placed)>;
  std::function<absl::Status(const Visit& visit)> scan;
};

// One sorted set reconciled, and its name in logs and metrics (no colons, no ids).
struct ReconciledIndex {
  std::string name;   // as passed to SortedIndex, e.g. "carecast:publisher:due"
  std::string label;  // e.g. "publisher_due"
};

struct IndexRepairCounts {
  int64_t added = 0;
  int64_t fixed = 0;
  int64_t removed = 0;
  int64_t total() const { return added + fixed + removed; }
};

// What one pass did, per index label, plus what it looked at.
struct ReconcileReport {
  std::map<std::string, IndexRepairCounts> repairs;  // by label; every index present
  int64_t keys_scanned = 0;
  int64_t members_scanned = 0;
  int64_t unreadable = 0;  // keys whose record did not parse (left as they are)
  IndexRepairCounts Total() const;
};

// What a pass may do. The default is a full reconciliation.
struct ReconcileScope {
  // Placements scored above this are neither added nor fixed (the due sweep's
  // horizon); members are still read in full.
  double max_score = std::numeric_limits<double>::infinity();
  // Remove members KV does not place in that index.
  bool remove = true;
  // Names the pass in its log line ("reconcile", "due_sweep").
  std::string_view pass = "reconcile";
};

// Told about every pass that repaired something. Implementations must be thread-safe.
class IndexRepairObserver {
 public:
  virtual ~IndexRepairObserver() = default;
  virtual void Repaired(std::string_view label, const IndexRepairCounts& counts) = 0;
};

// Discards everything (tests, tools).
IndexRepairObserver& NullIndexRepairObserver();

struct IndexReconcilerOptions {
  // The sorted sets reconciled together; a key belongs to at most one of them.
  std::vector<ReconciledIndex> indexes;
  // Members read, added or fixed per round trip.
  size_t batch_size = 500;
};

class IndexReconciler {
 public:
  // `index`, `observer` and `logger` must outlive it.
  IndexReconciler(IndexReconcilerOptions options, IndexSource source, SortedIndex& index,
                  IndexRepairObserver& observer, Logger& logger);

  // One pass. Logs one line ("index reconciled", with the counts) and reports to
  // the observer when it repaired anything. UNAVAILABLE (or the source's error)
  // when KV or Redis cannot be read; repairs made before the error are kept.
  absl::StatusOr<ReconcileReport> Reconcile(const ReconcileScope& scope = {});

 private:
  // What KV says: where each key belongs (`expected`), and the keys whose
  // members must be left as they are (unreadable, or beyond the scope).
  absl::Status ReadExpected(const ReconcileScope& scope,
                            const std::map<std::string, std::string, std::less<>>& label_of,
                            ReconcileReport& report,
                            std::unordered_map<std::string, IndexPlacement>& expected,
                            std::set<std::string, std::less<>>& leave_alone);

  const IndexReconcilerOptions options_;
  const IndexSource source_;
  SortedIndex& index_;
  IndexRepairObserver& observer_;
  Logger& logger_;
};

}  // namespace carecast::common
