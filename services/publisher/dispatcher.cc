#include "services/publisher/dispatcher.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"
#include "services/common/lifecycle/post_lifecycle.h"
#include "services/common/rpc/spoke_scope.h"
#include "services/common/store/fault_points.h"
#include "services/publisher/thread_publishing.h"

namespace carecast::publisher {

// Times the steps of one dispatch on the monotonic clock (the injected clock
// may be a test's, standing still).
class StepTimer {
 public:
  explicit StepTimer(PublisherMetrics& metrics) : metrics_(metrics) {}
  void Lap(std::string_view step) {
    auto now = std::chrono::steady_clock::now();
    metrics_.DispatchStep(step, absl::FromChrono(now - start_));
    start_ = now;
  }

 private:
  PublisherMetrics& metrics_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

absl::Duration SendMargin(absl::Duration lease) { return std::min(absl::Seconds(5), lease / 10); }

// A failed post ends FAILED, unless it is a thread some of whose parts are
// already on the network: then a person decides (finish it by hand, or take
// the parts down), so it ends NEEDS_HUMAN and says how far it got.
carecast::v1::PostState EndState(const PostRecord& record) {
  return IsPartlyPublishedThread(record.post) ? carecast::v1::POST_STATE_NEEDS_HUMAN
                                              : carecast::v1::POST_STATE_FAILED;
}

std::string PartlyOut(const PostRecord& record) {
  if (!IsPartlyPublishedThread(record.post)) return "";
  const PublishRequest whole = RequestFor(record.post, absl::InfiniteFuture());
  return absl::StrCat("thread partly published (",
                      ThreadPartsRecorded(whole.progress, ThreadLength(whole)), " of ",
                      ThreadLength(whole), " posts are on the network); ");
}

Dispatcher::Dispatcher(common::EntityStore& posts, common::EntityStore& contents, DueIndex& index,
                       ChannelRegistry& channels, HoldGate& hold, Outcomes& outcomes,
                       Reconciler& reconciler, const common::Clock& clock, common::Logger& logger,
                       PublisherMetrics& metrics, DispatchPolicy policy, std::string publisher_id)
    : posts_(posts),
      contents_(contents),
      index_(index),
      channels_(channels),
      hold_(hold),
      outcomes_(outcomes),
      reconciler_(reconciler),
      clock_(clock),
      logger_(logger),
      metrics_(metrics),
      policy_(policy),
      publisher_id_(std::move(publisher_id)) {}

DispatchResult Dispatcher::DispatchOne(const std::string& post_id, absl::Time now) {
  std::variant<DispatchResult, PreparedPost> prepared = Prepare(post_id, now, now);
  if (DispatchResult* ended = std::get_if<DispatchResult>(&prepared)) return *ended;
  return Send(std::get<PreparedPost>(prepared));
}

std::variant<DispatchResult, PreparedPost> Dispatcher::Prepare(const std::string& post_id,
                                                               absl::Time now, absl::Time horizon) {
  StepTimer timer(metrics_);
  absl::StatusOr<PostRecord> read = ReadPost(posts_, post_id);
  if (absl::IsNotFound(read.status()) || absl::IsDataLoss(read.status())) {
    if (absl::IsDataLoss(read.status()))
      logger_.Error("post record does not parse; dropped from the due index", {{"post", post_id}});
    (void)index_.Remove(post_id);
    return DispatchResult::kEnded;
  }
  if (!read.ok()) return DispatchResult::kRetryLater;
  PostRecord record = *std::move(read);
  const carecast::v1::Post& post = record.post;

  switch (post.state()) {
    case carecast::v1::POST_STATE_SCHEDULED:
      break;
    case carecast::v1::POST_STATE_PUBLISHING:
      if (ToTime(post.update_time()) + policy_.claim_lease <= now) {
        (void)reconciler_.RecoverAbandonedClaim(record);
        return DispatchResult::kEnded;
      }
      // Claimed elsewhere and alive: look again when its lease runs out.
      (void)index_.Put(post_id, ToTime(post.update_time()) + policy_.claim_lease);
      return DispatchResult::kRetryLater;
    case carecast::v1::POST_STATE_PUBLISHED:
    case carecast::v1::POST_STATE_FAILED:
    case carecast::v1::POST_STATE_NEEDS_HUMAN:
      // Its announcement travels with the record (the entity store's outbox);
      // finish it now if the writer could not.
      if (!record.unsent.empty() && !posts_.Settle(post_id).ok()) {
        return DispatchResult::kRetryLater;
      }
      (void)index_.Remove(post_id);
      return DispatchResult::kEnded;
    case carecast::v1::POST_STATE_UNSPECIFIED:
    case carecast::v1::POST_STATE_CANCELLED:
    // Its content is not approved (yet, or not in time): never dispatched. The
    // planner's carecast.post.scheduled puts it back in the index once it may go.
    case carecast::v1::POST_STATE_AWAITING_APPROVAL:
    case carecast::v1::POST_STATE_NEEDS_RESCHEDULE:
    case carecast::v1::PostState_INT_MIN_SENTINEL_DO_NOT_USE_:
    case carecast::v1::PostState_INT_MAX_SENTINEL_DO_NOT_USE_:
      (void)index_.Remove(post_id);
      return DispatchResult::kEnded;
  }

  // The record, not the index score, says when the post is due (it may have been
  // rescheduled, or be backing off after a retryable failure).
  const std::optional<absl::Time> due = NextLookTime(post, policy_);
  if (due && *due > horizon) {
    (void)index_.Put(post_id, *due);
    return DispatchResult::kRetryLater;
  }

  // A recycled post that missed its slot (publishers were down, or it kept
  // failing) is not published late: after an outage the slots it would crowd
  // belong to later posts, and a burst of old posts reads as spam.
  if (post.has_late_tolerance()) {
    const absl::Duration tolerance = absl::Seconds(post.late_tolerance().seconds());
    if (now > ToTime(post.publish_time()) + tolerance) {
      (void)outcomes_.MarkFailed(
          record, carecast::v1::POST_STATE_FAILED,
          absl::StrCat("missed its slot by more than ", absl::FormatDuration(tolerance),
                       "; not published late"),
          "missed_slot");
      return DispatchResult::kEnded;
    }
  }
  absl::StatusOr<Channel*> channel = channels_.Find(post.network());
  if (!channel.ok()) {
    (void)outcomes_.MarkFailed(record, carecast::v1::POST_STATE_FAILED,
                               common::AsStd(channel.status().message()), "no_channel");
    return DispatchResult::kEnded;
  }
  absl::Status content = CheckContentApproved(contents_, post, now);
  if (absl::IsFailedPrecondition(content)) {
    (void)outcomes_.MarkFailed(record, carecast::v1::POST_STATE_FAILED,
                               common::AsStd(content.message()), RefusalLabel(content));
    return DispatchResult::kEnded;
  }
  if (!content.ok()) return DispatchResult::kRetryLater;
  switch (hold_.CheckAuthoritative(common::SpokeOfResource(post.account()))) {
    case HoldVerdict::kGlobal:
      return DispatchResult::kHeld;
    case HoldVerdict::kSpoke:
      return DeferUnderSpokeHold(post_id, now);
    case HoldVerdict::kRun:
      break;
  }
  timer.Lap("check");
  std::variant<DispatchResult, PreparedPost> claimed = Claim(record, **channel, due.value_or(now));
  timer.Lap("claim");
  return claimed;
}

DispatchResult Dispatcher::DeferUnderSpokeHold(const std::string& post_id, absl::Time now) {
  (void)index_.Put(post_id, now + kSpokeHoldRecheck);
  return DispatchResult::kRetryLater;
}

std::variant<DispatchResult, PreparedPost> Dispatcher::Claim(PostRecord& record, Channel& channel,
                                                             absl::Time due) {
  const carecast::v1::Post original = record.post;
  const absl::Time claim_time = clock_.Now();
  absl::StatusOr<carecast::v1::PostState> claiming =
      lifecycle::Next(original.state(), lifecycle::PostEvent::kClaim);
  if (!claiming.ok()) return DispatchResult::kEnded;  // not SCHEDULED: nothing to send
  carecast::v1::Post claimed = original;
  claimed.set_state(*claiming);
  claimed.set_claimed_by(publisher_id_);
  claimed.set_attempt(original.attempt() + 1);
  SetTime(claim_time, claimed.mutable_update_time());
  absl::StatusOr<PostRecord> written = WritePost(posts_, claimed, record);
  if (absl::IsAborted(written.status())) {
    metrics_.ClaimLost();
    return DispatchResult::kClaimLost;
  }
  if (!written.ok()) return DispatchResult::kRetryLater;
  common::FaultPoint("publisher:after_claim");
  return PreparedPost{.record = *std::move(written),
                      .original = original,
                      .channel = &channel,
                      .claim_time = claim_time,
                      .due = due};
}

void Dispatcher::Release(PreparedPost& prepared) {
  if (!outcomes_.ReleaseClaim(prepared.record, prepared.original).ok()) {
    logger_.Warn("cannot release a claimed post on stop; recovery takes it after the lease",
                 {{"post", PostIdFromName(prepared.original.name())}});
  }
}

DispatchResult Dispatcher::Send(PreparedPost& prepared) {
  StepTimer timer(metrics_);
  PostRecord& record = prepared.record;
  const carecast::v1::Post& original = prepared.original;
  Channel& channel = *prepared.channel;
  std::string id = PostIdFromName(original.name());
  // A hold may have begun since the first check (the claim may have been made
  // ahead of the due time, by the loop's lookahead).
  if (const HoldVerdict hold =
          hold_.CheckAuthoritative(common::SpokeOfResource(original.account()));
      hold != HoldVerdict::kRun) {
    if (absl::Status s = outcomes_.ReleaseClaim(record, original); !s.ok()) {
      // Left PUBLISHING: recovery reconciles it after the lease (nothing was sent).
      logger_.Warn("cannot release claim under hold", {{"post", id}});
      return DispatchResult::kRetryLater;
    }
    if (hold == HoldVerdict::kGlobal) return DispatchResult::kHeld;
    return DeferUnderSpokeHold(id, clock_.Now());
  }
  // An edit (or a revoked approval) that landed between the first read and the
  // claim must not publish the old text.
  absl::Status content = CheckContentApproved(contents_, record.post, clock_.Now());
  if (absl::IsFailedPrecondition(content)) {
    (void)outcomes_.MarkFailed(record, carecast::v1::POST_STATE_FAILED,
                               common::AsStd(content.message()), RefusalLabel(content));
    return DispatchResult::kEnded;
  }
  if (!content.ok()) {
    (void)outcomes_.ReleaseClaim(record, original);
    return DispatchResult::kRetryLater;
  }
  // A process stalled past its own lease may already have been reconciled; it
  // must not send (the record fences its later writes too).
  const absl::Time deadline =
      prepared.claim_time + policy_.claim_lease - SendMargin(policy_.claim_lease);
  if (clock_.Now() >= deadline) {
    logger_.Warn("claim expired before the channel call; leaving it to recovery", {{"post", id}});
    return DispatchResult::kRetryLater;
  }
  // From here on a takeover must reconcile before anything else.
  if (absl::Status marked = outcomes_.MarkSending(record); !marked.ok()) {
    if (absl::IsAborted(marked)) {
      metrics_.ClaimLost();
      return DispatchResult::kClaimLost;
    }
    return DispatchResult::kRetryLater;  // still PUBLISHING without send_time: recovery reschedules
  }
  common::FaultPoint("publisher:after_send_mark");
  timer.Lap("send_check");

  PublishRequest request = RequestFor(record.post, deadline);
  request.save_progress = [this, &record](std::string_view key, std::string_view value) {
    return outcomes_.SaveProgress(record, key, value);
  };
  absl::StatusOr<Receipt> receipt = PublishWhole(channel, request);
  common::FaultPoint("publisher:after_channel_call");
  timer.Lap("channel");
  DispatchResult result = DispatchResult::kRetryLater;
  if (receipt.ok()) {
    if (outcomes_.MarkPublished(record, *receipt).ok()) result = DispatchResult::kPublished;
  } else {
    result = HandleChannelError(record, channel, receipt.status());
  }
  timer.Lap("record");
  return result;
}

DispatchResult Dispatcher::HandleChannelError(PostRecord& record, Channel& channel,
                                              const absl::Status& error) {
  ChannelFailure failure = ClassifyChannelError(error);
  std::string_view kind = ChannelErrorKindName(failure.kind);
  switch (failure.kind) {
    case ChannelErrorKind::kRateLimited: {
      // The network asked us to wait: not a failure, so the claim is refunded
      // and the post waits as long as it takes (the lateness metrics show it).
      absl::Duration wait = std::max(failure.retry_after, absl::Seconds(1));
      logger_.Info("rate limited; waiting",
                   {{"post", PostIdFromName(record.post.name())},
                    {"network", std::string(NetworkLabel(record.post.network()))},
                    {"retry_in_ms", absl::ToInt64Milliseconds(wait)}});
      metrics_.RateLimited(NetworkLabel(record.post.network()));
      (void)outcomes_.Reschedule(record, clock_.Now() + wait, /*refund_attempt=*/true);
      return DispatchResult::kRetryLater;
    }
    case ChannelErrorKind::kRetryable: {
      int attempt = record.post.attempt();
      if (attempt >= policy_.max_attempts) {
        (void)outcomes_.MarkFailed(record, EndState(record),
                                   absl::StrCat(PartlyOut(record), "gave up after ", attempt,
                                                " attempts: ", failure.message),
                                   kind);
        return DispatchResult::kEnded;
      }
      absl::Duration wait = std::max(policy_.Backoff(attempt), failure.retry_after);
      logger_.Info("channel call failed; will retry",
                   {{"post", PostIdFromName(record.post.name())},
                    {"reason_kind", std::string(kind)},
                    {"attempt", static_cast<int64_t>(attempt)},
                    {"retry_in_ms", absl::ToInt64Milliseconds(wait)}});
      (void)outcomes_.Reschedule(record, clock_.Now() + wait);
      return DispatchResult::kRetryLater;
    }
    case ChannelErrorKind::kAuthExpired:
      (void)outcomes_.MarkFailed(
          record, EndState(record),
          absl::StrCat(PartlyOut(record), "channel credentials expired: ", failure.message), kind);
      return DispatchResult::kEnded;
    case ChannelErrorKind::kPermanent:
      (void)outcomes_.MarkFailed(
          record, EndState(record),
          absl::StrCat(PartlyOut(record), "channel refused the post: ", failure.message), kind);
      return DispatchResult::kEnded;
    case ChannelErrorKind::kOutcomeUnknown:
      (void)reconciler_.AfterUnknownOutcome(record, channel, failure);
      return DispatchResult::kEnded;
  }
  return DispatchResult::kEnded;
}

}  // namespace carecast::publisher
