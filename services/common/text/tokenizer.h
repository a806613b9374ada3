// Splits normalised text into words, numbers, emoji, emoticons, hashtags,
// @handles, URLs, e-mail addresses and punctuation.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"

#include "services/common/text/normalizer.h"

namespace carecast::common::text {

enum class TokenKind : uint8_t {
  kWord,
  kNumber,
  kHashtag,
  kHandle,
  kUrl,
  kEmail,
  kEmoji,
  kEmoticon,
  kPunct,
};

struct Token {
  TokenKind kind;
  // Byte span in the normalised text.
  uint32_t begin;
  uint32_t end;
  // Every letter came from an uppercase letter (and there are at least two).
  bool all_caps;
  // The first letter came from an uppercase letter.
  bool capitalized;
};

// Emoticons recognised by the tokenizer (normalised spellings such as ":)" or ":d").
using EmoticonSet = absl::flat_hash_set<std::string>;

// Appends the tokens of `n.text` to `out`. Linear in the text length.
void Tokenize(const NormalizedText& n, const EmoticonSet& emoticons, std::vector<Token>& out);

inline std::string_view TokenText(const NormalizedText& n, const Token& t) {
  return std::string_view(n.text).substr(t.begin, t.end - t.begin);
}

}  // namespace carecast::common::text
