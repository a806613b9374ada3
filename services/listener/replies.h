// Responders' replies to inbox items (docs/replies.md). A draft passes the
// outgoing guard or is not stored; a stored reply waits for a second
// responder when its spoke's policy says so; an approved reply is handed to the
// publisher by carecast.reply.approved, which sends it once, as the post
// "posts/reply-<id>", in the mention's thread. The listener then records what
// the publisher reports (SENT, FAILED, NEEDS_HUMAN) and the item's first response.
//
// Replies live in the carecast_replies bucket under "<item id>.<reply id>", so
// an item's replies are one key listing. Every change is one compare-and-set
// write with its event and audit entry (audited_change.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "carecast/v1/resources.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event.h"
#include "services/common/bus/event_bus.h"
#include "services/common/rpc/rpc_edge.h"
#include "services/common/rpc/spoke_scope.h"
#include "services/common/store/entity_store.h"
#include "services/listener/inbox.h"
#include "services/listener/listener_metrics.h"
#include "services/listener/mention_classifier.h"
#include "services/listener/reply_policies.h"

namespace carecast::listener {

// What DraftReply answers: the stored reply, or the guard's findings with the
// templates to use instead (nothing stored).
struct DraftOutcome {
  std::optional<v1::Reply> reply;
  std::vector<v1::GuardFinding> findings;
  std::vector<v1::ReplyTemplate> templates;
};

// Thread-safe (state is in KV). References must outlive it.
class Replies {
 public:
  Replies(common::EntityStore& replies, common::EntityStore& mentions, common::EntityStore& items,
          Inbox& inbox, ReplyPolicies& policies, const MentionClassifier& classifier,
          ListenerMetrics& metrics, const common::Clock& clock, common::Logger& logger);

  // Drafts `text` as a reply to unresolved item `item_name` from `account` (empty:
  // the item's mentioned account). INVALID_ARGUMENT: malformed names, text empty,
  // not UTF-8 or over 2000 characters, an account in another spoke than the
  // item's, no account to answer from; NOT_FOUND: no such item (or one the scope
  // may not see); FAILED_PRECONDITION: the item is resolved, or the request_id
  // was used for another draft. A retry with the same request_id answers with the
  // reply it made.
  absl::StatusOr<DraftOutcome> Draft(std::string_view item_name, std::string_view text,
                                     std::string_view account, std::string_view request_id,
                                     const common::Caller& caller, const common::SpokeScope& scope);
  // AWAITING_APPROVAL -> SENDING by a responder who did not draft it
  // (PERMISSION_DENIED for its author). An approved reply answers as it is.
  absl::StatusOr<v1::Reply> Approve(std::string_view name, std::string_view request_id,
                                    const common::Caller& caller, const common::SpokeScope& scope);
  absl::StatusOr<v1::Reply> Get(std::string_view name, const common::SpokeScope& scope);
  // Oldest first.
  absl::StatusOr<std::vector<v1::Reply>> List(std::string_view item_name,
                                              const common::SpokeScope& scope);

  // The durable consumer's handler for carecast.post.>: a published, failed,
  // NEEDS_HUMAN or cancelled reply post updates its reply (carecast.reply.sent /
  // failed; cancelled counts as FAILED) and a sent one the item
  // (Inbox::RecordReply). Other posts are acknowledged.
  common::Disposition OnPostEvent(const common::Event& event);

 private:
  using Entry = common::Stored<v1::Reply>;
  absl::StatusOr<Entry> Load(std::string_view key, std::string_view name);
  // The item's mention, which must carry its id on the network.
  absl::StatusOr<v1::Mention> MentionOf(const v1::InboxItem& item, std::string_view what);
  // Records the publisher's outcome for the reply named by `post`.
  absl::Status RecordOutcome(const v1::Post& post, std::string_view reason);

  common::EntityStore& replies_;
  common::EntityStore& mentions_;
  common::EntityStore& items_;
  Inbox& inbox_;
  ReplyPolicies& policies_;
  const MentionClassifier& classifier_;
  ListenerMetrics& metrics_;
  const common::Clock& clock_;
  common::Logger& logger_;
};

}  // namespace carecast::listener
