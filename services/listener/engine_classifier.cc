#include "services/listener/engine_classifier.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

namespace carecast::listener {
namespace {

// Topic families whose mentions a responder answers (complaints and reports),
// as opposed to service-line or careers talk that is only measured.
bool TopicNeedsResponse(const std::string& topic) {
  return absl::StartsWith(topic, "patient_experience/") || absl::StartsWith(topic, "safety") ||
         absl::StartsWith(topic, "misinformation");
}

}  // namespace

v1::TextAnalysis EngineClassifier::Analyze(std::string_view text, bool outgoing) const {
  auto analysis = engines_.Current()->Analyze(text, {.outgoing = outgoing});
  // Callers validate UTF-8 and size first, so this only fails on text the engine
  // caps more tightly; such text is reported as neutral with no findings.
  return analysis.ok() ? *std::move(analysis) : v1::TextAnalysis();
}

v1::Classification EngineClassifier::Classify(std::string_view text) const {
  v1::TextAnalysis a = Analyze(text, /*outgoing=*/false);
  v1::Classification c;
  c.set_sentiment(a.sentiment() == v1::SENTIMENT_UNSPECIFIED ? v1::SENTIMENT_NEUTRAL
                                                             : a.sentiment());
  c.set_sentiment_score(a.sentiment_score());
  *c.mutable_sentiment_evidence() = a.sentiment_evidence();
  *c.mutable_keywords() = a.keywords();
  for (const auto& topic : a.topics()) c.add_topics(topic.topic());
  c.set_urgent(a.urgent());
  c.set_contains_phi(a.contains_phi());

  auto reason = [&](std::string r) { c.add_reasons(std::move(r)); };
  for (const auto& u : a.urgency_findings()) {
    reason(absl::StrCat("urgent: ", u.category()));
    // The responder's instructions travel with the mention to its inbox item.
    if (!u.guidance().empty()) c.add_urgency_guidance(u.guidance());
  }
  const bool spam = a.spam_score() >= kSpamThreshold;
  if (spam) reason("likely spam");
  if (c.sentiment() == v1::SENTIMENT_NEGATIVE) reason("negative sentiment");
  if (absl::StrContains(common::AsAbsl(text), "?")) reason("question");
  // Praise of the staff or the food is measured, not answered.
  if (c.sentiment() != v1::SENTIMENT_POSITIVE)
    for (const auto& topic : a.topics())
      if (TopicNeedsResponse(topic.topic())) reason(absl::StrCat("topic: ", topic.topic()));
  if (a.contains_phi()) reason("personal or health information: take it offline");

  const bool answer = a.urgent() || (!spam && c.reasons_size() > 0);
  c.set_needs_response(answer);
  return c;
}

}  // namespace carecast::listener
