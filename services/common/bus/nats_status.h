// Turns nats.c outcomes into absl::Status: the one place nats.c errors are classified.
// Internal to the NATS adapter (only nats_*.cc include it).
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include <nats/nats.h>

namespace carecast::common {

// What the failed call was, when the same nats.c error means different things.
enum class NatsOperation {
  kGeneric,
  kKvCreate,  // a lost "no previous value" check means the key exists
};

// Maps a nats.c status, an optional JetStream API error code (0: none) and the
// library's error text to a Status whose message starts with `what`.
// Timeouts and connection loss are UNAVAILABLE, a wrong last (subject) sequence
// or revision is ABORTED (ALREADY_EXISTS for kKvCreate), missing streams,
// consumers, messages and keys are NOT_FOUND.
absl::Status NatsToStatus(natsStatus status, int js_error_code, std::string_view error_text,
                          std::string_view what, NatsOperation op = NatsOperation::kGeneric);

// NatsToStatus with the calling thread's last nats.c error text.
absl::Status LastNatsError(natsStatus status, int js_error_code, std::string_view what,
                           NatsOperation op = NatsOperation::kGeneric);

}  // namespace carecast::common
