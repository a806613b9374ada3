#include "services/common/repurpose/text_scan.h"

#include <algorithm>

#include "absl/strings/ascii.h"

#include "services/common/base/utf8.h"

namespace carecast::common::repurpose {
namespace {

bool IsHorizontalSpace(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v'; }

bool IsAsciiWord(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The code point at s[*i], advancing *i; a malformed byte reads as U+FFFD.
char32_t Decode(std::string_view s, size_t* i) {
  const size_t len = Utf8SequenceLength(s, *i);
  if (len == 0) {
    ++*i;
    return 0xFFFD;
  }
  auto b = [&](size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[*i + k])); };
  char32_t cp = 0;
  switch (len) {
    case 1:
      cp = b(0);
      break;
    case 2:
      cp = ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
      break;
    case 3:
      cp = ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
      break;
    default:
      cp = ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
      break;
  }
  *i += len;
  return cp;
}

// Non-ASCII code points that end a tag: Latin-1 punctuation and symbols,
// general punctuation (quotes, dashes, ellipsis, zero-width joiners and
// spaces), arrows and symbols, CJK and full-width punctuation, emoji.
bool EndsTag(char32_t cp) {
  return (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x2BFF) ||
         (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
         (cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
         (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65) || cp == 0xFFFD ||
         cp >= 0x1F000;
}

// End of the tag whose body starts at text[pos]; pos when there is none.
size_t TagEnd(std::string_view text, size_t pos) {
  size_t end = pos;
  bool digits_only = true;
  while (end < text.size()) {
    const auto c = static_cast<unsigned char>(text[end]);
    if (c < 0x80) {
      if (!IsAsciiWord(text[end])) break;
      digits_only = digits_only && absl::ascii_isdigit(c);
      ++end;
      continue;
    }
    size_t next = end;
    if (EndsTag(Decode(text, &next))) break;
    digits_only = false;
    end = next;
  }
  return digits_only ? pos : end;
}

bool IsTrailingPunctuation(char c) {
  return std::string_view(".,:;!?'\")]}>").find(c) != std::string_view::npos;
}

bool IsUrlStop(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '<' || c == '>' ||
         c == '"';
}

// Position of the next "http://" or "https://" (any case) at or after pos.
size_t FindScheme(std::string_view text, size_t pos) {
  for (size_t i = pos; i + 7 <= text.size(); ++i) {
    if (text[i] != 'h' && text[i] != 'H') continue;
    const std::string lower = FoldCase(text.substr(i, 8));
    if (lower.rfind("http://", 0) == 0 || lower.rfind("https://", 0) == 0) return i;
  }
  return std::string_view::npos;
}

}  // namespace

std::string FoldCase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return out;
}

std::string NormalizeWhitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t blank_lines = 0;
  size_t i = 0;
  while (i <= text.size()) {
    // One line: [i, eol).
    size_t eol = i;
    while (eol < text.size() && text[eol] != '\n' && text[eol] != '\r') ++eol;
    std::string line;
    bool pending_space = false;
    for (size_t k = i; k < eol; ++k) {
      if (IsHorizontalSpace(text[k])) {
        pending_space = !line.empty();
        continue;
      }
      if (pending_space) line.push_back(' ');
      pending_space = false;
      line.push_back(text[k]);
    }
    if (line.empty()) {
      ++blank_lines;
    } else {
      if (!out.empty()) out.append(blank_lines > 0 ? "\n\n" : "\n");
      out.append(line);
      blank_lines = 0;
    }
    if (eol >= text.size()) break;
    i = eol + ((text[eol] == '\r' && eol + 1 < text.size() && text[eol + 1] == '\n') ? 2 : 1);
  }
  return out;
}

std::vector<Span> FindLinks(std::string_view text) {
  std::vector<Span> links;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t begin = FindScheme(text, pos);
    if (begin == std::string_view::npos) break;
    size_t end = begin;
    while (end < text.size() && !IsUrlStop(text[end])) ++end;
    const size_t match_end = end;
    while (end > begin && IsTrailingPunctuation(text[end - 1])) --end;
    const size_t scheme_end = text.find("//", begin) + 2;
    if (scheme_end < end) links.push_back({begin, end});
    pos = std::max(match_end, begin + 1);
  }
  return links;
}

std::vector<Span> FindHashtags(std::string_view text) {
  std::vector<Span> tags;
  const std::vector<Span> links = FindLinks(text);
  size_t link = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    while (link < links.size() && links[link].end <= i) ++link;
    if (link < links.size() && links[link].begin <= i) {
      i = links[link].end - 1;
      continue;
    }
    if (text[i] != '#') continue;
    if (i > 0 && (IsAsciiWord(text[i - 1]) || text[i - 1] == '&')) continue;
    const size_t end = TagEnd(text, i + 1);
    if (end == i + 1) continue;
    tags.push_back({i, end});
    i = end - 1;
  }
  return tags;
}

bool IsUnsplittable(std::string_view word) {
  if (word.find("://") != std::string_view::npos) return true;
  if (word.find_first_of("#@") != std::string_view::npos) return true;
  for (size_t i = 1; i + 1 < word.size(); ++i) {
    if (word[i] == '.' && absl::ascii_isalnum(static_cast<unsigned char>(word[i - 1])) &&
        absl::ascii_isalpha(static_cast<unsigned char>(word[i + 1]))) {
      return true;
    }
  }
  return false;
}

}  // namespace carecast::common::repurpose
