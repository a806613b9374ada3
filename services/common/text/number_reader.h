// Reads numbers, letters and e-mail addresses written to dodge filters back
// into their plain form: spelled-out numbers ("nine one two", "oh" for zero,
// "forty-two eighty", "ninety-four", "a hundred and two"), ordinals beside a
// month ("the twenty-third of March"), digits or letters spaced or dotted out
// ("4 1 5 . 5 5 5", "r o s a", "Z K 4 4 1") and e-mail with "at"/"dot" words or
// spaces. The plain form keeps a map to the source so findings on it map back.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "services/common/text/normalizer.h"
#include "services/common/text/tokenizer.h"

namespace re2 {
class RE2;
}

namespace carecast::common::text {

// Text with some spans replaced; every output byte remembers its source span.
struct RewrittenText {
  std::string text;
  std::vector<uint32_t> from_begin;
  std::vector<uint32_t> from_end;
  // Output spans that were rewritten (sorted, disjoint).
  std::vector<std::pair<uint32_t, uint32_t>> rewritten;

  void Clear();
  // Source span [first, second) of the output span [b, e) (e > b).
  std::pair<uint32_t, uint32_t> ToSource(size_t b, size_t e) const;
  // True when [b, e) overlaps a rewritten span.
  bool Touches(size_t b, size_t e) const;
};

// Immutable after Create; Read is thread-safe.
class NumberReader {
 public:
  static std::unique_ptr<NumberReader> Create();
  ~NumberReader();

  // Writes the plain form of `n` into `out` and returns true when something
  // was rewritten; returns false (and `out` is unspecified) otherwise. Ordinary
  // text ("two nurses", "forty minutes", "my first visit") is left alone.
  bool Read(const NormalizedText& n, const std::vector<Token>& tokens, RewrittenText& out) const;

 private:
  NumberReader() = default;
  std::unique_ptr<re2::RE2> email_;
};

}  // namespace carecast::common::text
