#include "services/common/bus/topology.h"

#include <string>

#include "services/common/base/status_macros.h"
#include "services/common/bus/subjects.h"

namespace carecast::common {

StreamSpec EventsStreamSpec(const TopologyOptions& options) {
  StreamSpec spec;
  spec.name = std::string(streams::kEvents);
  // Listed domain by domain so the audit subjects can live in their own stream.
  spec.subjects = {"carecast.spoke.>",     "carecast.account.>", "carecast.objective.>",
                   "carecast.content.>",   "carecast.post.>",    "carecast.publishing.>",
                   "carecast.mention.>",   "carecast.inbox.>",   "carecast.alert.>",
                   "carecast.engagement.>"};
  spec.max_age = absl::Hours(24 * 30);
  spec.duplicate_window = absl::Minutes(2);
  spec.replicas = options.replicas;
  return spec;
}

StreamSpec AuditStreamSpec(const TopologyOptions& options) {
  StreamSpec spec;
  spec.name = std::string(streams::kAudit);
  spec.subjects = {"carecast.audit.>"};
  spec.deny_delete = true;
  spec.deny_purge = true;
  spec.duplicate_window = absl::Minutes(2);
  spec.replicas = options.replicas;
  return spec;
}

BucketSpec BucketSpecFor(std::string_view bucket, const TopologyOptions& options) {
  BucketSpec spec;
  spec.name = std::string(bucket);
  spec.history = 10;
  spec.replicas = options.replicas;
  if (bucket == buckets::kRequests) spec.ttl = absl::Hours(24);
  return spec;
}

absl::Status EnsureStreams(EventBus& bus, const TopologyOptions& options) {
  RETURN_IF_ERROR(bus.EnsureStream(EventsStreamSpec(options)));
  return bus.EnsureStream(AuditStreamSpec(options));
}

}  // namespace carecast::common
