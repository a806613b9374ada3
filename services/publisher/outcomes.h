// Records what happened to a claimed post: compare-and-set the KV entry to its
// next state together with its event (carecast.post.published / .failed, with a
// deterministic id) and its audit entry, as one durable unit through the entity
// store; count it; update the due index. Once the write commits the event and
// the audit entry follow even if this process dies (the outbox relay finishes
// them). Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/bus/event_bus.h"
#include "services/common/bus/key_value_store.h"
#include "services/publisher/channels/channel.h"
#include "services/publisher/due_index.h"
#include "services/publisher/post_records.h"
#include "services/publisher/publisher_metrics.h"

namespace carecast::publisher {

inline constexpr std::string_view kPublisherSource = "/carecast/publisher";

class Outcomes {
 public:
  Outcomes(common::EntityStore& posts, DueIndex& index, const common::Clock& clock,
           common::Logger& logger, PublisherMetrics& metrics, std::string publisher_id);

  // The channel accepted the post. The record says PUBLISHED even when another
  // writer changed it meanwhile (the post is out; the record must say so).
  absl::Status MarkPublished(PostRecord& record, const Receipt& receipt);
  // Ends the post in FAILED or NEEDS_HUMAN with `reason`; `reason_kind` labels the
  // metric. ABORTED when someone else changed the post first.
  absl::Status MarkFailed(PostRecord& record, carecast::v1::PostState state,
                          std::string_view reason, std::string_view reason_kind);
  // Returns the post to SCHEDULED (claim released, send_time cleared; the
  // channel_progress stays for the next attempt) and indexes it at `next_look`.
  // `refund_attempt`: the claim did not count towards max_attempts (the network
  // asked us to wait, which is not a failure).
  absl::Status Reschedule(PostRecord& record, absl::Time next_look, bool refund_attempt = false);
  // Records on the claim that its create call is about to go out (send_time), so
  // a takeover knows it must reconcile. ABORTED when the claim was taken over.
  absl::Status MarkSending(PostRecord& record);
  // Saves key=value in the claimed post's channel_progress (two-phase channels)
  // before the channel goes on. ABORTED when the claim was taken over.
  absl::Status SaveProgress(PostRecord& record, std::string_view key, std::string_view value);
  // Writes `original` back over the claim at record.revision: the claim never happened.
  absl::Status ReleaseClaim(PostRecord& record, const carecast::v1::Post& original);
  // The event and audit entry announcing terminal `post` (none for other states).
  std::vector<common::Change> ChangesFor(const carecast::v1::Post& post) const;

  const std::string& publisher_id() const { return publisher_id_; }

 private:
  void Unindex(const carecast::v1::Post& post);

  common::EntityStore& posts_;
  DueIndex& index_;
  const common::Clock& clock_;
  common::Logger& logger_;
  PublisherMetrics& metrics_;
  const std::string publisher_id_;
};

}  // namespace carecast::publisher
