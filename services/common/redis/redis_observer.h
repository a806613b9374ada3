// What the Redis adapter tells about its own health, for metrics. Every method
// has a no-op default. Called on the caller's thread with the client's lock held:
// implementations must be thread-safe, quick, and must not call the client.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

namespace carecast::common {

class RedisObserver {
 public:
  virtual ~RedisObserver() = default;

  // One Command or Pipeline call finished (`ok` false: it returned an error).
  // `op` is RedisOpLabel of the commands sent.
  virtual void CommandDone(std::string_view op, absl::Duration elapsed, bool ok) {}
  // A connection was established (true) or lost or could not be made (false).
  virtual void ConnectionChanged(bool connected) {}
};

// The metrics label of one call: the command name upper-cased ("ZADD"); for a
// pipeline, the shared name of its commands, or "PIPELINE" when they differ;
// "OTHER" for anything that is not a plain command name, so the set stays bounded.
std::string RedisOpLabel(const std::vector<std::vector<std::string>>& commands);

}  // namespace carecast::common
