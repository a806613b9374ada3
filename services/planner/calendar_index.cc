#include "services/planner/calendar_index.h"

#include <cmath>
#include <optional>

#include "carecast/v1/resources.pb.h"

#include "services/common/base/status_macros.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

// Every program post belongs in the calendar at its publish time, whatever its
// state. A responder's reply (`reply` set; the publisher makes it in the same
// bucket) is not one of the program's posts: never in the calendar.
std::optional<common::IndexPlacement> PlacementOf(const carecast::v1::Post& post) {
  if (!post.reply().empty()) return std::nullopt;
  return common::IndexPlacement{.index = std::string(kCalendarIndex),
                                .score = CalendarIndex::Score(FromProto(post.publish_time()))};
}

// Whole passes stream the bucket (one consumer, not one read per post).
common::IndexSource PostsSource(common::EntityStore& posts) {
  return {
      .keys = [&posts]() { return posts.Keys(""); },
      .place =
          [&posts](std::string_view key) -> absl::StatusOr<std::optional<common::IndexPlacement>> {
        ASSIGN_OR_RETURN(common::Stored<carecast::v1::Post> stored,
                         posts.Get<carecast::v1::Post>(key));
        return PlacementOf(stored.value);
      },
      .scan = [&posts](const common::IndexSource::Visit& visit) -> absl::Status {
        return posts.kv().Scan("", [&](std::string_view key, const common::KvEntry& entry) {
          carecast::v1::Post post;
          if (!post.ParseFromString(common::DecodeRecord(entry).value)) {
            return visit(key, absl::DataLossError("post does not parse"));
          }
          return visit(key, PlacementOf(post));
        });
      }};
}

}  // namespace

CalendarIndex::CalendarIndex(common::SortedIndex& index, common::EntityStore& posts,
                             common::IndexRepairObserver& observer, common::Logger& logger)
    : index_(index),
      logger_(logger),
      reconciler_({.indexes = {{std::string(kCalendarIndex), std::string(kCalendarLabel)}}},
                  PostsSource(posts), index, observer, logger) {}

double CalendarIndex::Score(absl::Time t) { return static_cast<double>(absl::ToUnixMicros(t)); }

absl::Status CalendarIndex::Add(const std::string& post_id, absl::Time publish_time) {
  return index_.Add(kCalendarIndex, {{post_id, Score(publish_time)}});
}

absl::StatusOr<bool> CalendarIndex::EnsureBuilt() {
  ASSIGN_OR_RETURN(bool has, index_.HasMarker(kCalendarMarker));
  if (has) return false;
  ASSIGN_OR_RETURN(common::ReconcileReport report, Reconcile());
  logger_.Info("calendar index rebuilt",
               {{"posts", report.keys_scanned}, {"added", report.Total().added}});
  return true;
}

absl::StatusOr<common::ReconcileReport> CalendarIndex::Reconcile() {
  ASSIGN_OR_RETURN(common::ReconcileReport report, reconciler_.Reconcile());
  // The marker goes last: a pass cut short leaves it unset and runs again.
  RETURN_IF_ERROR(index_.SetMarker(kCalendarMarker));
  return report;
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
