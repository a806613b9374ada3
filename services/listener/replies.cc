#include "services/listener/replies.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include "carecast/v1/events.pb.h"

#include "services/common/base/ids.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/utf8.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/common/lifecycle/inbox_lifecycle.h"
#include "services/listener/audited_change.h"
#include "services/listener/listener_names.h"

namespace carecast::listener {
namespace {

constexpr std::string_view kItemsPrefix = "inboxItems/";
constexpr std::string_view kMentionsPrefix = "mentions/";
constexpr std::string_view kRepliesSegment = "/replies/";
constexpr std::string_view kReplyPostPrefix = "posts/reply-";
constexpr size_t kMaxRequestIdBytes = 200;

struct ReplyKey {
  std::string item_id;
  std::string reply_id;
  std::string Key() const { return absl::StrCat(item_id, ".", reply_id); }
};

absl::StatusOr<std::string> ParseItemName(std::string_view name) {
  if (name.starts_with(kItemsPrefix) && common::IsValidId(name.substr(kItemsPrefix.size()))) {
    return std::string(name.substr(kItemsPrefix.size()));
  }
  return absl::InvalidArgumentError("inbox_item must look like inboxItems/{inbox_item}");
}

absl::StatusOr<ReplyKey> ParseReplyName(std::string_view name) {
  const absl::Status bad =
      absl::InvalidArgumentError("name must look like inboxItems/{inbox_item}/replies/{reply}");
  if (!name.starts_with(kItemsPrefix)) return bad;
  const std::string_view rest = name.substr(kItemsPrefix.size());
  const size_t at = rest.find(kRepliesSegment);
  if (at == std::string_view::npos) return bad;
  ReplyKey key{.item_id = std::string(rest.substr(0, at)),
               .reply_id = std::string(rest.substr(at + kRepliesSegment.size()))};
  if (!common::IsValidId(key.item_id) || !common::IsValidId(key.reply_id)) return bad;
  return key;
}

std::string ReplyName(const ReplyKey& key) {
  return absl::StrCat(common::AsAbsl(kItemsPrefix), key.item_id, common::AsAbsl(kRepliesSegment),
                      key.reply_id);
}

// "spokes/{spoke}/accounts/{account}".
bool IsAccountName(std::string_view name) {
  const std::vector<absl::string_view> parts = absl::StrSplit(common::AsAbsl(name), '/');
  return parts.size() == 4 && parts[0] == "spokes" && parts[2] == "accounts" &&
         common::IsValidId(common::AsStd(parts[1])) && common::IsValidId(common::AsStd(parts[3]));
}

bool IsPrintableToken(std::string_view s) {
  if (s.size() > kMaxRequestIdBytes || !common::IsValidUtf8(s)) return false;
  return std::none_of(s.begin(), s.end(),
                      [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

bool IsResolved(const v1::InboxItem& item) {
  return lifecycle::IsTerminal(lifecycle::Current(item.state()));
}

std::string_view ReplyStateName(v1::ReplyState state) {
  switch (state) {
    case v1::REPLY_STATE_AWAITING_APPROVAL:
      return "awaiting_approval";
    case v1::REPLY_STATE_SENDING:
      return "sending";
    case v1::REPLY_STATE_SENT:
      return "sent";
    case v1::REPLY_STATE_FAILED:
      return "failed";
    case v1::REPLY_STATE_NEEDS_HUMAN:
      return "needs_human";
    default:
      return "unspecified";
  }
}

v1::ReplyChanged Payload(const v1::Reply& reply, std::string_view actor) {
  v1::ReplyChanged payload;
  *payload.mutable_reply() = reply;
  payload.set_actor(std::string(actor));
  return payload;
}

// The draft request's own checks; the item's id.
absl::StatusOr<std::string> CheckDraft(std::string_view item_name, std::string_view text,
                                       std::string_view account, std::string_view request_id) {
  if (text.empty()) return absl::InvalidArgumentError("text must not be empty");
  if (!common::IsValidUtf8(text) || common::CodePointCount(text) > kMaxReplyChars) {
    return absl::InvalidArgumentError("text must be at most 2000 characters of UTF-8");
  }
  if (!account.empty() && !IsAccountName(account)) {
    return absl::InvalidArgumentError("account must look like spokes/{spoke}/accounts/{account}");
  }
  if (!IsPrintableToken(request_id)) {
    return absl::InvalidArgumentError(
        "request_id must be up to 200 bytes without spaces or control characters");
  }
  return ParseItemName(item_name);
}

// The account to answer from: the one asked for, else the mentioned one; in the
// item's spoke and one the caller acts for.
absl::StatusOr<std::string> AccountToAnswerFrom(const v1::InboxItem& item, std::string_view account,
                                                const common::SpokeScope& scope) {
  const std::string from = account.empty() ? item.account() : std::string(account);
  if (from.empty()) {
    return absl::InvalidArgumentError(
        "the mention names no account of ours; give the account to answer from");
  }
  const std::string_view from_spoke = common::SpokeOfResource(from);
  if (!item.spoke().empty() && from_spoke != item.spoke()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "account must be one of ", common::AsAbsl(item.spoke()), "'s accounts, the item's spoke"));
  }
  RETURN_IF_ERROR(scope.RequireChange(from_spoke, "account"));
  return from;
}

}  // namespace

Replies::Replies(common::EntityStore& replies, common::EntityStore& mentions,
                 common::EntityStore& items, Inbox& inbox, ReplyPolicies& policies,
                 const MentionClassifier& classifier, ListenerMetrics& metrics,
                 const common::Clock& clock, common::Logger& logger)
    : replies_(replies),
      mentions_(mentions),
      items_(items),
      inbox_(inbox),
      policies_(policies),
      classifier_(classifier),
      metrics_(metrics),
      clock_(clock),
      logger_(logger) {}

absl::StatusOr<Replies::Entry> Replies::Load(std::string_view key, std::string_view name) {
  absl::StatusOr<Entry> entry = replies_.Get<v1::Reply>(key);
  if (absl::IsNotFound(entry.status())) {
    return absl::NotFoundError(absl::StrCat(common::AsAbsl(name), " not found"));
  }
  return entry;
}

absl::StatusOr<v1::Mention> Replies::MentionOf(const v1::InboxItem& item, std::string_view what) {
  const std::string mention_id(
      item.mention().substr(std::min(item.mention().size(), kMentionsPrefix.size())));
  absl::StatusOr<common::Stored<v1::Mention>> mention =
      mention_id.empty() ? absl::NotFoundError("no mention")
                         : mentions_.Get<v1::Mention>(mention_id);
  if (absl::IsNotFound(mention.status())) {
    return absl::FailedPreconditionError(absl::StrCat(common::AsAbsl(what), "'s mention is gone"));
  }
  if (!mention.ok()) return mention.status();
  if (mention->value.external_id().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(common::AsAbsl(what), "'s mention has no id on its network to reply to"));
  }
  return std::move(mention->value);
}

absl::StatusOr<DraftOutcome> Replies::Draft(std::string_view item_name, std::string_view text,
                                            std::string_view account, std::string_view request_id,
                                            const common::Caller& caller,
                                            const common::SpokeScope& scope) {
  ASSIGN_OR_RETURN(const std::string item_id, CheckDraft(item_name, text, account, request_id));
  const ChangeActor actor = ChangeActor::Of(caller);
  if (actor.subject.empty()) return absl::InvalidArgumentError("the caller has no subject");

  const std::string what = absl::StrCat("inbox item ", item_id);
  absl::StatusOr<common::Stored<v1::InboxItem>> item = items_.Get<v1::InboxItem>(item_id);
  if (absl::IsNotFound(item.status())) return absl::NotFoundError(absl::StrCat(what, " not found"));
  if (!item.ok()) return item.status();
  RETURN_IF_ERROR(scope.RequireChangeOf(item->value.spoke(), what));

  // A retry of a draft that was stored answers with it, whatever happened since.
  const ReplyKey key{
      .item_id = item_id,
      .reply_id = request_id.empty()
                      ? common::NewId()
                      : common::IdFromRequest(absl::StrCat("reply\n", actor.subject, "\n", item_id),
                                              request_id)};
  const std::string name = ReplyName(key);
  auto replay = [&](const v1::Reply& stored) -> absl::StatusOr<DraftOutcome> {
    if (stored.text() != text || (!account.empty() && stored.account() != account)) {
      return absl::FailedPreconditionError(
          "request_id was already used for another draft of this item");
    }
    return DraftOutcome{.reply = stored};
  };
  if (!request_id.empty()) {
    absl::StatusOr<Entry> existing = replies_.Get<v1::Reply>(key.Key());
    if (existing.ok()) {
      RETURN_IF_ERROR(replies_.Settle(key.Key()));
      return replay(existing->value);
    }
    if (!absl::IsNotFound(existing.status())) return existing.status();
  }

  if (IsResolved(item->value)) {
    return absl::FailedPreconditionError(absl::StrCat(what, " is resolved"));
  }
  ASSIGN_OR_RETURN(const std::string from, AccountToAnswerFrom(item->value, account, scope));

  ASSIGN_OR_RETURN(const v1::ReplyPolicy policy, policies_.Effective(item->value.spoke()));
  DraftOutcome outcome;
  outcome.findings = GuardOutgoing(classifier_, text);
  if (!outcome.findings.empty()) {
    outcome.templates.assign(policy.templates().begin(), policy.templates().end());
    metrics_.Reply("refused");
    logger_.Info("reply draft refused by the outgoing guard",
                 {{"inbox_item_id", item_id},
                  {"finding", outcome.findings.front().kind()},
                  {"findings", absl::StrCat(outcome.findings.size())}});
    return outcome;
  }

  ASSIGN_OR_RETURN(const v1::Mention mention, MentionOf(item->value, what));

  const absl::Time now = clock_.Now();
  v1::Reply reply;
  reply.set_name(name);
  reply.set_inbox_item(std::string(item_name));
  reply.set_mention(item->value.mention());
  reply.set_network(mention.network());
  reply.set_in_reply_to(mention.external_id());
  reply.set_spoke(item->value.spoke());
  reply.set_account(from);
  reply.set_text(std::string(text));
  reply.set_author(actor.subject);
  reply.set_post(absl::StrCat(common::AsAbsl(kReplyPostPrefix), key.reply_id));
  reply.set_request_id(std::string(request_id));
  *reply.mutable_create_time() = ToTimestamp(now);
  *reply.mutable_update_time() = ToTimestamp(now);
  reply.set_state(v1::REPLY_STATE_AWAITING_APPROVAL);
  std::vector<common::Change> changes;
  if (policy.require_approval()) {
    changes.push_back(AuditedChange(common::events::kReplyDrafted, Payload(reply, actor.subject),
                                    name, "drafted", actor, request_id, "awaiting approval", now));
  } else {
    reply.set_state(v1::REPLY_STATE_SENDING);
    *reply.mutable_approve_time() = ToTimestamp(now);
    changes.push_back(AuditedChange(common::events::kReplyDrafted, Payload(reply, actor.subject),
                                    name, "drafted", actor, request_id,
                                    "approval not required by the policy", now));
    changes.push_back(AuditedChange(common::events::kReplyApproved, Payload(reply, actor.subject),
                                    name, "approved", actor, request_id,
                                    absl::StrCat("to be sent as ", reply.post()), now));
  }
  absl::StatusOr<Entry> created = replies_.Create(key.Key(), reply, changes);
  if (absl::IsAlreadyExists(created.status())) {
    // A concurrent retry stored it first.
    ASSIGN_OR_RETURN(Entry stored, Load(key.Key(), name));
    return replay(stored.value);
  }
  if (!created.ok()) return created.status();
  metrics_.Reply(policy.require_approval() ? "awaiting_approval" : "approved");
  logger_.Info("reply drafted", {{"reply", name},
                                 {"state", std::string(ReplyStateName(reply.state()))},
                                 {"network", std::string(NetworkName(reply.network()))}});
  return DraftOutcome{.reply = std::move(created->value)};
}

absl::StatusOr<v1::Reply> Replies::Approve(std::string_view name, std::string_view request_id,
                                           const common::Caller& caller,
                                           const common::SpokeScope& scope) {
  ASSIGN_OR_RETURN(const ReplyKey key, ParseReplyName(name));
  if (!IsPrintableToken(request_id)) {
    return absl::InvalidArgumentError(
        "request_id must be up to 200 bytes without spaces or control characters");
  }
  const ChangeActor actor = ChangeActor::Of(caller);
  for (int attempt = 0; attempt < common::kReadModifyWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(Entry entry, Load(key.Key(), name));
    RETURN_IF_ERROR(scope.RequireChangeOf(entry.value.spoke(), name));
    v1::Reply reply = entry.value;
    if (reply.state() != v1::REPLY_STATE_AWAITING_APPROVAL) {
      if (!reply.approver().empty() && reply.approver() == actor.subject) {
        RETURN_IF_ERROR(replies_.Settle(key.Key()));
        return reply;  // a retry of this approval
      }
      return absl::FailedPreconditionError(
          absl::StrCat(common::AsAbsl(name), " is ", common::AsAbsl(ReplyStateName(reply.state())),
                       ", not awaiting approval"));
    }
    if (reply.author() == actor.subject) {
      return absl::PermissionDeniedError("a reply's author cannot approve it");
    }
    // The guard may have learned more since the draft.
    if (std::vector<v1::GuardFinding> found = GuardOutgoing(classifier_, reply.text());
        !found.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the outgoing guard now refuses this reply (",
                       common::AsAbsl(found.front().kind()), "); draft another"));
    }
    const absl::Time now = clock_.Now();
    reply.set_state(v1::REPLY_STATE_SENDING);
    reply.set_approver(actor.subject);
    *reply.mutable_approve_time() = ToTimestamp(now);
    *reply.mutable_update_time() = ToTimestamp(now);
    std::vector<common::Change> changes = {AuditedChange(
        common::events::kReplyApproved, Payload(reply, actor.subject), name, "approved", actor,
        request_id, absl::StrCat("drafted by ", reply.author(), "; to be sent as ", reply.post()),
        now)};
    absl::StatusOr<Entry> written = replies_.Update(key.Key(), reply, entry, changes);
    if (absl::IsAborted(written.status())) continue;
    if (!written.ok()) return written.status();
    metrics_.Reply("approved");
    logger_.Info("reply approved", {{"reply", std::string(name)}});
    return std::move(written->value);
  }
  return absl::AbortedError(absl::StrCat(common::AsAbsl(name), " kept changing; retry"));
}

