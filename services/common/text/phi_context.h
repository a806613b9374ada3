// Shared state of one PHI detection pass (internal to the PHI stages).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "services/common/text/normalizer.h"
#include "services/common/text/phi_detector.h"
#include "services/common/text/phi_kind.h"
#include "services/common/text/phrase_index.h"
#include "services/common/text/tokenizer.h"

namespace carecast::common::text::phi {

// Bits set at the byte where a phrase of a list ends (for O(1) "just before" checks).
enum EndFlag : uint16_t {
  kEndTitle = 1,
  kEndRelation = 2,
  kEndCue = 4,
  kEndSelf = 8,
  kEndThird = 16,
  kEndDatePerson = 32,
};

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsLetter(char c) { return c >= 'a' && c <= 'z'; }
inline bool IsAlnum(char c) { return IsDigit(c) || IsLetter(c); }

struct Context {
  const NormalizedText& n;
  std::string_view t;
  const std::vector<Token>& tokens;
  const PhraseHits& hits;
  const PhraseIndex& index;
  bool outgoing;
  std::vector<PhiFinding>& out;
  // Per-thread buffers reused across calls (see PhiDetector::Detect).
  std::vector<uint16_t>& end_flags;       // size t.size() + 1
  std::vector<uint32_t>& sentence_start;  // sorted starts of sentences
  std::vector<uint8_t>& sentence_person;  // a person reference in the sentence
  std::vector<uint8_t>& sentence_birth;   // "born", "dob", "birthday" in the sentence
  // Sorted end offsets of id-context phrases, per PhiKind.
  std::vector<std::vector<uint32_t>>& context_ends;

  void Add(PhiKind kind, size_t b, size_t e, double confidence, std::string_view reason) {
    out.push_back({kind, static_cast<uint32_t>(b), static_cast<uint32_t>(e), confidence, reason});
  }
  size_t SentenceOf(size_t pos) const {
    auto it =
        std::upper_bound(sentence_start.begin(), sentence_start.end(), static_cast<uint32_t>(pos));
    return static_cast<size_t>(it - sentence_start.begin()) - 1;
  }
  bool PersonInSentence(size_t pos) const { return sentence_person[SentenceOf(pos)] != 0; }
  bool BirthInSentence(size_t pos) const { return sentence_birth[SentenceOf(pos)] != 0; }
  // Skips spaces and the given punctuation backwards from `pos`.
  size_t SkipBack(size_t pos, std::string_view skip) const {
    while (pos > 0 && (t[pos - 1] == ' ' || skip.find(t[pos - 1]) != std::string_view::npos)) --pos;
    return pos;
  }
  uint16_t FlagsBefore(size_t pos, std::string_view skip) const {
    return end_flags[SkipBack(pos, skip)];
  }
  // An id-context phrase of `kind` ending at most `window` bytes before `pos`.
  bool IdContextBefore(PhiKind kind, size_t pos, size_t window) const {
    const std::vector<uint32_t>& ends = context_ends[static_cast<size_t>(kind)];
    auto it = std::upper_bound(ends.begin(), ends.end(), static_cast<uint32_t>(pos));
    if (it == ends.begin()) return false;
    return pos - *(it - 1) <= window;
  }
};

void DetectNumbers(Context& c);
void DetectContextIds(Context& c);
void DetectPatterns(Context& c, const PhiDetector::Patterns& p);
void DetectNames(Context& c, const NameLists& names);
void DetectDisclosure(Context& c);
void DetectConfirmation(Context& c);

}  // namespace carecast::common::text::phi
