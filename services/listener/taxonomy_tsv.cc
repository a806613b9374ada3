#include "services/listener/taxonomy_tsv.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"
#include "services/common/text/normalizer.h"
#include "services/common/text/text_analyzer.h"
#include "services/common/text/text_config.h"

namespace carecast::listener {
namespace {

bool IsIdChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

// Segments of [a-z0-9_]+ joined by single '/'.
bool IsValidTopicId(std::string_view id) {
  if (id.empty() || id.size() > kMaxTopicIdBytes || id.front() == '/' || id.back() == '/')
    return false;
  for (size_t i = 0; i < id.size(); ++i) {
    if (id[i] == '/') {
      if (id[i - 1] == '/') return false;
    } else if (!IsIdChar(id[i])) {
      return false;
    }
  }
  return true;
}

bool IsValidPhrase(std::string_view phrase) {
  if (phrase.empty() || phrase.size() > kMaxPhraseBytes || !common::IsValidUtf8(phrase))
    return false;
  // TAB and '|' are the file's separators; the other controls have no place in a phrase.
  return std::none_of(phrase.begin(), phrase.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '|';
  });
}

}  // namespace

absl::StatusOr<TopicDefinitions> NormalisedTopics(const TopicDefinitions& topics) {
  if (topics.empty() || static_cast<size_t>(topics.size()) > kMaxTopics) {
    return absl::InvalidArgumentError(absl::StrCat("a taxonomy has 1 to ", kMaxTopics, " topics"));
  }
  TopicDefinitions out;
  std::set<std::string> seen;
  for (int i = 0; i < topics.size(); ++i) {
    const v1::TopicDefinition& in = topics[i];
    if (!IsValidTopicId(in.topic())) {
      return absl::InvalidArgumentError(
          absl::StrCat("topics[", i, "].topic must be 1 to ", kMaxTopicIdBytes,
                       " bytes of lower-case letters, digits and '_', in segments joined by '/'"));
    }
    if (!seen.insert(in.topic()).second) {
      return absl::InvalidArgumentError(absl::StrCat("topics[", i, "].topic repeats ", in.topic()));
    }
    if (in.phrases().empty() || static_cast<size_t>(in.phrases_size()) > kMaxPhrasesPerTopic) {
      return absl::InvalidArgumentError(absl::StrCat(
          "topics[", i, "] (", in.topic(), ") needs 1 to ", kMaxPhrasesPerTopic, " phrases"));
    }
    v1::TopicDefinition& topic = *out.Add();
    topic.set_topic(in.topic());
    for (int j = 0; j < in.phrases_size(); ++j) {
      std::string phrase(absl::StripAsciiWhitespace(in.phrases(j)));
      if (!IsValidPhrase(phrase)) {
        return absl::InvalidArgumentError(
            absl::StrCat("topics[", i, "].phrases[", j, "] must be 1 to ", kMaxPhraseBytes,
                         " bytes of UTF-8 without control characters, TAB or '|'"));
      }
      if (common::text::NormalizeTerm(phrase).empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("topics[", i, "].phrases[", j, "] has nothing the engine can match"));
      }
      topic.add_phrases(std::move(phrase));
    }
  }
  return out;
}

std::string TaxonomyTsv(const TopicDefinitions& topics) {
  std::string tsv;
  for (const v1::TopicDefinition& topic : topics) {
    absl::StrAppend(&tsv, topic.topic(), "\t", absl::StrJoin(topic.phrases(), "|"), "\n");
  }
  return tsv;
}

TopicDefinitions ParseTaxonomyTsv(std::string_view tsv) {
  TopicDefinitions topics;
  for (absl::string_view line : absl::StrSplit(common::AsAbsl(tsv), '\n')) {
    absl::ConsumeSuffix(&line, "\r");
    if (line.empty() || line.front() == '#') continue;
    const size_t tab = line.find('\t');
    if (tab == absl::string_view::npos) continue;
    v1::TopicDefinition& topic = *topics.Add();
    topic.set_topic(std::string(line.substr(0, tab)));
    for (absl::string_view phrase : absl::StrSplit(line.substr(tab + 1), '|', absl::SkipEmpty()))
      topic.add_phrases(std::string(phrase));
  }
  return topics;
}

absl::Status CheckTaxonomyCompiles(const std::string& tsv) {
  common::text::TextConfig config = common::text::DefaultTextConfig();
  config.taxonomy = tsv;
  return common::text::TextAnalyzer::Create(config).status();
}

}  // namespace carecast::listener
