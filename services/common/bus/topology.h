// Creates the streams and buckets every service relies on. Each service calls it
// at start; it is idempotent, so replicas and restarts may race freely.
#pragma once

#include "absl/status/status.h"

#include "services/common/bus/event_bus.h"
#include "services/common/bus/key_value_store.h"

namespace carecast::common {

struct TopologyOptions {
  int replicas = 1;  // 3 in production
};

StreamSpec EventsStreamSpec(const TopologyOptions& options);
StreamSpec AuditStreamSpec(const TopologyOptions& options);
BucketSpec BucketSpecFor(std::string_view bucket, const TopologyOptions& options);

// Ensures both streams exist with their current configuration.
absl::Status EnsureStreams(EventBus& bus, const TopologyOptions& options);

}  // namespace carecast::common
