#include "services/publisher/recovery.h"

#include <string>

#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

namespace carecast::publisher {

Reconciler::Reconciler(ChannelRegistry& channels, Outcomes& outcomes, const common::Clock& clock,
                       common::Logger& logger)
    : channels_(channels), outcomes_(outcomes), clock_(clock), logger_(logger) {}

absl::Status Reconciler::AfterUnknownOutcome(PostRecord& record, Channel& channel,
                                             std::string_view error) {
  std::string key = IdempotencyKey(record.post);
  absl::StatusOr<std::optional<Receipt>> found = channel.FindByMarker(key);
  if (found.ok() && found->has_value()) return outcomes_.MarkPublished(record, **found);
  // Right after a timeout "not found" may only mean "not visible yet", so it is
  // no licence to send again: a person decides.
  std::string reason =
      found.ok() ? absl::StrCat("outcome unknown after the channel call (", common::AsAbsl(error),
                                ") and the post is not found at the channel")
                 : absl::StrCat("outcome unknown after the channel call (", common::AsAbsl(error),
                                ") and the channel cannot tell: ", found.status().message());
  return outcomes_.MarkFailed(record, carecast::v1::POST_STATE_NEEDS_HUMAN, reason,
                              "outcome_unknown");
}

absl::Status Reconciler::RecoverAbandonedClaim(PostRecord& record) {
  std::string id = PostIdFromName(record.post.name());
  logger_.Warn("reconciling a claim past its lease",
               {{"post", id},
                {"claimed_by", record.post.claimed_by()},
                {"attempt", static_cast<int64_t>(record.post.attempt())}});
  absl::StatusOr<Channel*> channel = channels_.Find(record.post.network());
  if (!channel.ok()) {
    return outcomes_.MarkFailed(record, carecast::v1::POST_STATE_NEEDS_HUMAN,
                                absl::StrCat("claim abandoned and ", channel.status().message()),
                                "no_channel");
  }
  absl::StatusOr<std::optional<Receipt>> found =
      (*channel)->FindByMarker(IdempotencyKey(record.post));
  if (!found.ok()) {
    return outcomes_.MarkFailed(
        record, carecast::v1::POST_STATE_NEEDS_HUMAN,
        absl::StrCat("claim abandoned past its lease and the channel cannot tell whether the "
                     "post went out: ",
                     found.status().message()),
        "outcome_unknown");
  }
  if (found->has_value()) return outcomes_.MarkPublished(record, **found);
  // A lease later the channel would show the post if it had been sent: a new
  // claim is safe (and the compare-and-set fences out the stalled owner).
  return outcomes_.Reschedule(record, clock_.Now());
}

}  // namespace carecast::publisher
