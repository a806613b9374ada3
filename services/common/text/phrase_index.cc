#include "services/common/text/phrase_index.h"

#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"
#include "services/common/text/normalizer.h"
#include "services/common/text/phi_kind.h"
#include "services/common/text/term_variants.h"

namespace carecast::common::text {
namespace {

struct ListName {
  std::string_view name;
  PhraseList list;
};
constexpr ListName kListNames[] = {
    {"person_self", PhraseList::kPersonSelf},
    {"person_relation", PhraseList::kPersonRelation},
    {"person_third", PhraseList::kPersonThird},
    {"name_title", PhraseList::kNameTitle},
    {"name_cue", PhraseList::kNameCue},
    {"condition", PhraseList::kCondition},
    {"confirm", PhraseList::kConfirm},
    {"date_person", PhraseList::kDatePerson},
    {"month", PhraseList::kMonth},
    {"street_suffix", PhraseList::kStreetSuffix},
    {"spam", PhraseList::kSpam},
};

bool PhiKindFromName(std::string_view name, PhiKind* kind) {
  for (int k = 0; k < kPhiKindCount; ++k) {
    if (PhiKindName(static_cast<PhiKind>(k)) == name) {
      *kind = static_cast<PhiKind>(k);
      return true;
    }
  }
  return false;
}

}  // namespace

void PhraseHits::Clear() {
  for (auto& l : lists) l.clear();
  truncated = false;
}

std::vector<std::vector<std::string_view>> SplitConfigLines(std::string_view source) {
  std::vector<std::vector<std::string_view>> lines;
  size_t pos = 0;
  while (pos < source.size()) {
    size_t nl = source.find('\n', pos);
    if (nl == std::string_view::npos) nl = source.size();
    std::string_view line = source.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string_view> fields;
    size_t start = 0;
    while (true) {
      size_t tab = line.find('\t', start);
      fields.push_back(
          line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    lines.push_back(std::move(fields));
  }
  return lines;
}

absl::Status PhraseIndex::Add(PhraseList list, uint16_t group, std::string_view alternatives) {
  size_t start = 0;
  while (start <= alternatives.size()) {
    size_t bar = alternatives.find('|', start);
    if (bar == std::string_view::npos) bar = alternatives.size();
    std::string term = NormalizeTerm(alternatives.substr(start, bar - start));
    if (!term.empty()) {
      if (list == PhraseList::kTopic) {  // topics name an idea once, in any spelling
        thread_local std::vector<std::string> variants;
        variants.clear();
        AppendTermVariants(term, variants);
        for (std::string& v : variants) entries_.push_back({list, group, std::move(v)});
      }
      entries_.push_back({list, group, std::move(term)});
    }
    start = bar + 1;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PhraseIndex>> PhraseIndex::Build(std::string_view taxonomy,
                                                                std::string_view urgency,
                                                                std::string_view phrases,
                                                                std::string_view cues) {
  std::unique_ptr<PhraseIndex> index(new PhraseIndex());
  for (const auto& f : SplitConfigLines(taxonomy)) {
    if (f.size() != 2) return absl::InvalidArgumentError("taxonomy lines need: topic<TAB>phrases");
    index->topics_.emplace_back(f[0]);
    (void)index->Add(PhraseList::kTopic, static_cast<uint16_t>(index->topics_.size() - 1), f[1]);
  }
  for (const auto& f : SplitConfigLines(urgency)) {
    if (f.size() != 3)
      return absl::InvalidArgumentError("urgency lines need: category<TAB>guidance<TAB>phrases");
    index->urgency_.push_back({std::string(f[0]), std::string(f[1])});
    (void)index->Add(PhraseList::kUrgency, static_cast<uint16_t>(index->urgency_.size() - 1), f[2]);
  }
  for (const auto& f : SplitConfigLines(phrases)) {
    if (f.size() != 2) return absl::InvalidArgumentError("phrase lines need: list<TAB>phrases");
    std::string_view name = f[0];
    bool known = false;
    for (const ListName& ln : kListNames) {
      if (ln.name == name) {
        (void)index->Add(ln.list, 0, f[1]);
        known = true;
      }
    }
    if (!known && name.substr(0, 3) == "id_") {
      PhiKind kind;
      if (!PhiKindFromName(name.substr(3), &kind)) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown PHI kind in phrase list ", AsAbsl(name)));
      }
      (void)index->Add(PhraseList::kIdContext, static_cast<uint16_t>(kind), f[1]);
      known = true;
    }
    if (!known)
      return absl::InvalidArgumentError(absl::StrCat("unknown phrase list ", AsAbsl(name)));
  }
  for (const auto& f : SplitConfigLines(cues)) {
    if (f[0] != "concept") continue;  // frame and unless lines belong to CueFrames
    if (f.size() != 3)
      return absl::InvalidArgumentError("concept lines need: concept<TAB>name<TAB>phrases");
    index->concepts_.emplace_back(f[1]);
    (void)index->Add(PhraseList::kCue, static_cast<uint16_t>(index->concepts_.size() - 1), f[2]);
  }
  std::vector<std::string> literals;
  literals.reserve(index->entries_.size());
  for (const Entry& e : index->entries_) literals.push_back(e.text);
  auto matcher = LiteralMatcher::Create(literals);
  if (!matcher.ok()) return matcher.status();
  index->matcher_ = std::move(matcher).value();
  return index;
}

void PhraseIndex::Scan(std::string_view normalized, size_t max_hits, PhraseHits& out) const {
  out.Clear();
  thread_local std::vector<LiteralMatcher::Hit> hits;
  hits.clear();
  out.truncated = !matcher_->Scan(normalized, hits, max_hits);
  for (const LiteralMatcher::Hit& h : hits) {
    const Entry& e = entries_[h.id];
    out.lists[static_cast<size_t>(e.list)].push_back({e.group, h.id, h.begin, h.end});
  }
}

}  // namespace carecast::common::text
