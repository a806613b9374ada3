// How the listener understands text. EngineClassifier implements it on the
// text-analysis engine (services/common/text); tests may use their own.
#pragma once

#include <string_view>

#include "carecast/v1/analysis.pb.h"
#include "carecast/v1/resources.pb.h"

namespace carecast::listener {

// Thread-safe; pure (no I/O). `text` is valid UTF-8 of bounded size (callers check).
class MentionClassifier {
 public:
  virtual ~MentionClassifier() = default;
  // What the inbox needs: sentiment, keywords, needs_response/urgent/contains_phi
  // and the reasons for them.
  virtual v1::Classification Classify(std::string_view text) const = 0;
  // The full analysis behind the AnalyzeText RPC. `outgoing` also checks for
  // phrases that would confirm someone is a patient.
  virtual v1::TextAnalysis Analyze(std::string_view text, bool outgoing) const = 0;
};

}  // namespace carecast::listener
