// Finds personal and health information in normalised text: identifiers with
// validators, names in context, dates tied to people, addresses, patient
// disclosure and (outgoing) patient-confirming phrases. Tuned for recall.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"

#include "services/common/text/normalizer.h"
#include "services/common/text/phi_kind.h"
#include "services/common/text/phrase_index.h"
#include "services/common/text/tokenizer.h"

namespace re2 {
class RE2;
}

namespace carecast::common::text {

// Name dictionaries (normalised). `not_names` are words that look like names
// but are common words ("will", "grace"): they need a stronger cue.
struct NameLists {
  absl::flat_hash_set<std::string> first;
  absl::flat_hash_set<std::string> last;
  absl::flat_hash_set<std::string> not_names;
  // Ordinary vocabulary (lexicon and phrase-list words): two capitalised words
  // outside it ("Xiomara Castellanos") read as a name even without a cue.
  absl::flat_hash_set<std::string> vocabulary;
};

// Immutable after Create; Detect is thread-safe.
class PhiDetector {
 public:
  static absl::StatusOr<std::unique_ptr<PhiDetector>> Create(NameLists names);
  ~PhiDetector();

  // Appends findings with spans in *normalised* text coordinates.
  void Detect(const NormalizedText& n, const std::vector<Token>& tokens, const PhraseHits& hits,
              const PhraseIndex& index, bool outgoing, std::vector<PhiFinding>& out) const;

  struct Patterns;

 private:
  PhiDetector() = default;
  NameLists names_;
  std::unique_ptr<Patterns> patterns_;
};

}  // namespace carecast::common::text