absl::StatusOr<v1::Reply> Replies::Get(std::string_view name, const common::SpokeScope& scope) {
  ASSIGN_OR_RETURN(const ReplyKey key, ParseReplyName(name));
  ASSIGN_OR_RETURN(Entry entry, Load(key.Key(), name));
  RETURN_IF_ERROR(scope.RequireSee(entry.value.spoke(), name));
  return std::move(entry.value);
}

absl::StatusOr<std::vector<v1::Reply>> Replies::List(std::string_view item_name,
                                                     const common::SpokeScope& scope) {
  ASSIGN_OR_RETURN(const std::string item_id, ParseItemName(item_name));
  const std::string what = absl::StrCat("inbox item ", item_id);
  absl::StatusOr<common::Stored<v1::InboxItem>> item = items_.Get<v1::InboxItem>(item_id);
  if (absl::IsNotFound(item.status())) return absl::NotFoundError(absl::StrCat(what, " not found"));
  if (!item.ok()) return item.status();
  RETURN_IF_ERROR(scope.RequireSee(item->value.spoke(), what));
  ASSIGN_OR_RETURN(std::vector<std::string> keys, replies_.Keys(absl::StrCat(item_id, ".")));
  std::vector<v1::Reply> replies;
  for (absl::StatusOr<Entry>& entry : replies_.GetMany<v1::Reply>(keys)) {
    if (absl::IsNotFound(entry.status())) continue;  // deleted between the listing and the read
    if (!entry.ok()) return entry.status();
    replies.push_back(std::move(entry->value));
  }
  std::sort(replies.begin(), replies.end(), [](const v1::Reply& a, const v1::Reply& b) {
    const absl::Time ta = FromTimestamp(a.create_time());
    const absl::Time tb = FromTimestamp(b.create_time());
    return ta != tb ? ta < tb : a.name() < b.name();
  });
  return replies;
}

