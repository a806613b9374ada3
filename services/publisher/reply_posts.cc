#include "services/publisher/reply_posts.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "carecast/v1/events.pb.h"

#include "services/common/base/account_name.h"
#include "services/common/base/ids.h"
#include "services/common/base/strings.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/common/bus/topology.h"
#include "services/common/store/fault_points.h"
#include "services/publisher/outcomes.h"

namespace carecast::publisher {
namespace {

using common::AsAbsl;

constexpr std::string_view kRepliesSegment = "replies/";
constexpr std::string_view kInboxItemsSegment = "inboxItems/";

// The approver, or the author when the spoke needed no approval: the person
// who let the reply go.
const std::string& ActorOf(const carecast::v1::Reply& reply) {
  return reply.approver().empty() ? reply.author() : reply.approver();
}

}  // namespace

std::string ReplyIdFromName(std::string_view name) {
  // `inboxItems/{item}/replies/{reply}` as the listener names it; a bare
  // `replies/{reply}` is taken too.
  std::string_view rest = name;
  if (rest.substr(0, kInboxItemsSegment.size()) == kInboxItemsSegment) {
    rest.remove_prefix(kInboxItemsSegment.size());
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos || !common::IsValidId(rest.substr(0, slash))) return {};
    rest.remove_prefix(slash + 1);
  }
  if (rest.substr(0, kRepliesSegment.size()) != kRepliesSegment) return {};
  rest.remove_prefix(kRepliesSegment.size());
  // The post id must be a valid id too (at most 63 characters).
  if (!common::IsValidId(rest) ||
      !common::IsValidId(absl::StrCat(AsAbsl(kReplyPostPrefix), AsAbsl(rest))))
    return {};
  return std::string(rest);
}

absl::StatusOr<carecast::v1::Post> ReplyPostOf(const carecast::v1::Reply& reply,
                                               absl::Time event_time, absl::Time now) {
  const std::string reply_id = ReplyIdFromName(reply.name());
  if (reply_id.empty())
    return absl::InvalidArgumentError("reply.name is not inboxItems/{item}/replies/{reply}");
  if (!common::ParseAccountIds(reply.account()))
    return absl::InvalidArgumentError("reply.account is not spokes/{spoke}/accounts/{account}");
  if (reply.network() == carecast::v1::NETWORK_UNSPECIFIED)
    return absl::InvalidArgumentError("reply.network is unset");
  if (reply.in_reply_to().empty()) return absl::InvalidArgumentError("reply.in_reply_to is empty");
  if (reply.text().empty()) return absl::InvalidArgumentError("reply.text is empty");

  carecast::v1::Post post;
  post.set_name(absl::StrCat("posts/", AsAbsl(kReplyPostPrefix), reply_id));
  post.set_account(reply.account());
  post.set_network(reply.network());
  post.set_text(reply.text());
  post.set_in_reply_to(reply.in_reply_to());
  post.set_reply(reply.name());
  if (reply.has_approve_time()) {
    *post.mutable_publish_time() = reply.approve_time();
  } else {
    SetTime(event_time, post.mutable_publish_time());
  }
  post.set_state(carecast::v1::POST_STATE_SCHEDULED);
  post.set_scheduled_by(ActorOf(reply));
  SetTime(now, post.mutable_create_time());
  SetTime(now, post.mutable_update_time());
  return post;
}

common::Change ReplyPostScheduled(const carecast::v1::Reply& reply, const carecast::v1::Post& post,
                                  absl::Time now) {
  const std::string post_id = PostIdFromName(post.name());
  carecast::v1::PostChanged payload;
  *payload.mutable_post() = post;
  payload.set_actor(ActorOf(reply));
  common::Change change;
  // A create is fenced on revision 0: one id for the one write that can succeed.
  change.event = common::MakeCatalogueEvent(
      common::events::kPostScheduled, payload, kPublisherSource, now,
      common::ChangeEventId(absl::StrCat("posts.", post_id), 0, "scheduled"));
  common::AuditRecord& audit = change.audit.emplace();
  audit.subject = absl::StrCat(AsAbsl(common::subjects::kAuditPrefix), "posts.", post_id);
  audit.id = absl::StrCat("audit.", change.event.id);
  carecast::v1::AuditEntry& entry = audit.entry;
  entry.set_actor(ActorOf(reply));
  entry.set_role("responder");
  entry.set_action(std::string(common::events::kPostScheduled.audit_action));
  entry.set_resource(post.name());
  SetTime(now, entry.mutable_time());
  // Names only: the reply's text may repeat what the public wrote.
  std::string detail = absl::StrCat("reply ", reply.name());
  if (!reply.inbox_item().empty()) absl::StrAppend(&detail, " to ", reply.inbox_item());
  absl::StrAppend(&detail, ", approved ",
                  reply.approver().empty() ? "without a second responder"
                                           : absl::StrCat("by ", reply.approver()),
                  "; scheduled by the publisher to be sent once");
  entry.set_detail(std::move(detail));
  return change;
}

