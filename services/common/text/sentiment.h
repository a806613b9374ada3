// Lexicon sentiment with negation scope, intensifiers, contrast, emphasis,
// emoji/emoticons and a healthcare sense of illness words.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

#include "carecast/v1/resources.pb.h"

#include "services/common/text/normalizer.h"
#include "services/common/text/tokenizer.h"

namespace carecast::common::text {

// Valences (-4..4) by normalised token or two-token phrase, and the emoticons
// the tokenizer must recognise. Immutable after Parse.
struct SentimentLexicon {
  // Role of a word, found with one lookup per token.
  enum Flag : uint8_t {
    kValence = 1,      // carries sentiment
    kBooster = 2,      // "very"
    kDampener = 4,     // "slightly"
    kNegator = 8,      // "not", "never", "didn't"
    kContrast = 16,    // "but"
    kBigramHead = 32,  // first word of a two-word entry
  };
  struct WordInfo {
    float valence = 0;
    uint8_t flags = 0;
  };
  absl::flat_hash_map<std::string, WordInfo> words;
  absl::flat_hash_map<std::string, float> bigrams;
  EmoticonSet emoticons;

  // Each source is "term<TAB>valence" lines ("# " starts a comment). Later
  // sources override earlier ones: general, then domain, then emoji.
  static absl::StatusOr<SentimentLexicon> Parse(std::string_view general, std::string_view domain,
                                                std::string_view emoji);
};

struct SentimentResult {
  // In [-1, 1].
  double score = 0;
  carecast::v1::Sentiment label = carecast::v1::SENTIMENT_NEUTRAL;
  // The words that carried the score, strongest first ("not helpful", "rude").
  std::vector<std::string> evidence;
};

// Label thresholds: score >= kPositiveThreshold is positive, <= -kPositiveThreshold negative.
inline constexpr double kPositiveThreshold = 0.05;

SentimentResult ScoreSentiment(const NormalizedText& n, const std::vector<Token>& tokens,
                               const SentimentLexicon& lexicon);

}  // namespace carecast::common::text
