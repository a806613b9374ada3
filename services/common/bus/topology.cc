#include "services/common/bus/topology.h"

#include <string>

#include "services/common/base/status_macros.h"
#include "services/common/bus/event_catalogue.h"
#include "services/common/bus/subjects.h"

namespace carecast::common {

StreamSpec EventsStreamSpec(const TopologyOptions& options) {
  StreamSpec spec;
  spec.name = std::string(streams::kEvents);
  // One filter per domain, taken from the catalogue so a new domain cannot be
  // forgotten here; the audit subjects live in their own stream.
  spec.subjects = StreamSubjectFilters(streams::kEvents);
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
