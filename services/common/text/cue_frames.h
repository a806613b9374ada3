// Cue frames: meaning that no single phrase carries, found as a combination of
// concepts in one sentence or two consecutive ones ("farewell" + "burden",
// "face droop" + "speech").
// Concepts are phrase lists scanned with the other phrase lists (PhraseList::kCue);
// a concept hit with a negator ("not", "never", "didn't"...) in the three words
// before it does not count. A frame's category is dropped in a sentence that
// also holds one of its "unless" concepts (awareness posts, drills, "if you...").
#pragma once

#include <bitset>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "services/common/text/normalizer.h"
#include "services/common/text/phrase_index.h"
#include "services/common/text/tokenizer.h"

namespace carecast::common::text {

inline constexpr size_t kMaxCueConcepts = 256;
using ConceptMask = std::bitset<kMaxCueConcepts>;

struct CueMatch {
  uint16_t category;  // index into CueFrames::categories()
  uint32_t frame;
  // The first hit of each of the frame's concepts (entries of the PhraseIndex),
  // and the normalised span from the first of those hits to the last.
  std::vector<uint32_t> entries;
  uint32_t begin = 0;
  uint32_t end = 0;
};

// Per-call state, reused across calls by the caller (one per thread).
struct CueScan {
  std::vector<uint32_t> sentence_start;
  std::vector<ConceptMask> sentence_mask;
  // First un-negated hit entry per (sentence, concept), as (sentence, concept, entry).
  struct First {
    uint32_t sentence;
    uint16_t concept_id;
    uint32_t entry;
    uint32_t begin;
    uint32_t end;
  };
  std::vector<First> first;
  std::vector<CueMatch> matches;
  void Clear();
};

// Immutable after Create; Scan is thread-safe.
class CueFrames {
 public:
  // `cues` lines: "frame<TAB>category<TAB>concept+concept[+...]" and
  // "unless<TAB>category<TAB>concept|concept" ("concept" lines are the index's).
  // INVALID_ARGUMENT names an unknown concept or a malformed line.
  static absl::StatusOr<std::unique_ptr<CueFrames>> Create(std::string_view cues,
                                                           const PhraseIndex& index);

  // Fills scan.matches with at most one match per (frame, sentence); a sentence's
  // window is itself and the sentence before it. Does nothing without cue hits.
  void Scan(const NormalizedText& n, const std::vector<Token>& tokens, const PhraseHits& hits,
            CueScan& scan) const;

  // True when a phrase of `category` at `pos` sits in a sentence window with one
  // of the category's "unless" concepts (valid after Scan on the same text).
  bool Blocked(const CueScan& scan, std::string_view category, size_t pos) const;

  const std::vector<std::string>& categories() const { return categories_; }
  // "category: concept + concept", stable for the life of this object.
  std::string_view FrameName(uint32_t frame) const { return frames_[frame].name; }
  size_t frame_count() const { return frames_.size(); }

 private:
  struct Frame {
    uint16_t category;
    ConceptMask concepts;
    std::vector<uint16_t> order;  // the concepts, as written
    std::string name;
  };
  CueFrames() = default;
  uint16_t CategoryIndex(std::string_view name);
  int FindCategory(std::string_view name) const;

  std::vector<std::string> categories_;
  std::vector<Frame> frames_;
  std::vector<ConceptMask> unless_;  // per category
};

// True for "not", "never", "no", "don't", "didn't"... (normalised words).
bool IsNegator(std::string_view word);

}  // namespace carecast::common::text
