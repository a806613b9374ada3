// The first, simple rules: a small sentiment lexicon with one-word negation
// ("not good"), tracked keywords (case-insensitive, whole words), urgency terms,
// complaint words, questions, and RE2 patterns for phone numbers and e-mail
// addresses. Every decision carries a reason a person can check.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "services/listener/mention_classifier.h"

namespace re2 {
class RE2;
}

namespace carecast::listener {

// Immutable after construction; thread-safe.
class SimpleRulesClassifier final : public MentionClassifier {
 public:
  // `tracked_keywords` are matched case-insensitively as whole words (a keyword
  // may hold spaces or start with '#' or '@'); empty entries are ignored.
  explicit SimpleRulesClassifier(std::vector<std::string> tracked_keywords);
  ~SimpleRulesClassifier() override;

  v1::Classification Classify(std::string_view text) const override;
  v1::TextAnalysis Analyze(std::string_view text, bool outgoing) const override;

 private:
  std::vector<std::string> keywords_;  // lower-cased
  std::unique_ptr<re2::RE2> phone_;
  std::unique_ptr<re2::RE2> email_;
};

}  // namespace carecast::listener
