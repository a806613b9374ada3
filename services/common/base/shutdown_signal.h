// Graceful shutdown on SIGTERM / SIGINT without async signal handlers: the
// signals are blocked in every thread and one thread waits for them (sigwait),
// so shutdown code runs as ordinary code on that thread.
#pragma once

#include <optional>

#include "absl/time/time.h"

namespace carecast::common {

// Blocks SIGTERM and SIGINT in the calling thread. Call it first in main(),
// before any thread starts, so every thread inherits the mask and none of them
// is killed by the default action.
void BlockShutdownSignals();

// Waits on the calling thread until SIGTERM or SIGINT arrives (after
// BlockShutdownSignals) and returns the signal number.
int WaitForShutdownSignal();

// As WaitForShutdownSignal, but gives up after `timeout` (nullopt).
std::optional<int> WaitForShutdownSignalFor(absl::Duration timeout);

}  // namespace carecast::common