common::Disposition Replies::OnPostEvent(const common::Event& event) {
  v1::Post post;
  std::string reason;
  if (event.subject == common::subjects::kPostPublished) {
    v1::PostPublished payload;
    if (!common::DecodeEvent(event, &payload).ok()) return common::Disposition::kReject;
    post = payload.post();
  } else if (event.subject == common::subjects::kPostFailed) {
    v1::PostFailed payload;
    if (!common::DecodeEvent(event, &payload).ok()) return common::Disposition::kReject;
    post = payload.post();
    reason = payload.reason();
  } else if (event.subject == common::subjects::kPostCancelled) {
    // A person cancelled the reply's post in the planner: it will not go out.
    v1::PostChanged payload;
    if (!common::DecodeEvent(event, &payload).ok()) return common::Disposition::kReject;
    post = payload.post();
    reason = absl::StrCat("its post was cancelled by ", payload.actor());
  } else {
    return common::Disposition::kAck;  // scheduling facts: nothing to record
  }
  if (post.reply().empty()) return common::Disposition::kAck;  // a program post
  const absl::Status recorded = RecordOutcome(post, reason);
  if (recorded.ok()) return common::Disposition::kAck;
  if (absl::IsUnavailable(recorded) || absl::IsAborted(recorded)) {
    return common::Disposition::kRetry;
  }
  logger_.Warn("a reply post's outcome cannot be recorded",
               {{"post", post.name()}, {"error", std::string(recorded.message())}});
  return common::Disposition::kReject;
}

