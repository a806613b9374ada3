// One analyzer with the built-in configuration, shared by the text tests.
#pragma once

#include <memory>

#include "gtest/gtest.h"

#include "services/common/text/text_analyzer.h"

namespace carecast::common::text {

inline const TextAnalyzer& SharedAnalyzer() {
  static const TextAnalyzer* analyzer = [] {
    TextConfig config = DefaultTextConfig();
    config.tracked_keywords = {"CareCast", "#HeartMonth", "Mercy General", "St. Luke's"};
    auto a = TextAnalyzer::Create(config);
    if (!a.ok()) {
      ADD_FAILURE() << a.status();
      std::abort();
    }
    return a->release();
  }();
  return *analyzer;
}

inline carecast::v1::TextAnalysis MustAnalyze(std::string_view text, bool outgoing = false) {
  auto r = SharedAnalyzer().Analyze(text, AnalyzeOptions{outgoing});
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : carecast::v1::TextAnalysis();
}

// Kinds of findings at or above the guard threshold, e.g. {"phone", "name"}.
inline std::vector<std::string> GuardKinds(std::string_view text, bool outgoing = false) {
  std::vector<std::string> kinds;
  auto r = SharedAnalyzer().FindPhi(text, AnalyzeOptions{outgoing});
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return kinds;
  for (const PhiFinding& f : *r) {
    if (f.confidence >= kGuardThreshold) kinds.emplace_back(PhiKindName(f.kind));
  }
  return kinds;
}

}  // namespace carecast::common::text
