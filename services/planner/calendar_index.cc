#include "services/planner/calendar_index.h"

#include <cmath>

#include "carecast/v1/resources.pb.h"

#include "services/planner/validation.h"

namespace carecast::planner {
namespace {
constexpr size_t kRebuildBatch = 500;
}

double CalendarIndex::Score(absl::Time t) { return static_cast<double>(absl::ToUnixMicros(t)); }

absl::Status CalendarIndex::Add(const std::string& post_id, absl::Time publish_time) {
  return index_.Add(kCalendarIndex, {{post_id, Score(publish_time)}});
}

absl::StatusOr<bool> CalendarIndex::EnsureBuilt() {
  absl::StatusOr<bool> has = index_.HasMarker(kCalendarMarker);
  if (!has.ok()) return has.status();
  if (*has) return false;
  absl::StatusOr<std::vector<std::string>> keys = posts_.Keys("");
  if (!keys.ok()) return keys.status();
  std::vector<common::ScoredMember> batch;
  size_t indexed = 0;
  for (const std::string& key : *keys) {
    absl::StatusOr<common::Stored<carecast::v1::Post>> stored = posts_.Get<carecast::v1::Post>(key);
    if (!stored.ok()) {
      if (stored.status().code() == absl::StatusCode::kNotFound) continue;  // deleted meanwhile
      if (stored.status().code() == absl::StatusCode::kDataLoss) {
        logger_.Warn("calendar rebuild skipped an unreadable post", {{"key", key}});
        continue;
      }
      return stored.status();
    }
    const carecast::v1::Post& post = stored->value;
    batch.push_back({key, Score(FromProto(post.publish_time()))});
    if (batch.size() == kRebuildBatch) {
      if (absl::Status s = index_.Add(kCalendarIndex, batch); !s.ok()) return s;
      indexed += batch.size();
      batch.clear();
    }
  }
  if (!batch.empty()) {
    if (absl::Status s = index_.Add(kCalendarIndex, batch); !s.ok()) return s;
    indexed += batch.size();
  }
  // The marker goes last: a rebuild cut short leaves it unset and runs again.
  if (absl::Status s = index_.SetMarker(kCalendarMarker); !s.ok()) return s;
  logger_.Info("calendar index rebuilt", {{"posts", static_cast<int64_t>(indexed)}});
  return true;
}

absl::StatusOr<std::vector<std::string>> CalendarIndex::Range(absl::Time start, absl::Time end,
                                                              size_t offset, size_t limit) {
  // Scores are whole microseconds, so [start, end) is [start, end - 1us].
  absl::StatusOr<std::vector<common::ScoredMember>> members =
      index_.RangeByScore(kCalendarIndex, Score(start), Score(end) - 1, offset, limit);
  if (!members.ok()) return members.status();
  std::vector<std::string> ids;
  ids.reserve(members->size());
  for (auto& m : *members) ids.push_back(std::move(m.member));
  return ids;
}

}  // namespace carecast::planner
