#include "services/common/text/normalizer.h"

#include <utf8proc.h>

#include <array>
#include <cstring>

#include "absl/strings/str_cat.h"

#include "services/common/base/utf8.h"

namespace carecast::common::text {
namespace {

// Look-alike letters of other scripts, after case folding, mapped to the ASCII
// letter they imitate (Cyrillic, Greek, Armenian and a few Latin variants).
char HomoglyphToAscii(char32_t cp) {
  switch (cp) {
    case 0x0430:
    case 0x03B1:
    case 0x0251:
      return 'a';
    case 0x0432:
    case 0x03B2:
    case 0x0185:
      return 'b';
    case 0x0441:
    case 0x03F2:
    case 0x217D:
      return 'c';
    case 0x0501:
    case 0x217E:
      return 'd';
    case 0x0435:
    case 0x0451:
    case 0x03B5:
    case 0x0454:
      return 'e';
    case 0x0261:
      return 'g';
    case 0x04BB:
    case 0x043D:
    case 0x0570:
      return 'h';
    case 0x0456:
    case 0x0457:
    case 0x03B9:
    case 0x0131:
    case 0x2170:
      return 'i';
    case 0x0458:
    case 0x03F3:
    case 0x0237:
      return 'j';
    case 0x043A:
    case 0x03BA:
      return 'k';
    case 0x04CF:
    case 0x217C:
      return 'l';
    case 0x043C:
    case 0x217F:
      return 'm';
    case 0x0578:
    case 0x03B7:
    case 0x043F:
      return 'n';
    case 0x043E:
    case 0x03BF:
    case 0x0585:
    case 0x03C3:
      return 'o';
    case 0x0440:
    case 0x03C1:
      return 'p';
    case 0x051B:
      return 'q';
    case 0x0433:
      return 'r';
    case 0x0455:
      return 's';
    case 0x0442:
    case 0x03C4:
      return 't';
    case 0x057D:
    case 0x03C5:
      return 'u';
    case 0x03BD:
    case 0x0475:
    case 0x2174:
      return 'v';
    case 0x051D:
    case 0x03C9:
      return 'w';
    case 0x0445:
    case 0x03C7:
    case 0x2179:
      return 'x';
    case 0x0443:
    case 0x03B3:
    case 0x04AF:
      return 'y';
    default:
      return 0;
  }
}

bool IsZeroWidth(char32_t cp) {
  return cp == 0x200B || cp == 0x200C || cp == 0x2060 || cp == 0x2061 || cp == 0x2062 ||
         cp == 0x2063 || cp == 0x2064 || cp == 0xFEFF || cp == 0x00AD || cp == 0x180E ||
         cp == 0x034F || cp == 0x115F || cp == 0x1160 || cp == 0x3164 || cp == 0xFFA0;
}

bool IsBidiControl(char32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
         cp == 0x200F || cp == 0x061C;
}

// Removed silently: they only select emoji presentation, join emoji or tag.
bool IsSilentlyIgnorable(char32_t cp) {
  return cp == 0x200D || (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0000 && cp <= 0xE0FFF) ||
         (cp >= 0x1F3FB && cp <= 0x1F3FF);
}

// Value of a decimal digit of any script (Nd runs always come as 0..9).
int DigitValue(char32_t cp) {
  char32_t start = cp;
  for (int i = 0; i < 64 && start > 0; ++i) {
    const utf8proc_property_t* p = utf8proc_get_property(static_cast<utf8proc_int32_t>(start - 1));
    if (p->category != UTF8PROC_CATEGORY_ND) break;
    --start;
  }
  return static_cast<int>((cp - start) % 10);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsDigitLookalike(char c) { return c == 'o' || c == 'l' || c == 'i'; }
bool IsAsciiAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z'); }

// "555-l234", "1o0" : letters standing in for digits inside a number. A run of
// letters and digits made only of digits and o/l/i, with at least two real
// digits and three characters, is a number.
void FoldDigitLookalikes(NormalizedText& out) {
  std::string& t = out.text;
  size_t i = 0;
  while (i < t.size()) {
    if (!IsAsciiAlnum(t[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    int digits = 0;
    bool only = true;
    while (j < t.size() && IsAsciiAlnum(t[j])) {
      if (IsDigit(t[j]))
        ++digits;
      else if (!IsDigitLookalike(t[j]))
        only = false;
      ++j;
    }
    bool boundary = j >= t.size() || static_cast<unsigned char>(t[j]) < 0x80;
    // Short runs ("4l" in "123-4l-5678") count when a separator joins them to digits.
    bool joined = (i >= 2 && (t[i - 1] == '-' || t[i - 1] == '.') && IsDigit(t[i - 2])) ||
                  (j + 1 < t.size() && (t[j] == '-' || t[j] == '.') && IsDigit(t[j + 1]));
    bool long_enough = (digits >= 2 && j - i >= 3) || (joined && digits >= 1 && j - i >= 2);
    if (only && boundary && long_enough && static_cast<size_t>(digits) < j - i) {
      for (size_t k = i; k < j; ++k) {
        if (t[k] == 'o')
          t[k] = '0';
        else if (t[k] == 'l' || t[k] == 'i')
          t[k] = '1';
      }
      ++out.digit_lookalikes;
    }
    i = j;
  }
}

constexpr utf8proc_option_t kFoldOptions =
    static_cast<utf8proc_option_t>(UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_DECOMPOSE |
                                   UTF8PROC_STRIPMARK | UTF8PROC_LUMP | UTF8PROC_IGNORE);

}  // namespace

std::pair<uint32_t, uint32_t> NormalizedText::ToInput(size_t b, size_t e) const {
  if (begin_of.empty()) return {static_cast<uint32_t>(b), static_cast<uint32_t>(e)};
  if (b >= text.size())
    return {static_cast<uint32_t>(input_size), static_cast<uint32_t>(input_size)};
  if (e <= b) return {begin_of[b], begin_of[b]};
  return {begin_of[b], end_of[e - 1]};
}

void NormalizedText::Clear() {
  text.clear();
  begin_of.clear();
  end_of.clear();
  upper.clear();
  zero_width = bidi_controls = homoglyphs = digit_lookalikes = other_script_digits = 0;
  input_size = 0;
}

absl::Status ValidateUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  auto cont = [&](size_t k) { return k < n && (p[k] & 0xC0) == 0x80; };
  while (i < n) {
    // Eight ASCII bytes at a time.
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = cont(i + 1) ? 2 : 0;
    } else if (c == 0xE0) {
      len = (i + 1 < n && p[i + 1] >= 0xA0 && p[i + 1] <= 0xBF && cont(i + 2)) ? 3 : 0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      len = (cont(i + 1) && cont(i + 2)) ? 3 : 0;
    } else if (c == 0xED) {
      len = (i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F && cont(i + 2)) ? 3 : 0;
    } else if (c == 0xF0) {
      len =
          (i + 1 < n && p[i + 1] >= 0x90 && p[i + 1] <= 0xBF && cont(i + 2) && cont(i + 3)) ? 4 : 0;
    } else if (c >= 0xF1 && c <= 0xF3) {
      len = (cont(i + 1) && cont(i + 2) && cont(i + 3)) ? 4 : 0;
    } else if (c == 0xF4) {
      len =
          (i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x8F && cont(i + 2) && cont(i + 3)) ? 4 : 0;
    }
    if (len == 0) {
      return absl::InvalidArgumentError(absl::StrCat("text is not valid UTF-8 (byte ", i, ")"));
    }
    i += len;
  }
  return absl::OkStatus();
}

char32_t DecodeAt(std::string_view s, size_t pos, size_t* len) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  unsigned char c = p[pos];
  if (c < 0x80 || pos + 1 >= s.size()) {
    *len = 1;
    return c;
  }
  if (c < 0xE0) {
    *len = 2;
    return ((c & 0x1Fu) << 6) | (p[pos + 1] & 0x3Fu);
  }
  if (c < 0xF0 && pos + 2 < s.size()) {
    *len = 3;
    return ((c & 0x0Fu) << 12) | ((p[pos + 1] & 0x3Fu) << 6) | (p[pos + 2] & 0x3Fu);
  }
  if (pos + 3 < s.size()) {
    *len = 4;
    return ((c & 0x07u) << 18) | ((p[pos + 1] & 0x3Fu) << 12) | ((p[pos + 2] & 0x3Fu) << 6) |
           (p[pos + 3] & 0x3Fu);
  }
  *len = 1;
  return c;
}

bool IsWordCodePoint(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
           cp == '_';
  }
  if (cp > 0x10FFFF) return false;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
      return true;
    default:
      return false;
  }
}

