// The way out of NEEDS_HUMAN: a person checked the network and tells the
// publisher what they found. Either the post is there (ConfirmPublished: it
// becomes PUBLISHED with its external id and URL) or it is not
// (ConfirmNotPublished: it becomes SCHEDULED again and the dispatcher sends it).
// Cancelling is the planner's CancelPost. Each resolution is one compare-and-set
// of the post through the entity store, carrying its event and its audit entry
// (actor: the person) as one durable unit; only a post still in NEEDS_HUMAN at
// the revision read is changed. Thread-safe; references must outlive it.
//
// Errors, checked in this order, each changing nothing: INVALID_ARGUMENT (bad
// input, message names the field), NOT_FOUND ("posts/x not found"),
// FAILED_PRECONDITION ("posts/x is SCHEDULED; only NEEDS_HUMAN posts can be
// ..."), ABORTED (the post kept changing under us), UNAVAILABLE (KV down).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "carecast/v1/publisher_service.pb.h"
#include "carecast/v1/resources.pb.h"

#include "services/common/base/clock.h"
#include "services/common/base/logger.h"
#include "services/common/rpc/spoke_scope.h"
#include "services/common/store/entity_store.h"
#include "services/publisher/due_index.h"
#include "services/publisher/post_records.h"
#include "services/publisher/publisher_metrics.h"

namespace carecast::publisher {

// The person resolving a post, as the audit trail records them.
struct Resolver {
  std::string subject;  // JWT "sub"
  std::string role;     // the role the call was admitted under, e.g. "publisher"
  // The spokes the person acts for: a post of another spoke is NOT_FOUND.
  common::SpokeScope spokes;
};

// Input limits (bytes for ids and URLs, code points for the note).
inline constexpr size_t kMaxExternalIdBytes = 256;
inline constexpr size_t kMaxPostUrlBytes = 2048;
inline constexpr size_t kMaxResolutionNoteChars = 1000;
// How far ahead ConfirmNotPublished may reschedule.
inline constexpr absl::Duration kMaxRescheduleAhead = absl::Hours(24 * 365);

// The metric labels of carecast_publisher_needs_human_resolved_total{resolution}.
inline constexpr std::string_view kResolvedPublished = "confirmed_published";
inline constexpr std::string_view kResolvedNotPublished = "confirmed_not_published";

class NeedsHumanResolutions {
 public:
  NeedsHumanResolutions(common::EntityStore& posts, DueIndex& index, const common::Clock& clock,
                        common::Logger& logger, PublisherMetrics& metrics, DispatchPolicy policy);

  // NEEDS_HUMAN -> PUBLISHED with request.external_id and request.url (at least
  // one), confirmed_by = by.subject, published_time = now, failure_reason
  // cleared. Emits carecast.post.published (id "post.<id>.v<version>.published",
  // the id an automatic publication of that version would have had, so the two
  // can never both count) with publisher_id = by.subject, and audits
  // "post.publish" by the person. Returns the post as written.
  absl::StatusOr<carecast::v1::Post> ConfirmPublished(
      const Resolver& by, const carecast::v1::ConfirmPostPublishedRequest& request);

  // NEEDS_HUMAN -> SCHEDULED at request.publish_time (now when unset): claim,
  // send_time, failure_reason and confirmed_by cleared, attempt reset to 0,
  // channel_progress kept (a two-phase channel resumes, never starts over).
  // Emits carecast.post.scheduled (the event every publisher indexes from) and
  // audits "post.schedule" by the person; puts the post in the due index.
  // Returns the post as written.
  absl::StatusOr<carecast::v1::Post> ConfirmNotPublished(
      const Resolver& by, const carecast::v1::ConfirmPostNotPublishedRequest& request);

 private:
  common::EntityStore& posts_;
  DueIndex& index_;
  const common::Clock& clock_;
  common::Logger& logger_;
  PublisherMetrics& metrics_;
  const DispatchPolicy policy_;
};

}  // namespace carecast::publisher
