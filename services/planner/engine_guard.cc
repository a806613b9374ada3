#include "services/planner/engine_guard.h"

#include <string>

namespace carecast::planner {

std::vector<v1::GuardFinding> EngineGuard::Check(std::string_view text) const {
  std::vector<v1::GuardFinding> out;
  auto found = engine_.FindPhi(text, {.outgoing = true});
  if (!found.ok()) {
    v1::GuardFinding& g = out.emplace_back();
    g.set_kind("invalid_text");
    g.set_begin(0);
    g.set_end(static_cast<int32_t>(text.size()));
    g.set_reason(std::string(found.status().message()));
    return out;
  }
  for (const auto& f : *found) {
    if (f.confidence < common::text::kGuardThreshold) continue;
    v1::GuardFinding& g = out.emplace_back();
    g.set_kind(std::string(common::text::PhiKindName(f.kind)));
    g.set_begin(static_cast<int32_t>(f.begin));
    g.set_end(static_cast<int32_t>(f.end));
    g.set_reason(std::string(f.reason));
  }
  return out;
}

}  // namespace carecast::planner
