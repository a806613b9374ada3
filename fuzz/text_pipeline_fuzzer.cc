// Fuzzes the whole text pipeline (UTF-8 check, normalisation, tokens, phrase and
// keyword matching, sentiment, PHI, urgency, spam) on arbitrary bytes, and checks
// its invariants: no crash, the two entry points agree on validity, and every
// finding is a span of whole code points inside the input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "services/common/text/normalizer.h"
#include "services/common/text/text_analyzer.h"

namespace {

const carecast::common::text::TextAnalyzer& Analyzer() {
  static const carecast::common::text::TextAnalyzer* analyzer = [] {
    carecast::common::text::TextConfig config = carecast::common::text::DefaultTextConfig();
    config.tracked_keywords = {"CareCast", "#HeartMonth", "Mercy General", "st. luke's",
                               "@carecast"};
    auto a = carecast::common::text::TextAnalyzer::Create(config);
    if (!a.ok()) std::abort();
    return a->release();
  }();
  return *analyzer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using carecast::common::text::AnalyzeOptions;
  const auto& analyzer = Analyzer();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  AnalyzeOptions options{size > 0 && (data[size - 1] & 1) != 0};
  auto analysis = analyzer.Analyze(text, options);
  auto findings = analyzer.FindPhi(text, options);
  if (analysis.ok() != findings.ok()) std::abort();
  if (!analysis.ok()) return 0;
  if (analysis->phi_findings_size() != static_cast<int>(findings->size())) std::abort();
  for (const auto& f : *findings) {
    if (f.begin > f.end || f.end > size) std::abort();
    if (!carecast::common::text::ValidateUtf8(text.substr(f.begin, f.end - f.begin)).ok())
      std::abort();
    if (f.confidence < 0 || f.confidence > 1) std::abort();
  }
  double score = analysis->sentiment_score();
  if (!(score >= -1 && score <= 1)) std::abort();
  if (!(analysis->spam_score() >= 0 && analysis->spam_score() <= 1)) std::abort();
  return 0;
}
