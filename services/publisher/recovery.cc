#include "services/publisher/recovery.h"

#include <string>

#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"
#include "services/publisher/thread_publishing.h"

namespace carecast::publisher {

Reconciler::Reconciler(ChannelRegistry& channels, Outcomes& outcomes, const common::Clock& clock,
                       common::Logger& logger, PublisherMetrics& metrics, DispatchPolicy policy)
    : channels_(channels),
      outcomes_(outcomes),
      clock_(clock),
      logger_(logger),
      metrics_(metrics),
      policy_(policy) {}

absl::Status Reconciler::NeedsHuman(PostRecord& record, std::string_view reason) {
  metrics_.Reconciled(NetworkLabel(record.post.network()), "needs_human");
  return outcomes_.MarkFailed(record, carecast::v1::POST_STATE_NEEDS_HUMAN, reason,
                              "outcome_unknown");
}

absl::Status Reconciler::WhenAbsent(PostRecord& record, Channel& channel, bool may_be_in_flight,
                                    std::string_view why) {
  IdempotencyModel model = channel.idempotency();
  bool resend_is_safe = model != IdempotencyModel::kNone || !may_be_in_flight;
  if (!resend_is_safe) {
    return NeedsHuman(record, absl::StrCat(common::AsAbsl(why),
                                           "; the post is not found at the network, which has no "
                                           "idempotency key, and the earlier request may still be "
                                           "in flight: check the account before sending again"));
  }
  int attempt = record.post.attempt();
  if (attempt >= policy_.max_attempts) {
    return NeedsHuman(record, absl::StrCat(common::AsAbsl(why), "; not found at the network after ",
                                           attempt, " attempts"));
  }
  metrics_.Reconciled(NetworkLabel(record.post.network()), "absent_resend");
  logger_.Info("post not found at the network; sending again is safe",
               {{"post", PostIdFromName(record.post.name())},
                {"idempotency", std::string(IdempotencyModelName(model))},
                {"attempt", static_cast<int64_t>(attempt)}});
  return outcomes_.Reschedule(record, clock_.Now() + policy_.Backoff(attempt));
}

absl::StatusOr<WholeLookup> Reconciler::Lookup(PostRecord& record, Channel& channel,
                                               absl::Time since) {
  PublishRequest request = RequestFor(record.post, absl::InfiniteFuture());
  request.save_progress = [this, &record](std::string_view key, std::string_view value) {
    return outcomes_.SaveProgress(record, key, value);
  };
  return FindWhole(channel, request, since);
}

absl::Status Reconciler::WhenFound(PostRecord& record, const WholeLookup& found) {
  const std::string_view network = NetworkLabel(record.post.network());
  if (found.found == WholeLookup::Found::kComplete) {
    metrics_.Reconciled(network, "found");
    return outcomes_.MarkPublished(record, found.receipt);
  }
  // A thread whose part in doubt is out (now recorded): nothing is in flight,
  // so the rest is sent at once, from the next part. The claim made progress,
  // so it does not count against the attempts.
  metrics_.Reconciled(network, "found_thread_part");
  logger_.Info("thread part found at the network; sending the rest",
               {{"post", PostIdFromName(record.post.name())}});
  return outcomes_.Reschedule(record, clock_.Now(), /*refund_attempt=*/true);
}

absl::Status Reconciler::AfterUnknownOutcome(PostRecord& record, Channel& channel,
                                             const ChannelFailure& failure) {
  absl::Time since = record.post.has_send_time() ? ToTime(record.post.send_time())
                                                 : ToTime(record.post.update_time());
  absl::StatusOr<WholeLookup> found = Lookup(record, channel, since);
  std::string why = absl::StrCat("outcome unknown after the channel call (", failure.message, ")");
  if (!found.ok()) {
    return NeedsHuman(record, absl::StrCat(common::AsAbsl(why), " and the network cannot tell: ",
                                           found.status().message()));
  }
  if (found->found != WholeLookup::Found::kAbsent) return WhenFound(record, *found);
  return WhenAbsent(record, channel, failure.may_be_in_flight && found->doubt_was_sent, why);
}

absl::Status Reconciler::RecoverAbandonedClaim(PostRecord& record) {
  std::string id = PostIdFromName(record.post.name());
  const bool sent = record.post.has_send_time();
  logger_.Warn("reconciling a claim past its lease",
               {{"post", id},
                {"claimed_by", record.post.claimed_by()},
                {"sent", sent},
                {"attempt", static_cast<int64_t>(record.post.attempt())}});
  std::string_view network = NetworkLabel(record.post.network());
  if (!sent) {
    // The claim ended before its create call: nothing can be at the network.
    if (record.post.attempt() >= policy_.max_attempts) {
      return outcomes_.MarkFailed(
          record, carecast::v1::POST_STATE_FAILED,
          absl::StrCat("claimed ", record.post.attempt(),
                       " times and each claim was abandoned before sending (the publisher "
                       "stopped each time)"),
          "crash_loop");
    }
    metrics_.Reconciled(network, "absent_nothing_sent");
    return outcomes_.Reschedule(record, clock_.Now());
  }
  absl::StatusOr<Channel*> channel = channels_.Find(record.post.network());
  if (!channel.ok()) {
    return outcomes_.MarkFailed(record, carecast::v1::POST_STATE_NEEDS_HUMAN,
                                absl::StrCat("claim abandoned and ", channel.status().message()),
                                "no_channel");
  }
  absl::StatusOr<WholeLookup> found = Lookup(record, **channel, ToTime(record.post.send_time()));
  if (!found.ok()) {
    return NeedsHuman(record,
                      absl::StrCat("claim abandoned past its lease during its channel call and "
                                   "the network cannot tell whether the post went out: ",
                                   found.status().message()));
  }
  if (found->found != WholeLookup::Found::kAbsent) return WhenFound(record, *found);
  // The stalled owner may still be inside its call: the in-flight rule decides
  // (unless it stopped between two thread parts, before the next was sent).
  return WhenAbsent(record, **channel, /*may_be_in_flight=*/found->doubt_was_sent,
                    "claim abandoned past its lease during its channel call");
}

}  // namespace carecast::publisher
