#include "services/common/text/cue_frames.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

namespace carecast::common::text {
namespace {

constexpr size_t kNegationWindow = 3;  // words before a hit that can negate it

// Sentence starts: after ., !, ?, ; or a line break followed by a space or the end.
void SplitSentences(std::string_view t, std::vector<uint32_t>& starts) {
  starts.clear();
  starts.push_back(0);
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    bool end = c == '\n' || ((c == '.' || c == '!' || c == '?' || c == ';') &&
                             (i + 1 == t.size() || t[i + 1] == ' ' || t[i + 1] == '\n'));
    if (end && i + 1 < t.size()) starts.push_back(static_cast<uint32_t>(i + 1));
  }
}

uint32_t SentenceOf(const std::vector<uint32_t>& starts, size_t pos) {
  auto it = std::upper_bound(starts.begin(), starts.end(), static_cast<uint32_t>(pos));
  return static_cast<uint32_t>(it - starts.begin()) - 1;
}

// A negator among the few words before `begin`, not crossing punctuation.
bool NegatedAt(const NormalizedText& n, const std::vector<Token>& tokens, size_t begin) {
  auto it = std::lower_bound(tokens.begin(), tokens.end(), begin,
                             [](const Token& t, size_t pos) { return t.begin < pos; });
  size_t words = 0;
  while (it != tokens.begin() && words < kNegationWindow) {
    --it;
    if (it->kind == TokenKind::kPunct) return false;
    if (it->kind != TokenKind::kWord) continue;
    if (IsNegator(TokenText(n, *it))) return true;
    ++words;
  }
  return false;
}

// The concepts of sentence `s` and the one before it: a frame may span a
// sentence break ("I know where she parks. She'll regret it.").
ConceptMask WindowMask(const CueScan& scan, uint32_t s) {
  ConceptMask mask = scan.sentence_mask[s];
  if (s > 0) mask |= scan.sentence_mask[s - 1];
  return mask;
}

// The first un-negated hit of concept `c` in the window ending at sentence `s`.
const CueScan::First* FirstHit(const CueScan& scan, uint32_t s, uint16_t c) {
  const CueScan::First* found = nullptr;
  for (const CueScan::First& first : scan.first) {
    if (first.concept_id != c || first.sentence > s || first.sentence + 1 < s) continue;
    if (found == nullptr || first.sentence < s) found = &first;  // earlier sentence first
  }
  return found;
}

}  // namespace

bool IsNegator(std::string_view word) {
  static constexpr std::array<std::string_view, 22> kNegators = {
      "not",    "no",     "never", "don't",  "dont",     "didn't",   "didnt",   "doesn't",
      "doesnt", "isn't",  "isnt",  "wasn't", "wasnt",    "aren't",   "weren't", "haven't",
      "hasn't", "hadn't", "nor",   "cannot", "wouldn't", "shouldn't"};
  return std::find(kNegators.begin(), kNegators.end(), word) != kNegators.end();
}

void CueScan::Clear() {
  sentence_start.clear();
  sentence_mask.clear();
  first.clear();
  matches.clear();
}

uint16_t CueFrames::CategoryIndex(std::string_view name) {
  int found = FindCategory(name);
  if (found >= 0) return static_cast<uint16_t>(found);
  categories_.emplace_back(name);
  unless_.emplace_back();
  return static_cast<uint16_t>(categories_.size() - 1);
}

int CueFrames::FindCategory(std::string_view name) const {
  for (size_t i = 0; i < categories_.size(); ++i) {
    if (categories_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

absl::StatusOr<std::unique_ptr<CueFrames>> CueFrames::Create(std::string_view cues,
                                                             const PhraseIndex& index) {
  std::unique_ptr<CueFrames> frames(new CueFrames());
  const std::vector<std::string>& concepts = index.concepts();
  if (concepts.size() > kMaxCueConcepts) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxCueConcepts, " concepts"));
  }
  auto concept_of = [&](std::string_view name) -> int {
    auto it = std::find(concepts.begin(), concepts.end(), name);
    return it == concepts.end() ? -1 : static_cast<int>(it - concepts.begin());
  };
  for (const auto& f : SplitConfigLines(cues)) {
    if (f[0] == "concept") continue;
    bool frame = f[0] == "frame";
    if ((!frame && f[0] != "unless") || f.size() != 3) {
      return absl::InvalidArgumentError(
          "cue lines need: frame<TAB>category<TAB>a+b or unless<TAB>category<TAB>a|b");
    }
    Frame fr{frames->CategoryIndex(f[1]), {}, {}};
    const char sep = frame ? '+' : '|';
    size_t start = 0;
    while (start <= f[2].size()) {
      size_t end = f[2].find(sep, start);
      if (end == std::string_view::npos) end = f[2].size();
      std::string_view name = f[2].substr(start, end - start);
      int c = concept_of(name);
      if (c < 0) return absl::InvalidArgumentError(absl::StrCat("unknown concept ", AsAbsl(name)));
      fr.concepts.set(static_cast<size_t>(c));
      fr.order.push_back(static_cast<uint16_t>(c));
      absl::StrAppend(&fr.name, fr.name.empty() ? absl::StrCat(AsAbsl(f[1]), ": ") : " + ",
                      AsAbsl(name));
      start = end + 1;
    }
    if (frame) {
      frames->frames_.push_back(std::move(fr));
    } else {
      frames->unless_[fr.category] |= fr.concepts;
    }
  }
  return frames;
}

void CueFrames::Scan(const NormalizedText& n, const std::vector<Token>& tokens,
                     const PhraseHits& hits, CueScan& scan) const {
  scan.Clear();
  const std::vector<PhraseHit>& cue_hits = hits.of(PhraseList::kCue);
  if (cue_hits.empty()) return;
  SplitSentences(n.text, scan.sentence_start);
  scan.sentence_mask.assign(scan.sentence_start.size(), ConceptMask());
  for (const PhraseHit& h : cue_hits) {
    uint32_t s = SentenceOf(scan.sentence_start, h.begin);
    if (scan.sentence_mask[s].test(h.group) || NegatedAt(n, tokens, h.begin)) continue;
    scan.sentence_mask[s].set(h.group);
    scan.first.push_back({s, h.group, h.entry, h.begin, h.end});
  }
  for (uint32_t s = 0; s < scan.sentence_mask.size(); ++s) {
    if (scan.sentence_mask[s].none()) continue;
    const ConceptMask mask = WindowMask(scan, s);
    for (uint32_t f = 0; f < frames_.size(); ++f) {
      const Frame& fr = frames_[f];
      if ((mask & fr.concepts) != fr.concepts || (mask & unless_[fr.category]).any()) continue;
      CueMatch m{fr.category, f, {}};
      m.begin = UINT32_MAX;
      for (uint16_t c : fr.order) {
        const CueScan::First* hit = FirstHit(scan, s, c);
        if (hit == nullptr) continue;  // not reached: the mask says it is there
        m.entries.push_back(hit->entry);
        m.begin = std::min(m.begin, hit->begin);
        m.end = std::max(m.end, hit->end);
      }
      scan.matches.push_back(std::move(m));
    }
  }
}

bool CueFrames::Blocked(const CueScan& scan, std::string_view category, size_t pos) const {
  int c = FindCategory(category);
  if (c < 0 || scan.sentence_start.empty()) return false;
  uint32_t s = SentenceOf(scan.sentence_start, pos);
  return (WindowMask(scan, s) & unless_[static_cast<size_t>(c)]).any();
}

}  // namespace carecast::common::text
