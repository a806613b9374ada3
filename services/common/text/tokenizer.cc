#include "services/common/text/tokenizer.h"

#include <utf8proc.h>

#include <array>
#include <string>

#include "services/common/base/strings.h"

namespace carecast::common::text {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) { return c >= 'a' && c <= 'z'; }
bool IsAsciiWord(char c) { return IsAsciiLetter(c) || IsDigit(c) || c == '_'; }

bool IsEmojiCodePoint(char32_t cp) {
  if (cp >= 0x1F000 && cp <= 0x1FAFF) return true;
  if (cp >= 0x2600 && cp <= 0x27BF) return true;
  if (cp >= 0x2B00 && cp <= 0x2BFF) return true;
  if (cp == 0x2764 || cp == 0x2665 || cp == 0x263A || cp == 0x2639) return true;
  if (cp > 0x10FFFF) return false;
  return utf8proc_category(static_cast<utf8proc_int32_t>(cp)) == UTF8PROC_CATEGORY_SO;
}

constexpr std::array<std::string_view, 14> kTlds = {".com",    ".org",  ".net", ".edu", ".gov",
                                                    ".io",     ".co",   ".us",  ".ly",  ".me",
                                                    ".health", ".info", ".biz", ".app"};

// A chunk (run of non-space) that is a link: scheme, www., or domain.tld[/...].
bool LooksLikeUrl(std::string_view c) {
  if (c.find("://") != std::string_view::npos) return true;
  if (c.substr(0, 4) == "www.") return true;
  if (c.find('@') != std::string_view::npos) return false;
  for (std::string_view tld : kTlds) {
    size_t p = c.find(tld);
    while (p != std::string_view::npos) {
      size_t after = p + tld.size();
      bool end_ok = after == c.size() || c[after] == '/' || c[after] == '?' || c[after] == ':' ||
                    !IsAsciiWord(c[after]);
      if (p > 0 && IsAsciiWord(c[p - 1]) && end_ok) return true;
      p = c.find(tld, p + 1);
    }
  }
  return false;
}

bool LooksLikeEmail(std::string_view c) {
  size_t at = c.find('@');
  if (at == std::string_view::npos || at == 0) return false;
  if (!IsAsciiWord(c[at - 1])) return false;
  size_t dot = c.find('.', at);
  return dot != std::string_view::npos && dot > at + 1 && dot + 2 < c.size() + 1 &&
         dot + 1 < c.size() && IsAsciiLetter(c[dot + 1]);
}

class TokenizerImpl {
 public:
  TokenizerImpl(const NormalizedText& n, const EmoticonSet& emoticons, std::vector<Token>& out)
      : n_(n), t_(n.text), emoticons_(emoticons), out_(out) {}

