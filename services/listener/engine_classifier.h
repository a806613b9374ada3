// The listener's classifier on the text-analysis engine (services/common/text):
// full sentiment, healthcare topics, tracked keywords, PHI, urgency and spam,
// reduced to what the inbox needs. Each call uses the engine in force in
// `engines` at its start (text_engine_holder.h). Thread-safe; the holder must
// outlive it.
#pragma once

#include <string_view>

#include "services/listener/mention_classifier.h"
#include "services/listener/text_engine_holder.h"

namespace carecast::listener {

class EngineClassifier final : public MentionClassifier {
 public:
  explicit EngineClassifier(const TextEngineHolder& engines) : engines_(engines) {}

  // needs_response when the mention is urgent, negative, asks a question, raises
  // a patient-experience (unless it is praise), safety or misinformation topic, or
  // discloses PHI (a responder must take it offline); never for likely spam
  // (score >= kSpamThreshold) unless urgent.
  v1::Classification Classify(std::string_view text) const override;
  v1::TextAnalysis Analyze(std::string_view text, bool outgoing) const override;

  static constexpr double kSpamThreshold = 0.8;

 private:
  const TextEngineHolder& engines_;
};

}  // namespace carecast::listener
