// The configured phrase lists (taxonomy, urgency, PHI context, spam...) compiled
// into one Hyperscan database and scanned once per text.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "services/common/text/literal_matcher.h"

namespace carecast::common::text {

enum class PhraseList : uint8_t {
  kTopic,
  kUrgency,
  kPersonSelf,
  kPersonRelation,
  kPersonThird,
  kNameTitle,
  kNameCue,
  kCondition,
  kConfirm,
  kIdContext,
  kDatePerson,
  kMonth,
  kStreetSuffix,
  kSpam,
  kCue,
};
inline constexpr size_t kPhraseListCount = 15;

struct PhraseHit {
  // Topic index, urgency category index, PhiKind (id context) or cue concept
  // index; else 0.
  uint16_t group;
  uint32_t entry;
  uint32_t begin;
  uint32_t end;
};

// Hits of one scan, per list, in end order. Reused across calls.
struct PhraseHits {
  std::array<std::vector<PhraseHit>, kPhraseListCount> lists;
  bool truncated = false;
  const std::vector<PhraseHit>& of(PhraseList l) const { return lists[static_cast<size_t>(l)]; }
  void Clear();
};

struct UrgencyCategory {
  std::string name;
  std::string guidance;
};

// Immutable after Build; Scan is thread-safe.
class PhraseIndex {
 public:
  // taxonomy: "topic<TAB>a|b|c"; urgency: "category<TAB>guidance<TAB>a|b";
  // phrases: "list<TAB>a|b" with lists person_self, person_relation,
  // person_third, name_title, name_cue, condition, confirm, id_<phi kind>,
  // date_person, month, street_suffix, spam; cues: "concept<TAB>name<TAB>a|b"
  // lines (other cue lines are the frames', see cue_frames.h). "# " starts a comment.
  static absl::StatusOr<std::unique_ptr<PhraseIndex>> Build(std::string_view taxonomy,
                                                            std::string_view urgency,
                                                            std::string_view phrases,
                                                            std::string_view cues = {});

  void Scan(std::string_view normalized, size_t max_hits, PhraseHits& out) const;

  const std::vector<std::string>& topics() const { return topics_; }
  const std::vector<UrgencyCategory>& urgency() const { return urgency_; }
  // Cue concept names, in file order (the group of a kCue hit indexes this).
  const std::vector<std::string>& concepts() const { return concepts_; }
  // The normalised phrase of a hit.
  std::string_view phrase(uint32_t entry) const { return entries_[entry].text; }
  size_t entry_count() const { return entries_.size(); }
  size_t database_bytes() const { return matcher_->database_bytes(); }

 private:
  struct Entry {
    PhraseList list;
    uint16_t group;
    std::string text;
  };
  absl::Status Add(PhraseList list, uint16_t group, std::string_view alternatives);

  std::vector<Entry> entries_;
  std::vector<std::string> topics_;
  std::vector<UrgencyCategory> urgency_;
  std::vector<std::string> concepts_;
  std::unique_ptr<LiteralMatcher> matcher_;
};

// Splits "a\tb\tc" configuration lines, skipping blanks and "# " comments.
std::vector<std::vector<std::string_view>> SplitConfigLines(std::string_view source);

}  // namespace carecast::common::text
