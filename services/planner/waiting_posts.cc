// The sweep for posts left AWAITING_APPROVAL by a crash between a review
// decision and its cascade. ApproveContent, RejectContent and UpdateContent
// save the content first and move its waiting posts after; a process that dies
// in between leaves posts no one would move. This pass, run with the calendar
// reconciliation, finishes the cascade the way the decision would have.
#include <set>

#include "services/common/lifecycle/content_lifecycle.h"
#include "services/planner/planner.h"
#include "services/planner/planner_internal.h"
#include "services/planner/resource_names.h"
#include "services/planner/validation.h"

namespace carecast::planner {

absl::StatusOr<int> Planner::SettleWaitingPosts() {
  const absl::Time now = clock_.Now();
  const absl::Time settled_before = now - kWaitingPostGrace;
  // Contents with waiting posts left alone for the grace period.
  std::set<std::string> contents;
  RETURN_IF_ERROR(posts_.kv().Scan("", [&](std::string_view, const common::KvEntry& entry) {
    v1::Post post;
    if (!post.ParseFromString(common::DecodeRecord(entry).value)) return absl::OkStatus();
    if (post.state() == v1::POST_STATE_AWAITING_APPROVAL &&
        FromProto(post.update_time()) < settled_before) {
      contents.insert(post.content());
    }
    return absl::OkStatus();
  }));
  const Caller caller = ServiceCaller();
  int moved = 0;
  for (const std::string& name : contents) {
    absl::StatusOr<std::string> id = ParseContentName("post.content", name);
    if (!id.ok()) continue;
    absl::StatusOr<Stored<v1::Content>> stored = contents_.Get<v1::Content>(*id);
    if (absl::IsNotFound(stored.status())) continue;
    RETURN_IF_ERROR(stored.status());
    const v1::Content& content = stored->value;
    // A decision may be in flight: its own cascade runs now.
    if (FromProto(content.update_time()) >= settled_before) continue;
    switch (content.state()) {
      case v1::CONTENT_STATE_APPROVED:
        RETURN_IF_ERROR(ReleaseAwaitingPostsOf(caller, content, "", now, &moved));
        break;
      case v1::CONTENT_STATE_REJECTED:
      case v1::CONTENT_STATE_DRAFT: {
        // Rejected, or edited since: the posts were meant to be cancelled.
        std::vector<std::string> cancelled;
        RETURN_IF_ERROR(CancelPostsWhere(
            caller,
            [&](const v1::Post& p) {
              return p.content() == name && FromProto(p.update_time()) < settled_before;
            },
            {v1::POST_STATE_AWAITING_APPROVAL},
            "its content was rejected or edited before approval", "", now, "cancelled_stray",
            &cancelled));
        moved += static_cast<int>(cancelled.size());
        break;
      }
      default:  // still in review: the posts wait for the decision
        break;
    }
  }
  if (moved > 0) {
    logger_.Info("settled posts left waiting after a review decision",
                 {{"posts", static_cast<int64_t>(moved)}});
  }
  return moved;
}

}  // namespace carecast::planner