absl::Status Replies::RecordOutcome(const v1::Post& post, std::string_view reason) {
  ASSIGN_OR_RETURN(const ReplyKey key, ParseReplyName(post.reply()));
  const std::string name = ReplyName(key);
  const bool published = post.state() == v1::POST_STATE_PUBLISHED;
  const v1::ReplyState next = published ? v1::REPLY_STATE_SENT
                              : post.state() == v1::POST_STATE_NEEDS_HUMAN
                                  ? v1::REPLY_STATE_NEEDS_HUMAN
                                  : v1::REPLY_STATE_FAILED;
  const ChangeActor actor = ChangeActor::System();
  v1::Reply reply;
  for (int attempt = 0;; ++attempt) {
    if (attempt == common::kReadModifyWriteAttempts) {
      return absl::AbortedError(absl::StrCat(name, " kept changing"));
    }
    ASSIGN_OR_RETURN(Entry entry, Load(key.Key(), name));
    reply = entry.value;
    // SENT is final: a late failure report of an earlier attempt changes nothing.
    if (reply.state() == v1::REPLY_STATE_SENT || reply.state() == next) {
      RETURN_IF_ERROR(replies_.Settle(key.Key()));
      break;
    }
    const absl::Time now = clock_.Now();
    reply.set_state(next);
    *reply.mutable_update_time() = ToTimestamp(now);
    std::vector<common::Change> changes;
    if (published) {
      reply.set_external_id(post.external_id());
      reply.set_url(post.url());
      *reply.mutable_sent_time() =
          post.has_published_time() ? post.published_time() : ToTimestamp(now);
      reply.clear_failure_reason();
      changes.push_back(AuditedChange(
          common::events::kReplySent, Payload(reply, actor.subject), name, "sent", actor, "",
          absl::StrCat("published as ", post.name(), " (", post.external_id(), ")"), now));
    } else {
      reply.set_failure_reason(reason.empty() ? post.failure_reason() : std::string(reason));
      // A NEEDS_HUMAN reply a person sends back can need a human again: the
      // revision keeps each report's id its own.
      changes.push_back(AuditedChange(
          common::events::kReplyFailed, Payload(reply, actor.subject), name,
          absl::StrCat("b", entry.revision, ".", common::AsAbsl(ReplyStateName(next))), actor, "",
          absl::StrCat(post.name(), " is ", common::AsAbsl(ReplyStateName(next))), now));
    }
    absl::StatusOr<Entry> written = replies_.Update(key.Key(), reply, entry, changes);
    if (absl::IsAborted(written.status())) continue;
    if (!written.ok()) return written.status();
    metrics_.Reply(ReplyStateName(next));
    logger_.Info("reply outcome recorded",
                 {{"reply", name}, {"state", std::string(ReplyStateName(next))}});
    break;
  }
  if (reply.state() != v1::REPLY_STATE_SENT) return absl::OkStatus();
  // The item's first response; repeated outcomes change nothing (Inbox::RecordReply).
  absl::StatusOr<v1::InboxItem> item = inbox_.RecordReply(
      reply.inbox_item(), key.reply_id, reply.author(), FromTimestamp(reply.sent_time()));
  if (absl::IsNotFound(item.status())) return absl::OkStatus();  // the item is gone
  return item.status();
}

}  // namespace carecast::listener
