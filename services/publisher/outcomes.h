// Records what happened to a claimed post: compare-and-set the KV entry to its
// next state, count it, announce it on the bus with a deterministic event id, and
// update the due index. KV is written first; the event and the index follow, and
// a post whose announcement failed stays in the index so the next cycle repeats
// it (the stream drops the duplicate). Thread-safe.
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
// A terminal post found in the index is announced again only this soon after
// its last change, well inside the stream's two-minute duplicate window.
inline constexpr absl::Duration kReannounceWindow = absl::Seconds(90);

class Outcomes {
 public:
  Outcomes(common::KeyValueStore& posts, common::EventBus& bus, DueIndex& index,
           const common::Clock& clock, common::Logger& logger, PublisherMetrics& metrics,
           std::string publisher_id);

  // The channel accepted the post. The record says PUBLISHED even when another
  // writer changed it meanwhile (the post is out; the record must say so).
  absl::Status MarkPublished(PostRecord& record, const Receipt& receipt);
  // Ends the post in FAILED or NEEDS_HUMAN with `reason`; `reason_kind` labels the
  // metric. ABORTED when someone else changed the post first.
  absl::Status MarkFailed(PostRecord& record, carecast::v1::PostState state,
                          std::string_view reason, std::string_view reason_kind);
  // Returns the post to SCHEDULED (claim released) and indexes it at `next_look`.
  absl::Status Reschedule(PostRecord& record, absl::Time next_look);
  // Writes `original` back over the claim at record.revision: the claim never happened.
  absl::Status ReleaseClaim(PostRecord& record, const carecast::v1::Post& original);
  // Publishes carecast.post.published / carecast.post.failed for a terminal post.
  absl::Status Announce(const carecast::v1::Post& post);

  const std::string& publisher_id() const { return publisher_id_; }

 private:
  void AnnounceAndUnindex(const carecast::v1::Post& post);

  common::KeyValueStore& posts_;
  common::EventBus& bus_;
  DueIndex& index_;
  const common::Clock& clock_;
  common::Logger& logger_;
  PublisherMetrics& metrics_;
  const std::string publisher_id_;
};

}  // namespace carecast::publisher
