#include "services/publisher/due_index.h"

#include <limits>

#include "services/common/base/status_macros.h"

namespace carecast::publisher {
namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr size_t kBatch = 500;

// The posts bucket as the reconciler sees it: a post belongs in the index at
// its next look time. Any earlier score is fine (the dispatcher re-reads the
// record and re-scores it); a later one only by what a retry-after may add.
// Where a post belongs in the due index: at its next look time, or nowhere.
absl::StatusOr<std::optional<common::IndexPlacement>> PlacementOf(absl::StatusOr<PostRecord> record,
                                                                  const DispatchPolicy& policy) {
  if (!record.ok()) return record.status();
  std::optional<absl::Time> when = NextLookTime(record->post, policy);
  if (!when) return std::optional<common::IndexPlacement>();
  return std::optional<common::IndexPlacement>(
      common::IndexPlacement{.index = std::string(kDueIndexName),
                             .score = ScoreOf(*when),
                             .slack_below = kInf,
                             .slack_above = absl::ToDoubleSeconds(policy.max_retry_backoff)});
}

// The posts bucket as the reconciler sees it: a post belongs in the index at
// its next look time. Any earlier score is fine (the dispatcher re-reads the
// record and re-scores it); a later one only by what a retry-after may add.
// Whole passes stream the bucket (one consumer, not one read per post).
common::IndexSource PostsSource(common::KeyValueStore& posts, DispatchPolicy policy) {
  return {.keys = [&posts]() { return posts.Keys(""); },
          .place = [&posts, policy](std::string_view key)
              -> absl::StatusOr<std::optional<common::IndexPlacement>> {
            return PlacementOf(ReadPost(posts, key), policy);
          },
          .scan = [&posts, policy](const common::IndexSource::Visit& visit) -> absl::Status {
            return posts.Scan("", [&](std::string_view key, const common::KvEntry& entry) {
              return visit(key, PlacementOf(PostFromEntry(entry), policy));
            });
          }};
}

}  // namespace

DueIndex::DueIndex(common::SortedIndex& index, common::KeyValueStore& posts, DispatchPolicy policy,
                   PublisherMetrics& metrics, common::Logger& logger)
    : index_(index),
      policy_(policy),
      metrics_(metrics),
      logger_(logger),
      reconciler_({.indexes = {{std::string(kDueIndexName), std::string(kDueIndexLabel)}},
                   .batch_size = kBatch},
                  PostsSource(posts, policy), index, metrics.index_repairs(), logger) {}

absl::StatusOr<bool> DueIndex::EnsureBuilt() {
  ASSIGN_OR_RETURN(bool built, index_.HasMarker(kDueIndexMarker));
  if (built) return false;
  RETURN_IF_ERROR(Rebuild());
  return true;
}

absl::Status DueIndex::Rebuild() {
  ASSIGN_OR_RETURN(common::ReconcileReport report, Reconcile());
  metrics_.IndexRebuilt();
  logger_.Info("due index rebuilt from the posts bucket", {{"posts_scanned", report.keys_scanned},
                                                           {"added", report.Total().added},
                                                           {"removed", report.Total().removed}});
  return absl::OkStatus();
}

absl::StatusOr<common::ReconcileReport> DueIndex::Reconcile() {
  ASSIGN_OR_RETURN(common::ReconcileReport report, reconciler_.Reconcile());
  // The marker goes last: a pass cut short leaves it unset, so it runs again.
  RETURN_IF_ERROR(index_.SetMarker(kDueIndexMarker));
  return report;
}

absl::StatusOr<common::ReconcileReport> DueIndex::Sweep(absl::Time now, absl::Duration horizon) {
  return reconciler_.Reconcile(
      {.max_score = ScoreOf(now + horizon), .remove = false, .pass = "due_sweep"});
}

absl::Status DueIndex::Put(std::string_view post_id, absl::Time when) {
  return index_.Add(kDueIndexName, {{std::string(post_id), ScoreOf(when)}});
}

absl::Status DueIndex::Remove(std::string_view post_id) {
  return index_.Remove(kDueIndexName, post_id);
}

absl::StatusOr<std::vector<common::ScoredMember>> DueIndex::Due(absl::Time now, size_t limit) {
  return index_.RangeByScore(kDueIndexName, -kInf, ScoreOf(now), 0, limit);
}

absl::StatusOr<int64_t> DueIndex::Size() { return index_.Count(kDueIndexName, -kInf, kInf); }

absl::StatusOr<std::optional<absl::Time>> DueIndex::Next() {
  ASSIGN_OR_RETURN(auto first, index_.RangeByScore(kDueIndexName, -kInf, kInf, 0, 1));
  if (first.empty()) return std::optional<absl::Time>();
  return std::optional<absl::Time>(TimeOfScore(first.front().score));
}

}  // namespace carecast::publisher
