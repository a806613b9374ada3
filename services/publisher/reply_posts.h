// Turns a responder's approved reply into the post that sends it. On each
// carecast.reply.approved (the durable consumer "publisher-replies", shared by
// every replica) it creates `posts/reply-<reply id>`, SCHEDULED at the approval
// time, with no content (the listener's guard and approval stand for it), in
// reply to the mention, with its carecast.post.scheduled event and audit entry
// in the same write; then puts it in the due index and calls `on_indexed` so the
// loop wakes. From there the post is dispatched like any other: once, under the
// hold, the rate limits, recovery and reconciliation.
//
// Idempotent: the post id derives from the reply, so a redelivery, a re-publish
// or a second replica finds ALREADY_EXISTS and only re-indexes. An event that
// does not decode or lacks what a reply post needs is rejected and makes
// nothing; KV trouble is retried. Logs never carry the reply's text or the
// mention's id. Thread-safe; references must outlive it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "carecast/v1/resources.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_bus.h"
#include "services/common/store/entity_change.h"
#include "services/common/store/entity_store.h"
#include "services/publisher/due_index.h"
#include "services/publisher/post_records.h"

namespace carecast::publisher {

// The durable consumer's name.
inline constexpr std::string_view kReplyConsumer = "publisher-replies";
// A reply post's id is this prefix plus the reply's id.
inline constexpr std::string_view kReplyPostPrefix = "reply-";

// "inboxItems/i/replies/r" (or "replies/r") -> "r"; empty when `name` is not a
// reply name whose id makes a valid post id.
std::string ReplyIdFromName(std::string_view name);

// The post `reply` is sent as, created at `now`; `event_time` is its publish
// time when the reply carries no approve_time. INVALID_ARGUMENT, naming the
// field, when the reply lacks its name, account, network, in_reply_to or text.
absl::StatusOr<carecast::v1::Post> ReplyPostOf(const carecast::v1::Reply& reply,
                                               absl::Time event_time, absl::Time now);

// The post's creation as the bus and the audit trail see it: carecast.post.scheduled
// (id "posts.reply-<id>.b0.scheduled") and a "post.schedule" entry by the
// approver (or the author when no approval was needed).
common::Change ReplyPostScheduled(const carecast::v1::Reply& reply, const carecast::v1::Post& post,
                                  absl::Time now);

class ReplyPosts {
 public:
  // `on_indexed(due)`: the post is in the due index, due at `due`.
  ReplyPosts(common::EntityStore& posts, DueIndex& index, const common::Clock& clock,
             common::Logger& logger, DispatchPolicy policy,
             std::function<void(absl::Time due)> on_indexed);

  // The consumer to subscribe OnEvent with.
  static common::ConsumerSpec Consumer();
  // kAck once the post exists (made now or before) and is indexed or due to
  // the sweep; kReject for an event that can never make one; kRetry when KV
  // cannot be reached.
  common::Disposition OnEvent(const common::Event& event);

 private:
  // Indexes the post by its record and tells on_indexed_; when Redis refuses,
  // logs it and leaves the post to the due sweep.
  void Index(const carecast::v1::Post& post);

  common::EntityStore& posts_;
  DueIndex& index_;
  const common::Clock& clock_;
  common::Logger& logger_;
  const DispatchPolicy policy_;
  std::function<void(absl::Time)> on_indexed_;
};

}  // namespace carecast::publisher
