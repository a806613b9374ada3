#include "services/publisher/outcomes.h"

#include "absl/strings/str_cat.h"

#include "carecast/v1/events.pb.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/bus/event_codec.h"
#include "services/common/bus/subjects.h"
#include "services/common/lifecycle/post_lifecycle.h"

namespace carecast::publisher {
namespace {
constexpr int kRecordTries = 3;
}  // namespace

Outcomes::Outcomes(common::EntityStore& posts, DueIndex& index, const common::Clock& clock,
                   common::Logger& logger, PublisherMetrics& metrics, std::string publisher_id)
    : posts_(posts),
      index_(index),
      clock_(clock),
      logger_(logger),
      metrics_(metrics),
      publisher_id_(std::move(publisher_id)) {}

std::vector<common::Change> Outcomes::ChangesFor(const carecast::v1::Post& post) const {
  std::string id = PostIdFromName(post.name());
  const absl::Time now = clock_.Now();
  common::Change change;
  std::string action;
  switch (post.state()) {
    case carecast::v1::POST_STATE_PUBLISHED: {
      carecast::v1::PostPublished payload;
      *payload.mutable_post() = post;
      payload.set_publisher_id(publisher_id_);
      change.event =
          common::MakeEvent(common::subjects::kPostPublished, payload, kPublisherSource, now,
                            absl::StrCat("post.", id, ".v", post.content_version(), ".published"));
      action = "post.publish";
      break;
    }
    case carecast::v1::POST_STATE_FAILED:
    case carecast::v1::POST_STATE_NEEDS_HUMAN: {
      carecast::v1::PostFailed payload;
      *payload.mutable_post() = post;
      payload.set_publisher_id(publisher_id_);
      payload.set_reason(post.failure_reason());
      // Round 0 keeps the short id; later rounds (a person sent the post back
      // to dispatch) name theirs, since attempts restart from zero.
      std::string round =
          post.dispatch_round() > 0 ? absl::StrCat(".r", post.dispatch_round()) : std::string();
      change.event =
          common::MakeEvent(common::subjects::kPostFailed, payload, kPublisherSource, now,
                            absl::StrCat("post.", id, ".v", post.content_version(), round, ".a",
                                         post.attempt(), ".failed"));
      action = post.state() == carecast::v1::POST_STATE_FAILED ? "post.fail" : "post.escalate";
      break;
    }
    case carecast::v1::POST_STATE_UNSPECIFIED:
    case carecast::v1::POST_STATE_SCHEDULED:
    case carecast::v1::POST_STATE_PUBLISHING:
    case carecast::v1::POST_STATE_CANCELLED:
    case carecast::v1::POST_STATE_AWAITING_APPROVAL:
    case carecast::v1::POST_STATE_NEEDS_RESCHEDULE:
    case carecast::v1::PostState_INT_MIN_SENTINEL_DO_NOT_USE_:
    case carecast::v1::PostState_INT_MAX_SENTINEL_DO_NOT_USE_:
      return {};  // nothing to announce
  }
  common::AuditRecord& audit = change.audit.emplace();
  audit.subject = absl::StrCat(common::AsAbsl(common::subjects::kAuditPrefix), "posts.", id);
  audit.id = absl::StrCat("audit.", change.event.id);
  carecast::v1::AuditEntry& entry = audit.entry;
  entry.set_actor(publisher_id_);
  entry.set_role("publisher");
  entry.set_action(action);
  entry.set_resource(post.name());
  entry.set_version(post.content_version());
  entry.set_content_hash(post.content_hash());
  SetTime(now, entry.mutable_time());
  // The failure reason is written by CareCast and carries no post text.
  entry.set_detail(post.state() == carecast::v1::POST_STATE_PUBLISHED
                       ? absl::StrCat("external id ", post.external_id())
                       : post.failure_reason());
  return {std::move(change)};
}

void Outcomes::Unindex(const carecast::v1::Post& post) {
  std::string id = PostIdFromName(post.name());
  if (absl::Status s = index_.Remove(id); !s.ok()) {
    // Harmless: the next cycle reads the terminal state and removes it.
    logger_.Warn("cannot remove post from due index", {{"post", id}});
  }
}

absl::Status Outcomes::MarkPublished(PostRecord& record, const Receipt& receipt) {
  std::string id = PostIdFromName(record.post.name());
  absl::Time now = clock_.Now();
  for (int attempt = 0; attempt < kRecordTries; ++attempt) {
    carecast::v1::Post next = record.post;
    if (next.state() == carecast::v1::POST_STATE_PUBLISHED) {
      // Someone (a reconciler) already recorded it, with its announcement.
      Unindex(next);
      return absl::OkStatus();
    }
    // The network has the post: whatever the record says now, it must say PUBLISHED.
    ASSIGN_OR_RETURN(carecast::v1::PostState published,
                     lifecycle::NextOnReceipt(next.state(), next.name()));
    next.set_state(published);
    next.set_external_id(receipt.external_id);
    next.set_url(receipt.url);
    next.clear_failure_reason();
    SetTime(now, next.mutable_published_time());
    SetTime(now, next.mutable_update_time());
    absl::StatusOr<PostRecord> written = WritePost(posts_, next, record, ChangesFor(next));
    if (written.ok()) {
      record = *std::move(written);
      std::string_view network = NetworkLabel(record.post.network());
      metrics_.Published(network, now - ToTime(record.post.publish_time()));
      logger_.Info("post published", {{"post", id},
                                      {"network", std::string(network)},
                                      {"attempt", static_cast<int64_t>(record.post.attempt())},
                                      {"external_id", receipt.external_id}});
      Unindex(record.post);
      return absl::OkStatus();
    }
    if (!absl::IsAborted(written.status())) {
      logger_.Error("post went out but cannot be recorded as published",
                    {{"post", id}, {"error", std::string(written.status().message())}});
      return written.status();
    }
    // The record moved under us (lease expired, or it was cancelled mid-call).
    // The network has the post, so the record must say PUBLISHED.
    logger_.Warn("post changed while its publication was in flight; recording it anyway",
                 {{"post", id}});
    ASSIGN_OR_RETURN(record, ReadPost(posts_, id));
  }
  return absl::AbortedError(absl::StrCat("post ", id, " kept changing; not recorded"));
}

absl::Status Outcomes::MarkFailed(PostRecord& record, carecast::v1::PostState state,
                                  std::string_view reason, std::string_view reason_kind) {
  std::string id = PostIdFromName(record.post.name());
  carecast::v1::Post next = record.post;
  ASSIGN_OR_RETURN(carecast::v1::PostState ended,
                   lifecycle::Next(next.state(),
                                   state == carecast::v1::POST_STATE_NEEDS_HUMAN
                                       ? lifecycle::PostEvent::kNeedsHuman
                                       : lifecycle::PostEvent::kFailed,
                                   next.name()));
  next.set_state(ended);
  next.set_failure_reason(std::string(reason));
  SetTime(clock_.Now(), next.mutable_update_time());
  ASSIGN_OR_RETURN(record, WritePost(posts_, next, record, ChangesFor(next)));
  std::string_view network = NetworkLabel(record.post.network());
  metrics_.Failed(network, reason_kind);
  logger_.Warn(state == carecast::v1::POST_STATE_NEEDS_HUMAN ? "post needs a human" : "post failed",
               {{"post", id},
                {"network", std::string(network)},
                {"reason_kind", std::string(reason_kind)},
                {"reason", std::string(reason)},
                {"attempt", static_cast<int64_t>(record.post.attempt())}});
  Unindex(record.post);
  return absl::OkStatus();
}

absl::Status Outcomes::Reschedule(PostRecord& record, absl::Time next_look, bool refund_attempt) {
  std::string id = PostIdFromName(record.post.name());
  carecast::v1::Post next = record.post;
  ASSIGN_OR_RETURN(carecast::v1::PostState again,
                   lifecycle::Next(next.state(), lifecycle::PostEvent::kReschedule, next.name()));
  next.set_state(again);
  next.clear_claimed_by();
  next.clear_send_time();
  if (refund_attempt && next.attempt() > 0) next.set_attempt(next.attempt() - 1);
  SetTime(clock_.Now(), next.mutable_update_time());
  ASSIGN_OR_RETURN(record, WritePost(posts_, next, record));
  if (absl::Status s = index_.Put(id, next_look); !s.ok()) {
    // A rebuild after Redis returns puts it back, derived from the record.
    logger_.Warn("cannot re-index rescheduled post", {{"post", id}});
  }
  return absl::OkStatus();
}

absl::Status Outcomes::MarkSending(PostRecord& record) {
  carecast::v1::Post next = record.post;
  if (next.state() != carecast::v1::POST_STATE_PUBLISHING)
    return absl::FailedPreconditionError("only a claimed post can be sent");
  // update_time stays: the lease runs from the claim, not from this write.
  SetTime(clock_.Now(), next.mutable_send_time());
  ASSIGN_OR_RETURN(record, WritePost(posts_, next, record));
  return absl::OkStatus();
}

absl::Status Outcomes::SaveProgress(PostRecord& record, std::string_view key,
                                    std::string_view value) {
  carecast::v1::Post next = record.post;
  if (next.state() != carecast::v1::POST_STATE_PUBLISHING)
    return absl::FailedPreconditionError("only a claimed post keeps channel progress");
  (*next.mutable_channel_progress())[std::string(key)] = std::string(value);
  ASSIGN_OR_RETURN(record, WritePost(posts_, next, record));
  return absl::OkStatus();
}

absl::Status Outcomes::ReleaseClaim(PostRecord& record, const carecast::v1::Post& original) {
  RETURN_IF_ERROR(
      lifecycle::Next(record.post.state(), lifecycle::PostEvent::kReleaseClaim, record.post.name())
          .status());
  ASSIGN_OR_RETURN(record, WritePost(posts_, original, record));
  return absl::OkStatus();
}

}  // namespace carecast::publisher
