// The guard over text the health system is about to publish: it finds personal
// and health information that must never go out in a post. EngineGuard
// (engine_guard.h) implements it on the text-analysis engine.
#pragma once

#include <string_view>
#include <vector>

#include "carecast/v1/resources.pb.h"

namespace carecast::planner {

// Thread-safe. Check() takes valid UTF-8 and returns every finding with kind,
// byte offsets and a reason; `field` is left for the caller to fill. Findings
// never carry the matched text, so they can be logged and returned to callers.
class OutgoingTextGuard {
 public:
  virtual ~OutgoingTextGuard() = default;
  virtual std::vector<carecast::v1::GuardFinding> Check(std::string_view text) const = 0;
};

}  // namespace carecast::planner