ReplyPosts::ReplyPosts(common::EntityStore& posts, DueIndex& index, const common::Clock& clock,
                       common::Logger& logger, DispatchPolicy policy,
                       std::function<void(absl::Time due)> on_indexed)
    : posts_(posts),
      index_(index),
      clock_(clock),
      logger_(logger),
      policy_(policy),
      on_indexed_(std::move(on_indexed)) {}

common::ConsumerSpec ReplyPosts::Consumer() {
  common::ConsumerSpec spec;
  spec.stream = std::string(common::streams::kEvents);
  spec.durable = std::string(kReplyConsumer);  // shared: each reply made by one replica
  spec.filter_subject = std::string(common::events::kReplyApproved.subject);
  spec.deliver_all = true;
  // An approved reply must not be dropped after a KV outage; an event that can
  // never make a post is rejected, not retried.
  spec.max_deliver = 0;
  return spec;
}

common::Disposition ReplyPosts::OnEvent(const common::Event& event) {
  carecast::v1::ReplyChanged payload;
  if (absl::Status decoded = common::DecodeEvent(event, &payload); !decoded.ok()) {
    logger_.Warn("reply event rejected: it does not decode",
                 {{"event_id", event.id}, {"subject", event.subject}});
    return common::Disposition::kReject;
  }
  const carecast::v1::Reply& reply = payload.reply();
  const absl::Time now = clock_.Now();
  absl::StatusOr<carecast::v1::Post> made = ReplyPostOf(reply, event.time, now);
  if (!made.ok()) {
    // The reason names a field, never its value.
    logger_.Warn("reply event rejected: no post can be made of it",
                 {{"event_id", event.id},
                  {"reply", ReplyIdFromName(reply.name())},
                  {"reason", std::string(made.status().message())}});
    return common::Disposition::kReject;
  }
  const std::string post_id = PostIdFromName(made->name());
  absl::StatusOr<common::Stored<carecast::v1::Post>> created = posts_.Create(
      post_id, *made, std::vector<common::Change>{ReplyPostScheduled(reply, *made, now)});
  if (absl::IsAlreadyExists(created.status())) {
    // Made by another replica or an earlier delivery, which may have died
    // before indexing it: index what is stored (nothing when it has ended).
    absl::StatusOr<PostRecord> stored = ReadPost(posts_, post_id);
    if (stored.ok()) {
      Index(stored->post);
    } else if (absl::IsUnavailable(stored.status())) {
      return common::Disposition::kRetry;
    }
    logger_.Info("reply post already made", {{"post", post_id}, {"event_id", event.id}});
    return common::Disposition::kAck;
  }
  if (absl::IsUnavailable(created.status()) || absl::IsAborted(created.status())) {
    return common::Disposition::kRetry;
  }
  if (!created.ok()) {
    logger_.Error("reply post not made", {{"post", post_id},
                                          {"event_id", event.id},
                                          {"error", std::string(created.status().message())}});
    return common::Disposition::kReject;
  }
  common::FaultPoint("publisher:after_reply_post");
  Index(created->value);
  logger_.Info("reply post scheduled", {{"post", post_id},
                                        {"network", std::string(NetworkLabel(made->network()))},
                                        {"event_id", event.id}});
  return common::Disposition::kAck;
}

void ReplyPosts::Index(const carecast::v1::Post& post) {
  const std::optional<absl::Time> when = NextLookTime(post, policy_);
  if (!when) return;
  const std::string id = PostIdFromName(post.name());
  if (absl::Status s = index_.Put(id, *when); !s.ok()) {
    logger_.Warn("cannot index reply post; the due sweep will", {{"post", id}});
    return;
  }
  if (on_indexed_) on_indexed_(*when);
}

}  // namespace carecast::publisher
