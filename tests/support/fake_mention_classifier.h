// A MentionClassifier with fixed, obvious rules, so the listener's intake and
// inbox tests depend on their own behaviour rather than on the text engine's
// judgement (which has its own tests). Header-only; thread-safe.
//   negative  "rude", "awful", "terrible", "slow"   -> needs a response
//   positive  "thank", "wonderful", "lovely"
//   urgent    "911", "emergency", "suicide", "gun"   -> needs a response, with the
//             guidance "Escalate now: follow the urgent-mention runbook."
//   topic     "bill" -> patient_experience/billing (measured only)
//   question  "?"                                    -> needs a response
//   phi       "@" or 7+ digits in a row              -> needs a response
//   keywords  the configured terms, matched case-insensitively, reported as configured
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "services/listener/mention_classifier.h"

namespace carecast::testing {

class FakeMentionClassifier final : public listener::MentionClassifier {
 public:
  static constexpr std::string_view kUrgentGuidance =
      "Escalate now: follow the urgent-mention runbook.";

  explicit FakeMentionClassifier(std::vector<std::string> keywords = {})
      : keywords_(std::move(keywords)) {}

  v1::Classification Classify(std::string_view text) const override {
    const std::string lower = Lower(text);
    auto has = [&](std::string_view w) { return lower.find(w) != std::string::npos; };
    v1::Classification c;
    int score = 0;
    for (std::string_view w : {"rude", "awful", "terrible", "slow"})
      if (has(w)) {
        --score;
        c.add_sentiment_evidence(std::string(w));
      }
    for (std::string_view w : {"thank", "wonderful", "lovely"})
      if (has(w)) {
        ++score;
        c.add_sentiment_evidence(std::string(w));
      }
    c.set_sentiment(score < 0   ? v1::SENTIMENT_NEGATIVE
                    : score > 0 ? v1::SENTIMENT_POSITIVE
                                : v1::SENTIMENT_NEUTRAL);
    c.set_sentiment_score(score < 0 ? -1.0 : score > 0 ? 1.0 : 0.0);
    for (const auto& k : keywords_)
      if (has(Lower(k))) c.add_keywords(k);
    c.set_urgent(has("911") || has("emergency") || has("suicide") || has("gun"));
    int digits = 0, run = 0;
    for (char ch : text) {
      run = std::isdigit(static_cast<unsigned char>(ch)) ? run + 1 : 0;
      digits = std::max(digits, run);
    }
    c.set_contains_phi(has("@") || digits >= 7);
    if (c.urgent()) {
      c.add_reasons("urgent");
      c.add_urgency_guidance(std::string(kUrgentGuidance));
    }
    if (has("bill")) c.add_topics("patient_experience/billing");
    if (score < 0) c.add_reasons("negative sentiment");
    if (has("?")) c.add_reasons("question");
    if (c.contains_phi()) c.add_reasons("personal or health information");
    c.set_needs_response(c.reasons_size() > 0);
    return c;
  }

  v1::TextAnalysis Analyze(std::string_view text, bool outgoing) const override {
    v1::Classification c = Classify(text);
    v1::TextAnalysis a;
    a.set_sentiment(c.sentiment());
    a.set_sentiment_score(c.sentiment_score());
    *a.mutable_sentiment_evidence() = c.sentiment_evidence();
    *a.mutable_keywords() = c.keywords();
    a.set_urgent(c.urgent());
    a.set_contains_phi(c.contains_phi() ||
                       (outgoing && Lower(text).find("your visit") != std::string::npos));
    return a;
  }

 private:
  static std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return out;
  }
  std::vector<std::string> keywords_;
};

}  // namespace carecast::testing
