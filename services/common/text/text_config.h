// Configuration of the text engine: data files (lexicon, taxonomy, phrase
// lists, names) and limits. The built-in defaults are compiled into the library.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace carecast::common::text {

struct TextConfig {
  // "term<TAB>valence" lines; general first, then domain overrides, then emoji.
  std::string lexicon;
  std::string lexicon_domain;
  std::string emoji;
  // "topic<TAB>phrase|phrase" lines.
  std::string taxonomy;
  // "category<TAB>guidance<TAB>phrase|phrase" lines.
  std::string urgency;
  // "list<TAB>phrase|phrase" lines (see phrase_index.h).
  std::string phrases;
  // Cue concepts and the frames that combine them (see cue_frames.h).
  std::string cues;
  // One name per line; common_words: whitespace-separated words that need a
  // stronger cue to count as names.
  std::string first_names;
  std::string last_names;
  std::string common_words;
  // Brand, campaign and hashtag terms (replaceable at run time).
  std::vector<std::string> tracked_keywords;
  // Larger inputs are rejected with INVALID_ARGUMENT.
  size_t max_input_bytes = size_t{64} * 1024;
  // Bound on phrase/keyword hits per text (adversarial input stays linear).
  size_t max_hits = 20000;
};

// The data files in services/common/text/data, compiled in.
TextConfig DefaultTextConfig();

// Reads the same file names from `dir`; a missing file keeps the built-in one.
// Files: lexicon_vader.tsv, lexicon_healthcare.tsv, emoji.tsv, taxonomy.tsv,
// urgency.tsv, phrases.tsv, cues.tsv, first_names.txt, last_names.txt, common_words.txt,
// and tracked_keywords.txt (one term per line).
absl::StatusOr<TextConfig> LoadTextConfigFromDir(std::string_view dir);

// The compiled-in copy of one data file ("" when unknown).
std::string_view EmbeddedDataFile(std::string_view name);

}  // namespace carecast::common::text
