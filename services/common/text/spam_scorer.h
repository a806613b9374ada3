// A basic, explainable spam/bot score: weighted features, each one a reason.
#pragma once

#include <string>
#include <vector>

#include "services/common/text/normalizer.h"
#include "services/common/text/phrase_index.h"
#include "services/common/text/tokenizer.h"

namespace carecast::common::text {

struct SpamResult {
  // In [0, 1].
  double score = 0;
  // "2 links (+0.30)", "spam phrase: promo code (+0.30)".
  std::vector<std::string> reasons;
};

SpamResult ScoreSpam(const NormalizedText& n, const std::vector<Token>& tokens,
                     const PhraseHits& hits, const PhraseIndex& index);

}  // namespace carecast::common::text
