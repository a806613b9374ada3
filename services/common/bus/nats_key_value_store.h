// JetStream KV buckets behind KeyValueStore. Internal to the NATS adapter.
#pragma once

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"

#include "services/common/bus/key_value_store.h"
#include "services/common/bus/nats_core.h"

namespace carecast::common {

// Binds to the bucket named in `spec`, creating it (history, ttl, replicas)
// when it does not exist yet.
absl::StatusOr<std::unique_ptr<KeyValueStore>> OpenNatsBucket(std::shared_ptr<NatsCore> core,
                                                              const BucketSpec& spec);

// OK when `key` is a valid KV key: [A-Za-z0-9_=./-]+, no leading, trailing or
// doubled '.'; INVALID_ARGUMENT otherwise.
absl::Status ValidateKvKey(std::string_view key);

}  // namespace carecast::common
