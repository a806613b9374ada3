#include "services/common/text/text_config.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

namespace carecast::common::text {
namespace {

struct FileField {
  std::string_view file;
  std::string TextConfig::*field;
};
constexpr FileField kFiles[] = {
    {"lexicon_vader.tsv", &TextConfig::lexicon},
    {"lexicon_healthcare.tsv", &TextConfig::lexicon_domain},
    {"emoji.tsv", &TextConfig::emoji},
    {"taxonomy.tsv", &TextConfig::taxonomy},
    {"urgency.tsv", &TextConfig::urgency},
    {"phrases.tsv", &TextConfig::phrases},
    {"cues.tsv", &TextConfig::cues},
    {"first_names.txt", &TextConfig::first_names},
    {"last_names.txt", &TextConfig::last_names},
    {"common_words.txt", &TextConfig::common_words},
};

}  // namespace

TextConfig DefaultTextConfig() {
  TextConfig config;
  for (const FileField& f : kFiles) config.*f.field = std::string(EmbeddedDataFile(f.file));
  return config;
}

absl::StatusOr<TextConfig> LoadTextConfigFromDir(std::string_view dir) {
  TextConfig config = DefaultTextConfig();
  auto read = [&](std::string_view name, std::string* out) -> absl::Status {
    std::string path = absl::StrCat(AsAbsl(dir), "/", AsAbsl(name));
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::OkStatus();
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return absl::UnavailableError(absl::StrCat("cannot read ", path));
    *out = ss.str();
    return absl::OkStatus();
  };
  for (const FileField& f : kFiles) {
    if (absl::Status s = read(f.file, &(config.*f.field)); !s.ok()) return s;
  }
  std::string keywords;
  if (absl::Status s = read("tracked_keywords.txt", &keywords); !s.ok()) return s;
  size_t pos = 0;
  while (pos < keywords.size()) {
    size_t nl = keywords.find('\n', pos);
    if (nl == std::string::npos) nl = keywords.size();
    std::string line = keywords.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && line.rfind("# ", 0) != 0) config.tracked_keywords.push_back(line);
  }
  return config;
}

}  // namespace carecast::common::text
