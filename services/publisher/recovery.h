// Reconciliation: when it is not known whether a post went out (a timeout after
// send, or a claim abandoned past its lease), ask the channel for the post's
// idempotency key instead of sending again. Found → PUBLISHED. For an abandoned
// claim, definitely absent → SCHEDULED for a new claim. Anything unclear →
// NEEDS_HUMAN. Thread-safe.
#pragma once

#include <string_view>

#include "absl/status/status.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/publisher/channels/channel_registry.h"
#include "services/publisher/outcomes.h"
#include "services/publisher/post_records.h"

namespace carecast::publisher {

class Reconciler {
 public:
  Reconciler(ChannelRegistry& channels, Outcomes& outcomes, const common::Clock& clock,
             common::Logger& logger);

  // After channel.Publish returned kOutcomeUnknown for the claim in `record`.
  absl::Status AfterUnknownOutcome(PostRecord& record, Channel& channel, std::string_view error);
  // For a post still PUBLISHING after its lease ran out (its publisher died or stalled).
  absl::Status RecoverAbandonedClaim(PostRecord& record);

 private:
  ChannelRegistry& channels_;
  Outcomes& outcomes_;
  const common::Clock& clock_;
  common::Logger& logger_;
};

}  // namespace carecast::publisher