  void Run() {
    size_t i = 0;
    while (i < t_.size()) {
      if (IsSpace(t_[i])) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < t_.size() && !IsSpace(t_[j])) ++j;
      Chunk(i, j);
      i = j;
    }
  }

 private:
  void Push(TokenKind kind, size_t b, size_t e) {
    Token tok{kind, static_cast<uint32_t>(b), static_cast<uint32_t>(e), false, false};
    if (kind == TokenKind::kWord || kind == TokenKind::kHashtag) {
      int letters = 0, upper = 0;
      bool first_seen = false;
      for (size_t k = b; k < e; ++k) {
        char c = t_[k];
        if (IsAsciiLetter(c) || static_cast<unsigned char>(c) >= 0x80) {
          if ((static_cast<unsigned char>(c) & 0xC0) == 0x80) continue;
          ++letters;
          bool up = n_.IsUpper(k);
          if (up) ++upper;
          if (!first_seen) {
            tok.capitalized = up;
            first_seen = true;
          }
        }
      }
      tok.all_caps = letters >= 2 && upper == letters;
    }
    out_.push_back(tok);
  }

  // Trims leading/trailing punctuation that belongs to the sentence, not the link.
  void TrimLink(size_t& b, size_t& e) {
    while (b < e &&
           (t_[b] == '(' || t_[b] == '"' || t_[b] == '\'' || t_[b] == '<' || t_[b] == '[')) {
      Push(TokenKind::kPunct, b, b + 1);
      ++b;
    }
    while (e > b &&
           (t_[e - 1] == '.' || t_[e - 1] == ',' || t_[e - 1] == ')' || t_[e - 1] == '!' ||
            t_[e - 1] == '?' || t_[e - 1] == '"' || t_[e - 1] == '\'' || t_[e - 1] == ';' ||
            t_[e - 1] == ':' || t_[e - 1] == '>' || t_[e - 1] == ']')) {
      --e;
    }
  }

  void Chunk(size_t b, size_t e) {
    std::string_view c = t_.substr(b, e - b);
    bool has_dot_or_at = c.find('.') != std::string_view::npos ||
                         c.find('@') != std::string_view::npos ||
                         c.find(':') != std::string_view::npos;
    if (has_dot_or_at && (LooksLikeUrl(c) || LooksLikeEmail(c))) {
      size_t lb = b, le = e;
      TrimLink(lb, le);
      std::string_view core = t_.substr(lb, le - lb);
      if (!core.empty()) {
        Push(LooksLikeEmail(core) && !LooksLikeUrl(core) ? TokenKind::kEmail : TokenKind::kUrl, lb,
             le);
        for (size_t k = le; k < e; ++k) Push(TokenKind::kPunct, k, k + 1);
        return;
      }
    }
    size_t i = b;
    while (i < e) i = Next(i, b, e);
  }

  size_t MatchEmoticon(size_t i, size_t chunk_begin, size_t e) {
    for (size_t len = std::min<size_t>(5, e - i); len >= 2; --len) {
      std::string_view cand = t_.substr(i, len);
      if (!emoticons_.contains(AsAbsl(cand))) continue;
      bool space_before = i == chunk_begin;
      bool space_after = i + len == e;
      char first = cand[0];
      if (space_before || (space_after && (first == ':' || first == ';' || first == '=')))
        return len;
    }
    return 0;
  }

  size_t Next(size_t i, size_t chunk_begin, size_t e) {
    char c = t_[i];
    auto uc = static_cast<unsigned char>(c);
    if (c == '#' && i + 1 < e &&
        (IsAsciiWord(t_[i + 1]) || static_cast<unsigned char>(t_[i + 1]) >= 0x80)) {
      size_t j = i + 1;
      j = ScanWordChars(j, e, false);
      if (j > i + 1) {
        Push(TokenKind::kHashtag, i, j);
        return j;
      }
    }
    if (c == '@' && i + 1 < e && IsAsciiWord(t_[i + 1]) &&
        (i == chunk_begin || !IsAsciiWord(t_[i - 1]))) {
      size_t j = i + 1;
      while (j < e && (IsAsciiWord(t_[j]) || (t_[j] == '.' && j + 1 < e && IsAsciiWord(t_[j + 1]))))
        ++j;
      Push(TokenKind::kHandle, i, j);
      return j;
    }
    if (IsDigit(c)) {
      // A number with internal separators ("3.5", "10:30", "555-1234", "1,000").
      size_t j = i;
      while (j < e) {
        if (IsDigit(t_[j])) {
          ++j;
          continue;
        }
        if ((t_[j] == '.' || t_[j] == ',' || t_[j] == ':' || t_[j] == '/' || t_[j] == '-') &&
            j + 1 < e && IsDigit(t_[j + 1])) {
          ++j;
          continue;
        }
        break;
      }
      // "10am", "3rd", "5k": a number with a letter suffix stays a number.
      while (j < e && IsAsciiLetter(t_[j])) ++j;
      Push(TokenKind::kNumber, i, j);
      return j;
    }
    if (IsAsciiLetter(c) || uc >= 0x80) {
      size_t len = 1;
      char32_t cp = uc >= 0x80 ? DecodeAt(t_, i, &len) : static_cast<char32_t>(c);
      if (uc >= 0x80 && IsEmojiCodePoint(cp)) {
        Push(TokenKind::kEmoji, i, i + len);
        return i + len;
      }
      if (uc < 0x80 || IsWordCodePoint(cp)) {
        // "xd", ":p"-style emoticons made of letters are looked up as words.
        size_t j = ScanWordChars(i, e, true);
        if (j > i) {
          Push(TokenKind::kWord, i, j);
          return j;
        }
      }
      Push(TokenKind::kPunct, i, i + len);
      return i + len;
    }
    if (size_t len = MatchEmoticon(i, chunk_begin, e); len > 0) {
      Push(TokenKind::kEmoticon, i, i + len);
      return i + len;
    }
    Push(TokenKind::kPunct, i, i + 1);
    return i + 1;
  }

  // Letters, digits, '_' and inner apostrophes ("don't"); non-ASCII letters too.
  size_t ScanWordChars(size_t j, size_t e, bool allow_apostrophe) {
    while (j < e) {
      auto uc = static_cast<unsigned char>(t_[j]);
      if (uc < 0x80) {
        if (IsAsciiWord(t_[j])) {
          ++j;
          continue;
        }
        if (allow_apostrophe && t_[j] == '\'' && j + 1 < e && IsAsciiLetter(t_[j + 1])) {
          ++j;
          continue;
        }
        break;
      }
      size_t len = 1;
      char32_t cp = DecodeAt(t_, j, &len);
      if (!IsWordCodePoint(cp)) break;
      j += len;
    }
    return j;
  }

  const NormalizedText& n_;
  std::string_view t_;
  const EmoticonSet& emoticons_;
  std::vector<Token>& out_;
};

}  // namespace

void Tokenize(const NormalizedText& n, const EmoticonSet& emoticons, std::vector<Token>& out) {
  TokenizerImpl(n, emoticons, out).Run();
}

}  // namespace carecast::common::text
