// Generated PHI evaluation posts with known spans: names, dates, numbers and
// addresses in many shapes and obfuscations, plus hard negatives (text with
// numbers, dates, capitalised words and health terms that is not PHI).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace carecast::eval {

struct GoldSpan {
  std::string kind;  // PhiKindName spelling
  size_t begin;      // byte offsets into LabelledPost::text
  size_t end;
};

struct LabelledPost {
  std::string text;
  std::vector<GoldSpan> spans;
  bool outgoing = false;
  std::string shape;  // which template / obfuscation produced it (for per-shape recall)
};

// Deterministic for a given seed.
std::vector<LabelledPost> GeneratePhiCorpus(uint32_t seed, int positives, int negatives);

}  // namespace carecast::eval
