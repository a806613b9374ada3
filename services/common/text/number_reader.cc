#include "services/common/text/number_reader.h"

#include <algorithm>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include <re2/re2.h>

namespace carecast::common::text {
namespace {

enum class WordType : uint8_t { kUnit, kTeen, kTens, kHundred, kOrdinal };
struct WordValue {
  WordType type;
  int value;
};

const absl::flat_hash_map<std::string_view, WordValue>& NumberWords() {
  static const auto* words = new absl::flat_hash_map<std::string_view, WordValue>{
      {"zero", {WordType::kUnit, 0}},
      {"oh", {WordType::kUnit, 0}},
      {"o", {WordType::kUnit, 0}},
      {"one", {WordType::kUnit, 1}},
      {"two", {WordType::kUnit, 2}},
      {"three", {WordType::kUnit, 3}},
      {"four", {WordType::kUnit, 4}},
      {"five", {WordType::kUnit, 5}},
      {"six", {WordType::kUnit, 6}},
      {"seven", {WordType::kUnit, 7}},
      {"eight", {WordType::kUnit, 8}},
      {"nine", {WordType::kUnit, 9}},
      {"ten", {WordType::kTeen, 10}},
      {"eleven", {WordType::kTeen, 11}},
      {"twelve", {WordType::kTeen, 12}},
      {"thirteen", {WordType::kTeen, 13}},
      {"fourteen", {WordType::kTeen, 14}},
      {"fifteen", {WordType::kTeen, 15}},
      {"sixteen", {WordType::kTeen, 16}},
      {"seventeen", {WordType::kTeen, 17}},
      {"eighteen", {WordType::kTeen, 18}},
      {"nineteen", {WordType::kTeen, 19}},
      {"twenty", {WordType::kTens, 20}},
      {"thirty", {WordType::kTens, 30}},
      {"forty", {WordType::kTens, 40}},
      {"fourty", {WordType::kTens, 40}},
      {"fifty", {WordType::kTens, 50}},
      {"sixty", {WordType::kTens, 60}},
      {"seventy", {WordType::kTens, 70}},
      {"eighty", {WordType::kTens, 80}},
      {"ninety", {WordType::kTens, 90}},
      {"hundred", {WordType::kHundred, 100}},
      {"first", {WordType::kOrdinal, 1}},
      {"second", {WordType::kOrdinal, 2}},
      {"third", {WordType::kOrdinal, 3}},
      {"fourth", {WordType::kOrdinal, 4}},
      {"fifth", {WordType::kOrdinal, 5}},
      {"sixth", {WordType::kOrdinal, 6}},
      {"seventh", {WordType::kOrdinal, 7}},
      {"eighth", {WordType::kOrdinal, 8}},
      {"ninth", {WordType::kOrdinal, 9}},
      {"tenth", {WordType::kOrdinal, 10}},
      {"eleventh", {WordType::kOrdinal, 11}},
      {"twelfth", {WordType::kOrdinal, 12}},
      {"thirteenth", {WordType::kOrdinal, 13}},
      {"fourteenth", {WordType::kOrdinal, 14}},
      {"fifteenth", {WordType::kOrdinal, 15}},
      {"sixteenth", {WordType::kOrdinal, 16}},
      {"seventeenth", {WordType::kOrdinal, 17}},
      {"eighteenth", {WordType::kOrdinal, 18}},
      {"nineteenth", {WordType::kOrdinal, 19}},
      {"twentieth", {WordType::kOrdinal, 20}},
      {"thirtieth", {WordType::kOrdinal, 30}},
  };
  return *words;
}

bool IsMonth(std::string_view w) {
  static constexpr std::string_view kMonths[] = {
      "january",   "february", "march",    "april",    "may",  "june", "july", "august",
      "september", "october",  "november", "december", "jan",  "feb",  "mar",  "apr",
      "jun",       "jul",      "aug",      "sep",      "sept", "oct",  "nov",  "dec"};
  return std::find(std::begin(kMonths), std::end(kMonths), w) != std::end(kMonths);
}

struct Edit {
  uint32_t begin;
  uint32_t end;
  std::string text;
};

bool IsWordish(const Token& t) {
  return t.kind == TokenKind::kWord || t.kind == TokenKind::kNumber;
}

// Only spaces and light punctuation between two items of one run.
bool SmallGap(std::string_view t, size_t from, size_t to) {
  if (to < from || to - from > 4) return false;
  for (size_t i = from; i < to; ++i) {
    char c = t[i];
    if (c != ' ' && c != '-' && c != ',' && c != '.' && c != '/') return false;
  }
  return true;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Words that may sit inside a spelled run: "a hundred", "hundred and two".
std::string_view WordAt(const NormalizedText& n, const std::vector<Token>& tokens, size_t i) {
  return i < tokens.size() && IsWordish(tokens[i]) ? TokenText(n, tokens[i]) : std::string_view();
}

// Spelled numbers from token `i`: returns the index after the run (i when no
// run starts here) and appends an edit when the run should be read.
size_t ReadSpelled(const NormalizedText& n, const std::vector<Token>& tokens, size_t i,
                   std::vector<Edit>& edits) {
  const auto& words = NumberWords();
  std::string digits;
  int pending = -1;  // value being built
  WordType state = WordType::kUnit;
  int chunks = 0;
  bool big = false, ordinal = false;
  auto flush = [&] {
    if (pending >= 0) {
      digits += std::to_string(pending);
      ++chunks;
    }
    pending = -1;
  };
  size_t j = i;
  size_t last = i;
  for (; j < tokens.size(); ++j) {
    if (tokens[j].kind == TokenKind::kPunct) continue;  // the gap check covers it
    if (j > i && !SmallGap(n.text, tokens[last].end, tokens[j].begin)) break;
    std::string_view w = WordAt(n, tokens, j);
    if (w.empty()) break;
    if (w == "and" && state == WordType::kHundred) {
      last = j;
      continue;
    }
    if (w == "a" && WordAt(n, tokens, j + 1) == "hundred") {
      pending = 1;
      last = j;
      continue;
    }
    if (tokens[j].kind == TokenKind::kNumber) {
      if (j == i || !AllDigits(w) || w.size() > 4) break;
      flush();
      digits += w;
      ++chunks;
      last = j;
      continue;
    }
    auto it = words.find(w);
    if (it == words.end()) break;
    WordValue v = it->second;
    if ((w == "oh" || w == "o") && j == i) break;  // "oh" is zero only after a number
    if (v.type == WordType::kUnit || v.type == WordType::kOrdinal) {
      bool adds = pending >= 0 &&
                  (state == WordType::kHundred || (state == WordType::kTens && pending % 10 == 0));
      if (adds && v.value < 10) {
        pending += v.value;
      } else {
        flush();
        pending = v.value;
      }
      state = WordType::kUnit;
      if (v.type == WordType::kOrdinal) {
        ordinal = true;
        last = j;
        ++j;
        break;  // an ordinal ends the run
      }
    } else if (v.type == WordType::kTeen || v.type == WordType::kTens) {
      if (pending >= 0 && state == WordType::kHundred) {
        pending += v.value;
      } else {
        flush();
        pending = v.value;
      }
      state = v.type == WordType::kTens ? WordType::kTens : WordType::kUnit;
      big = big || v.value >= 90;
    } else {  // hundred
      pending = (pending >= 0 ? pending : 1) * 100;
      state = WordType::kHundred;
      big = true;
    }
    last = j;
  }
  if (last == i && j == i) return i;
  flush();
  if (ordinal) {
    int value = std::stoi(digits.substr(digits.size() - std::min<size_t>(digits.size(), 2)));
    bool month_near =
        IsMonth(WordAt(n, tokens, j)) ||
        (WordAt(n, tokens, j) == "of" && IsMonth(WordAt(n, tokens, j + 1))) ||
        (i >= 1 && IsMonth(WordAt(n, tokens, i - 1))) ||
        (i >= 2 && WordAt(n, tokens, i - 1) == "the" && IsMonth(WordAt(n, tokens, i - 2)));
    if (!month_near || value < 1 || value > 31) return j;
    const char* suffix = value % 10 == 1 && value != 11   ? "st"
                         : value % 10 == 2 && value != 12 ? "nd"
                         : value % 10 == 3 && value != 13 ? "rd"
                                                          : "th";
    // "June the second" reads as "june 2nd".
    bool the_before =
        i >= 2 && WordAt(n, tokens, i - 1) == "the" && IsMonth(WordAt(n, tokens, i - 2));
    uint32_t begin = the_before ? tokens[i - 1].begin : tokens[i].begin;
    edits.push_back({begin, tokens[last].end, std::to_string(value) + suffix});
    return j;
  }
  if (chunks >= 2 || big) edits.push_back({tokens[i].begin, tokens[last].end, digits});
  return j;
}

// One- or two-character letters and digits spaced or dotted out ("4 1 5 . 5",
// "r o s a"): four or more items (three when all are letters).
size_t ReadSpaced(const NormalizedText& n, const std::vector<Token>& tokens, size_t i,
                  std::vector<Edit>& edits) {
  std::string joined;
  size_t j = i, last = i;
  bool letters_only = true, counting = true;
  int items = 0, previous = -1;
  for (; j < tokens.size(); ++j) {
    if (tokens[j].kind == TokenKind::kPunct) continue;  // the gap check covers it
    if (j > i && !SmallGap(n.text, tokens[last].end, tokens[j].begin)) break;
    if (!IsWordish(tokens[j])) break;
    std::string_view w = TokenText(n, tokens[j]);
    bool digits = tokens[j].kind == TokenKind::kNumber && AllDigits(w) && w.size() <= 2;
    bool letter = tokens[j].kind == TokenKind::kWord && w.size() == 1;
    if (!digits && !letter) break;
    letters_only = letters_only && letter;
    int value = digits ? std::stoi(std::string(w)) : -2;
    counting = counting && (previous < 0 || value == previous + 1);  // "1 2 3 4" is a count
    previous = value;
    joined += w;
    ++items;
    last = j;
  }
  if (items == 0) return i + 1;
  bool enough = items >= 4 || (letters_only && items >= 3);
  if (enough && !(counting && !letters_only)) {
    edits.push_back({tokens[i].begin, tokens[last].end, joined});
  }
  return j;
}

// A number token with three or more dots or commas between one- or two-digit
// groups ("7.1.3.5.5.5"): the digits alone.
void ReadDotted(const NormalizedText& n, const Token& t, std::vector<Edit>& edits) {
  std::string_view w = TokenText(n, t);
  std::string digits;
  int seps = 0, group = 0;
  for (char c : w) {
    if (c >= '0' && c <= '9') {
      digits += c;
      if (++group > 2) return;
    } else if (c == '.' || c == ',') {
      ++seps;
      group = 0;
    } else {
      return;
    }
  }
  if (seps >= 3 && digits.size() >= 6) edits.push_back({t.begin, t.end, digits});
}

bool MayHoldHiddenEmail(std::string_view t) {
  return t.find(" dot ") != std::string_view::npos || t.find("(at)") != std::string_view::npos ||
         t.find("[at]") != std::string_view::npos || t.find(" @") != std::string_view::npos ||
         t.find("@ ") != std::string_view::npos;
}

void ReadEmails(const re2::RE2& email, std::string_view t, std::vector<Edit>& edits) {
  re2::StringPiece input(t.data(), t.size());
  re2::StringPiece match;
  size_t pos = 0;
  while (pos < t.size() && email.Match(input, pos, t.size(), re2::RE2::UNANCHORED, &match, 1)) {
    size_t b = static_cast<size_t>(match.data() - t.data());
    size_t e = b + match.size();
    std::string plain;
    std::string_view m = t.substr(b, e - b);
    size_t k = 0;
    while (k < m.size()) {  // word by word: "dot" and "at" become '.' and '@'
      size_t sp = m.find(' ', k);
      if (sp == std::string_view::npos) sp = m.size();
      std::string_view piece = m.substr(k, sp - k);
      if (piece == "dot" || piece == "(dot)" || piece == "[dot]") {
        plain += '.';
      } else if (piece == "at" || piece == "(at)" || piece == "[at]") {
        plain += '@';
      } else {
        for (std::string_view from : {"(dot)", "[dot]", "(at)", "[at]"}) {
          size_t f = piece.find(from);
          if (f == std::string_view::npos) continue;
          std::string fixed(piece);
          fixed.replace(f, from.size(), from[1] == 'd' ? "." : "@");
          plain += fixed;
          piece = {};
          break;
        }
        plain += piece;
      }
      k = sp + 1;
    }
    if (plain != m) edits.push_back({static_cast<uint32_t>(b), static_cast<uint32_t>(e), plain});
    pos = e;
  }
}

}  // namespace

void RewrittenText::Clear() {
  text.clear();
  from_begin.clear();
  from_end.clear();
  rewritten.clear();
}

std::pair<uint32_t, uint32_t> RewrittenText::ToSource(size_t b, size_t e) const {
  if (text.empty()) return {0, 0};
  b = std::min(b, text.size() - 1);
  e = std::clamp(e, b + 1, text.size());
  return {from_begin[b], from_end[e - 1]};
}

bool RewrittenText::Touches(size_t b, size_t e) const {
  for (const auto& [rb, re] : rewritten) {
    if (b < re && rb < e) return true;
  }
  return false;
}

NumberReader::~NumberReader() = default;

std::unique_ptr<NumberReader> NumberReader::Create() {
  std::unique_ptr<NumberReader> reader(new NumberReader());
  constexpr std::string_view kSep = R"((?:\s*\.\s*|\s+dot\s+|\s*\(dot\)\s*|\s*\[dot\]\s*))";
  std::string pattern =
      std::string(R"([a-z0-9_+-]+(?:)") + std::string(kSep) +
      R"([a-z0-9_+-]+)*(?:\s*@\s*|\s+at\s+|\s*\(at\)\s*|\s*\[at\]\s*)[a-z0-9-]+(?:)" +
      std::string(kSep) + R"([a-z0-9-]+)*)" + std::string(kSep) +
      R"((?:com|org|net|edu|gov|io|co|us|uk|me|info|ca)\b)";
  reader->email_ = std::make_unique<re2::RE2>(pattern);
  return reader;
}

bool NumberReader::Read(const NormalizedText& n, const std::vector<Token>& tokens,
                        RewrittenText& out) const {
  thread_local std::vector<Edit> edits;
  edits.clear();
  const auto& words = NumberWords();
  for (size_t i = 0; i < tokens.size();) {
    const Token& t = tokens[i];
    std::string_view w = TokenText(n, t);
    if (t.kind == TokenKind::kWord && w.size() > 1 && words.contains(w)) {
      size_t next = ReadSpelled(n, tokens, i, edits);
      i = next > i ? next : i + 1;
    } else if ((t.kind == TokenKind::kNumber && w.size() <= 2 && AllDigits(w)) ||
               (t.kind == TokenKind::kWord && w.size() == 1)) {
      i = ReadSpaced(n, tokens, i, edits);
    } else {
      if (t.kind == TokenKind::kNumber) ReadDotted(n, t, edits);
      ++i;
    }
  }
  if (MayHoldHiddenEmail(n.text)) ReadEmails(*email_, n.text, edits);
  if (edits.empty()) return false;
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
  out.Clear();
  size_t pos = 0;
  for (const Edit& e : edits) {
    if (e.begin < pos) continue;  // overlaps an earlier edit
    for (; pos < e.begin; ++pos) {
      out.text += n.text[pos];
      out.from_begin.push_back(static_cast<uint32_t>(pos));
      out.from_end.push_back(static_cast<uint32_t>(pos + 1));
    }
    // Keep a space either side so the plain form is its own word.
    uint32_t start = static_cast<uint32_t>(out.text.size());
    out.text += e.text;
    out.from_begin.resize(out.text.size(), e.begin);
    out.from_end.resize(out.text.size(), e.end);
    out.rewritten.emplace_back(start, static_cast<uint32_t>(out.text.size()));
    pos = e.end;
  }
  for (; pos < n.text.size(); ++pos) {
    out.text += n.text[pos];
    out.from_begin.push_back(static_cast<uint32_t>(pos));
    out.from_end.push_back(static_cast<uint32_t>(pos + 1));
  }
  return true;
}

}  // namespace carecast::common::text