bool IsWordAt(std::string_view s, size_t pos) {
  if (pos >= s.size()) return false;
  size_t len = 0;
  return IsWordCodePoint(DecodeAt(s, pos, &len));
}

bool IsWordBefore(std::string_view s, size_t pos) {
  if (pos == 0 || pos > s.size()) return false;
  size_t start = pos - 1;
  while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 && pos - start < 4)
    --start;
  return IsWordAt(s, start);
}

absl::Status Normalize(std::string_view input, size_t max_output_bytes, NormalizedText& out) {
  out.Clear();
  out.input_size = input.size();
  out.text.reserve(input.size());
  out.upper.reserve(input.size());
  bool ascii = true;
  for (unsigned char c : input) {
    if (c >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    // Fast path: byte-for-byte, the offset map is the identity.
    const size_t n = input.size();
    out.text.resize(n);
    out.upper.resize(n);
    bool any_digit = false;
    for (size_t i = 0; i < n; ++i) {
      auto c = static_cast<unsigned char>(input[i]);
      bool up = c >= 'A' && c <= 'Z';
      any_digit = any_digit || (c >= '0' && c <= '9');
      char o = up ? static_cast<char>(c + 32) : static_cast<char>(c);
      if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7F) o = ' ';
      out.text[i] = o;
      out.upper[i] = up ? 1 : 0;
    }
    if (any_digit) FoldDigitLookalikes(out);
    return absl::OkStatus();
  }
  out.begin_of.reserve(input.size());
  out.end_of.reserve(input.size());
  std::array<utf8proc_int32_t, 32> buf;
  size_t i = 0;
  auto emit = [&](char32_t cp, uint32_t b, uint32_t e, bool up) {
    size_t before = out.text.size();
    common::AppendUtf8(out.text, cp);
    for (size_t k = before; k < out.text.size(); ++k) {
      out.begin_of.push_back(b);
      out.end_of.push_back(e);
      out.upper.push_back(up ? 1 : 0);
    }
  };
  while (i < input.size()) {
    size_t len = 1;
    char32_t cp = DecodeAt(input, i, &len);
    uint32_t b = static_cast<uint32_t>(i), e = static_cast<uint32_t>(i + len);
    i += len;
    if (out.text.size() > max_output_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("text expands past ", max_output_bytes,
                                                     " bytes under Unicode normalisation"));
    }
    if (cp < 0x80) {
      bool up = cp >= 'A' && cp <= 'Z';
      char32_t o = up ? cp + 32 : cp;
      if ((cp < 0x20 && cp != '\n' && cp != '\t' && cp != '\r') || cp == 0x7F) o = ' ';
      emit(o, b, e, up);
      continue;
    }
    if (cp >= 0x80 && cp < 0xA0) {
      emit(' ', b, e, false);
      continue;
    }
    if (IsZeroWidth(cp)) {
      ++out.zero_width;
      continue;
    }
    if (IsBidiControl(cp)) {
      ++out.bidi_controls;
      continue;
    }
    if (IsSilentlyIgnorable(cp)) continue;
    const utf8proc_property_t* prop = utf8proc_get_property(static_cast<utf8proc_int32_t>(cp));
    bool up = prop->category == UTF8PROC_CATEGORY_LU || prop->category == UTF8PROC_CATEGORY_LT;
    if (prop->category == UTF8PROC_CATEGORY_ND) {
      // Fullwidth and mathematical digits fold under NFKC; other scripts' digits
      // (Arabic-Indic, Devanagari, ...) do not, so fold them here.
      utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), buf.data(),
                                                   buf.size(), kFoldOptions, nullptr);
      if (n == 1 && buf[0] >= '0' && buf[0] <= '9') {
        emit(static_cast<char32_t>(buf[0]), b, e, false);
      } else {
        ++out.other_script_digits;
        emit(static_cast<char32_t>('0' + DigitValue(cp)), b, e, false);
      }
      continue;
    }
    utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), buf.data(),
                                                 buf.size(), kFoldOptions, nullptr);
    if (n < 0 || n > static_cast<utf8proc_ssize_t>(buf.size())) {
      emit(' ', b, e, false);
      continue;
    }
    for (utf8proc_ssize_t k = 0; k < n; ++k) {
      char32_t d = static_cast<char32_t>(buf[k]);
      if (d >= 0x80) {
        if (char a = HomoglyphToAscii(d); a != 0) {
          ++out.homoglyphs;
          d = static_cast<char32_t>(a);
        } else if (IsZeroWidth(d) || IsBidiControl(d) || IsSilentlyIgnorable(d)) {
          continue;
        }
      }
      if (d < 0x20 && d != '\n' && d != '\t' && d != '\r') d = ' ';
      emit(d, b, e, up);
    }
  }
  if (out.text.size() > max_output_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("text expands past ", max_output_bytes, " bytes under Unicode normalisation"));
  }
  FoldDigitLookalikes(out);
  return absl::OkStatus();
}

std::string NormalizeTerm(std::string_view term) {
  if (!ValidateUtf8(term).ok()) return "";
  NormalizedText n;
  if (!Normalize(term, term.size() * 18 + 16, n).ok()) return "";
  // Trim and squeeze spaces so configured phrases match single-spaced text.
  std::string out;
  for (char c : n.text) {
    bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (space) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace carecast::common::text
