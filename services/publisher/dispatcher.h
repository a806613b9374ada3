// Claim, call, record for one due post. Every replica reads the same due index;
// the compare-and-set claim on the post's KV revision picks exactly one winner,
// which is what makes several publishers (and several workers of one) safe.
// Thread-safe: it keeps no state of its own.
#pragma once

#include <string>
#include <variant>

#include "absl/time/time.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/key_value_store.h"
#include "services/publisher/channels/channel_registry.h"
#include "services/publisher/due_index.h"
#include "services/publisher/hold_gate.h"
#include "services/publisher/outcomes.h"
#include "services/publisher/post_records.h"
#include "services/publisher/publisher_metrics.h"
#include "services/publisher/recovery.h"

namespace carecast::publisher {

class StepTimer;  // dispatcher.cc: the step durations of one dispatch

enum class DispatchResult {
  kPublished,   // this process recorded it as published
  kEnded,       // this process ended it (failed, needs-human) or found it ended
  kRetryLater,  // rescheduled, not due yet, claimed elsewhere, or a dependency is down
  kClaimLost,   // another publisher won the claim
  kHeld,        // publishing is held; the rest of the batch must wait too
};

// How often a post whose spoke is held on its own is looked at again: the rest
// of the batch goes on, and the spoke's posts follow within this of a resume.
inline constexpr absl::Duration kSpokeHoldRecheck = absl::Seconds(5);

// How long before its lease runs out a claim stops sending: 5s, or a tenth of
// a shorter lease.
absl::Duration SendMargin(absl::Duration lease);

// A post read, checked and claimed ahead of its due time (the loop's
// lookahead): what is left is Dispatcher::Send at `due`.
struct PreparedPost {
  PostRecord record;            // the claim (PUBLISHING, no send_time yet)
  carecast::v1::Post original;  // the record before the claim, to release it
  Channel* channel = nullptr;
  absl::Time claim_time;
  absl::Time due;
};

class Dispatcher {
 public:
  Dispatcher(common::EntityStore& posts, common::EntityStore& contents, DueIndex& index,
             ChannelRegistry& channels, HoldGate& hold, Outcomes& outcomes, Reconciler& reconciler,
             const common::Clock& clock, common::Logger& logger, PublisherMetrics& metrics,
             DispatchPolicy policy, std::string publisher_id);

  // Looks at the post `post_id` found due at `now` and moves it on: Prepare
  // with no lookahead, then Send.
  DispatchResult DispatchOne(const std::string& post_id, absl::Time now);

  // Reads the post found in the index at `now`, checks it (state, due time,
  // late tolerance, channel, approved content, hold) and claims it when it is
  // due by `horizon` (now + the lookahead). Either how it ended (not due by the
  // horizon, ended, held, claim lost: the index is updated as DispatchOne does)
  // or the claimed post, to Send at its due time (or at once if it is due).
  std::variant<DispatchResult, PreparedPost> Prepare(const std::string& post_id, absl::Time now,
                                                     absl::Time horizon);
  // At the due time: checks the hold and the content's approval again (either
  // may have changed since the claim; a hold releases the claim), marks the
  // post as being sent, calls the channel and records the outcome.
  DispatchResult Send(PreparedPost& prepared);
  // Gives a prepared post back unsent (the publisher is stopping): the claim
  // is released so another replica takes it at once. Best effort: a release
  // that fails leaves the claim to recovery after its lease (nothing was sent).
  void Release(PreparedPost& prepared);

 private:
  // The claim itself: PUBLISHING, claimed_by, attempt + 1.
  std::variant<DispatchResult, PreparedPost> Claim(PostRecord& record, Channel& channel,
                                                   absl::Time due);
  // Leaves the post of a held spoke in the index, looked at again later.
  DispatchResult DeferUnderSpokeHold(const std::string& post_id, absl::Time now);
  DispatchResult HandleChannelError(PostRecord& record, Channel& channel,
                                    const absl::Status& error);

  common::EntityStore& posts_;
  common::EntityStore& contents_;
  DueIndex& index_;
  ChannelRegistry& channels_;
  HoldGate& hold_;
  Outcomes& outcomes_;
  Reconciler& reconciler_;
  const common::Clock& clock_;
  common::Logger& logger_;
  PublisherMetrics& metrics_;
  const DispatchPolicy policy_;
  const std::string publisher_id_;
};

}  // namespace carecast::publisher
