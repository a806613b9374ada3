// The planner's outgoing-text guard on the text-analysis engine: every PHI kind
// of HIPAA Safe Harbor that can occur in text, patient disclosure, and phrases
// that confirm someone is a patient. Tuned for recall: any finding at or above the
// engine's guard threshold stops the approval for a human to look. Thread-safe;
// the engine must outlive it.
#pragma once

#include "services/common/text/text_analyzer.h"
#include "services/planner/outgoing_text_guard.h"

namespace carecast::planner {

class EngineGuard final : public OutgoingTextGuard {
 public:
  explicit EngineGuard(const common::text::TextAnalyzer& engine) : engine_(engine) {}
  // Text the engine refuses (invalid UTF-8, over its size cap) is one
  // "invalid_text" finding, so it can never be approved unseen.
  std::vector<v1::GuardFinding> Check(std::string_view text) const override;

 private:
  const common::text::TextAnalyzer& engine_;
};

}  // namespace carecast::planner
