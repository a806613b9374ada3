// The text-analysis engine: one call turns a mention or an outgoing post into a
// carecast.v1.TextAnalysis (sentiment, topics, tracked keywords, PHI and patient
// disclosure, urgency, spam). Framework-free; used by the listener and the planner.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"

#include "carecast/v1/analysis.pb.h"

#include "services/common/text/phi_kind.h"
#include "services/common/text/text_config.h"

namespace carecast::common::text {

class CueFrames;
class NumberReader;
class PhraseIndex;
class PhiDetector;
class LiteralMatcher;
struct SentimentLexicon;

struct AnalyzeOptions {
  // Outgoing posts and replies: also flag phrases that confirm someone is a
  // patient ("your visit", "when you were here").
  bool outgoing = false;
};

// Built once from a TextConfig; Analyze and FindPhi are thread-safe and may run
// concurrently with ReplaceTrackedKeywords. Invalid UTF-8 and over-size input
// give INVALID_ARGUMENT with the reason; nothing else fails per text.
class TextAnalyzer {
 public:
  static absl::StatusOr<std::unique_ptr<TextAnalyzer>> Create(const TextConfig& config);
  ~TextAnalyzer();
  TextAnalyzer(const TextAnalyzer&) = delete;
  TextAnalyzer& operator=(const TextAnalyzer&) = delete;

  absl::StatusOr<carecast::v1::TextAnalysis> Analyze(std::string_view text,
                                                     const AnalyzeOptions& options) const;

  // Only the PHI stage (the planner's approval guard). Spans are input byte
  // offsets; findings with confidence >= kGuardThreshold need a human.
  absl::StatusOr<std::vector<PhiFinding>> FindPhi(std::string_view text,
                                                  const AnalyzeOptions& options) const;

  // Compiles a new keyword database off to the side and swaps it in atomically;
  // calls in flight finish with the old one. INVALID_ARGUMENT (and no change)
  // when a keyword is empty after normalisation, longer than 200 bytes or not
  // UTF-8, or there are more than 200,000.
  absl::Status ReplaceTrackedKeywords(std::vector<std::string> keywords);
  size_t tracked_keyword_count() const;

  // Implementation details (defined in the .cc).
  struct KeywordSet;
  struct Workspace;

 private:
  TextAnalyzer() = default;
  absl::Status Prepare(std::string_view text, Workspace& ws) const;
  // Second PHI pass over the plain form of obfuscated numbers, letters and
  // e-mail (see number_reader.h); appends findings in normalised coordinates.
  void DetectObfuscatedPhi(Workspace& ws, bool outgoing, std::vector<PhiFinding>& findings) const;
  // Urgency from plain phrases (unless blocked) and from cue frames.
  // Needs the cue scan of the text (ws.cues).
  void AddUrgency(const Workspace& ws, carecast::v1::TextAnalysis& result) const;
  // Outgoing text: medical advice and care confirmed, from the reply frames.
  void AddReplyFindings(const Workspace& ws, std::vector<PhiFinding>& findings) const;

  TextConfig limits_;
  std::unique_ptr<SentimentLexicon> lexicon_;
  std::unique_ptr<PhraseIndex> phrases_;
  std::unique_ptr<CueFrames> cues_;
  std::unique_ptr<NumberReader> reader_;
  std::unique_ptr<PhiDetector> phi_;
  // The keyword database in force, swapped whole by ReplaceTrackedKeywords.
  // A mutex around the pointer copy rather than std::atomic<shared_ptr>:
  // libstdc++ 12's atomic shared_ptr is a formal data race under TSan (its
  // load releases the internal lock with a relaxed store).
  std::shared_ptr<const KeywordSet> Keywords() const;
  mutable std::mutex keywords_mu_;
  std::shared_ptr<const KeywordSet> keywords_ ABSL_GUARDED_BY(keywords_mu_);
};

// Maps engine findings to the proto (shared by Analyze and callers of FindPhi).
void ToProto(const PhiFinding& f, carecast::v1::PhiFinding* out);

}  // namespace carecast::common::text
