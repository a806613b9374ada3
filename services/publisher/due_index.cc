#include "services/publisher/due_index.h"

#include <limits>

#include "services/common/base/status_macros.h"

namespace carecast::publisher {
namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr size_t kRebuildBatch = 500;
}  // namespace

DueIndex::DueIndex(common::SortedIndex& index, common::KeyValueStore& posts, DispatchPolicy policy,
                   PublisherMetrics& metrics, common::Logger& logger)
    : index_(index), posts_(posts), policy_(policy), metrics_(metrics), logger_(logger) {}

absl::StatusOr<bool> DueIndex::EnsureBuilt() {
  ASSIGN_OR_RETURN(bool built, index_.HasMarker(kDueIndexMarker));
  if (built) return false;
  RETURN_IF_ERROR(Rebuild());
  return true;
}

absl::Status DueIndex::Rebuild() {
  ASSIGN_OR_RETURN(std::vector<std::string> keys, posts_.Keys(""));
  std::vector<common::ScoredMember> batch;
  int64_t added = 0;
  for (const std::string& key : keys) {
    absl::StatusOr<PostRecord> record = ReadPost(posts_, key);
    if (absl::IsNotFound(record.status())) continue;  // deleted since Keys()
    if (absl::IsDataLoss(record.status())) {
      logger_.Error("post record does not parse; not indexed", {{"post", key}});
      continue;
    }
    if (!record.ok()) return record.status();
    std::optional<absl::Time> when = NextLookTime(record->post, policy_);
    if (!when) continue;
    batch.push_back({key, ScoreOf(*when)});
    if (batch.size() >= kRebuildBatch) {
      RETURN_IF_ERROR(index_.Add(kDueIndexName, batch));
      added += static_cast<int64_t>(batch.size());
      batch.clear();
    }
  }
  if (!batch.empty()) {
    RETURN_IF_ERROR(index_.Add(kDueIndexName, batch));
    added += static_cast<int64_t>(batch.size());
  }
  // The marker goes last: a rebuild cut short leaves it unset, so it runs again.
  RETURN_IF_ERROR(index_.SetMarker(kDueIndexMarker));
  metrics_.IndexRebuilt();
  logger_.Info("due index rebuilt from the posts bucket",
               {{"posts_scanned", static_cast<int64_t>(keys.size())}, {"indexed", added}});
  return absl::OkStatus();
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
