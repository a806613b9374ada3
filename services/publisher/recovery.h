// Reconciliation: when it is not known whether a post went out (an unknown
// outcome after the create call, or a claim abandoned past its lease), the post
// is looked up at the network instead of being sent again. What happens when
// the network does not have it depends on what the network offers against
// duplicates (the channel's IdempotencyModel, docs/channels.md):
//   found                                  → PUBLISHED with the receipt;
//   the abandoned claim never sent         → SCHEDULED for a new claim;
//   keyed network (native key, record key,
//   two-phase) and not found               → SCHEDULED: a resend cannot duplicate;
//   no key, and the network answered (5xx) → SCHEDULED: the request is over and
//                                            the post is not there;
//   no key, and the request may still be
//   in flight (timeout, stalled claim)     → NEEDS_HUMAN, never a second create;
//   the network cannot tell                → NEEDS_HUMAN.
// A post claimed max_attempts times ends FAILED (nothing sent) or NEEDS_HUMAN
// (something may have been) instead of crash-looping every replica.
// Thread-safe.
#pragma once

#include <string_view>

#include "absl/status/status.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/publisher/channels/channel_registry.h"
#include "services/publisher/outcomes.h"
#include "services/publisher/post_records.h"
#include "services/publisher/publisher_metrics.h"
#include "services/publisher/thread_publishing.h"

namespace carecast::publisher {

class Reconciler {
 public:
  Reconciler(ChannelRegistry& channels, Outcomes& outcomes, const common::Clock& clock,
             common::Logger& logger, PublisherMetrics& metrics, DispatchPolicy policy);

  // After channel.Publish failed with kOutcomeUnknown (`failure`) for the claim in `record`.
  absl::Status AfterUnknownOutcome(PostRecord& record, Channel& channel,
                                   const ChannelFailure& failure);
  // For a post still PUBLISHING after its lease ran out (its publisher died or stalled).
  absl::Status RecoverAbandonedClaim(PostRecord& record);

 private:
  // Not found at the network: resend when that cannot duplicate, else a person decides.
  absl::Status WhenAbsent(PostRecord& record, Channel& channel, bool may_be_in_flight,
                          std::string_view why);
  absl::Status NeedsHuman(PostRecord& record, std::string_view reason);
  // The network's view of the claim in `record` (thread_publishing.h FindWhole;
  // a thread part found is recorded in the post).
  absl::StatusOr<WholeLookup> Lookup(PostRecord& record, Channel& channel, absl::Time since);
  // Found (whole, or a thread's part in doubt): published, or the rest sent now.
  absl::Status WhenFound(PostRecord& record, const WholeLookup& found);

  ChannelRegistry& channels_;
  Outcomes& outcomes_;
  const common::Clock& clock_;
  common::Logger& logger_;
  PublisherMetrics& metrics_;
  const DispatchPolicy policy_;
};

}  // namespace carecast::publisher
