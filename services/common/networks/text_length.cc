// The one file of this module that includes utf8proc (grapheme clusters, NFC,
// character categories).
#include "services/common/networks/text_length.h"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include <re2/re2.h>

#include "services/common/base/utf8.h"

namespace carecast::common::networks {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes the code point at s[*i] and advances *i; an invalid byte reads as
// U+FFFD and advances one byte.
char32_t Next(std::string_view s, size_t* i) {
  const size_t len = Utf8SequenceLength(s, *i);
  auto b = [&](size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[*i + k])); };
  char32_t cp = kReplacement;
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
    case 4:
      cp = ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
      break;
    default:
      break;
  }
  *i += len == 0 ? 1 : len;
  return cp;
}

int BoundClass(char32_t cp) {
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(cp))->boundclass;
}

// Calls f(cluster) for each extended grapheme cluster of `s`, in order.
template <class F>
void ForEachGrapheme(std::string_view s, F&& f) {
  size_t begin = 0;
  size_t i = 0;
  utf8proc_int32_t state = 0;
  char32_t previous = 0;
  bool first = true;
  while (i < s.size()) {
    const size_t at = i;
    const char32_t cp = Next(s, &i);
    if (!first && utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(previous),
                                                   static_cast<utf8proc_int32_t>(cp), &state)) {
      f(s.substr(begin, at - begin));
      begin = at;
    }
    first = false;
    previous = cp;
  }
  if (begin < s.size()) f(s.substr(begin));
}

size_t XCodePointWeight(char32_t cp) {
  const bool light = cp <= 0x10FF || (cp >= 0x2000 && cp <= 0x200D) ||
                     (cp >= 0x2010 && cp <= 0x201F) || (cp >= 0x2032 && cp <= 0x2037);
  return light ? 1 : 2;
}

// twitter-text counts a whole emoji sequence as 2; a cluster is taken for an
// emoji when it starts with a pictographic or regional-indicator code point or
// carries an emoji presentation selector or keycap mark.
bool IsEmojiCluster(std::string_view cluster) {
  size_t i = 0;
  bool first = true;
  while (i < cluster.size()) {
    const char32_t cp = Next(cluster, &i);
    if (first) {
      switch (BoundClass(cp)) {
        case UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC:
        case UTF8PROC_BOUNDCLASS_E_BASE:
        case UTF8PROC_BOUNDCLASS_E_BASE_GAZ:
        case UTF8PROC_BOUNDCLASS_E_ZWG:
        case UTF8PROC_BOUNDCLASS_REGIONAL_INDICATOR:
          return true;
        default:
          break;
      }
    }
    first = false;
    if (cp == 0xFE0F || cp == 0x20E3) return true;
  }
  return false;
}

// Weight of text with no URL in it, cluster by cluster. An emoji cluster costs
// 2, but never more than its code points would (so "©" stays 1).
size_t XPlainWeight(std::string_view s) {
  size_t weight = 0;
  ForEachGrapheme(s, [&](std::string_view cluster) {
    size_t sum = 0;
    for (size_t i = 0; i < cluster.size();) sum += XCodePointWeight(Next(cluster, &i));
    weight += IsEmojiCluster(cluster) ? std::min<size_t>(sum, 2) : sum;
  });
  return weight;
}

// Trailing characters that end a sentence rather than a URL.
bool IsTrailingPunctuation(char c) {
  return std::string_view(".,:;!?'\")]}>").find(c) != std::string_view::npos;
}

// Finds the next http(s) URL in text[pos..]: its [begin, end) with trailing
// punctuation left out; false when there is none.
bool NextSchemeUrl(std::string_view text, size_t pos, size_t* begin, size_t* end) {
  static const RE2 kUrl(R"((?i)https?://[^\s<>"]+)");
  re2::StringPiece input(text.data(), text.size());
  re2::StringPiece match;
  while (pos < text.size() && kUrl.Match(input, pos, text.size(), RE2::UNANCHORED, &match, 1)) {
    *begin = static_cast<size_t>(match.data() - text.data());
    *end = *begin + match.size();
    while (*end > *begin && IsTrailingPunctuation(text[*end - 1])) --*end;
    // "https://" alone, or followed only by punctuation, is not a link.
    if (text.substr(*begin, *end - *begin).find("//") + 2 < *end - *begin) return true;
    pos = *begin + match.size();
  }
  return false;
}

// Top-level domains X links without a scheme that people actually write in
// posts; two-letter country codes are matched separately (see IsBareDomain).
bool IsCommonTld(std::string_view tld) {
  static constexpr std::array<std::string_view, 33> kTlds = {
      "com",    "org",      "net", "edu", "gov", "mil",  "int",    "info", "biz",  "health", "care",
      "clinic", "hospital", "app", "dev", "io",  "co",   "ly",     "uk",   "ca",   "au",     "nz",
      "ie",     "de",       "fr",  "es",  "nl",  "news", "online", "site", "blog", "link",   "tv"};
  std::string lower = absl::AsciiStrToLower(absl::string_view(tld.data(), tld.size()));
  return std::find(kTlds.begin(), kTlds.end(), lower) != kTlds.end();
}

bool IsAsciiAlnum(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }

// "stmarys.org", "www.stmarys.org/flu", "nhs.uk"; "e.g" or "St.Mary's" are not.
// A two-letter TLD outside the common list counts only with a path after it,
// so "Call us.Me" is text.
bool IsBareDomain(std::string_view token) {
  const size_t host_end = std::min(token.find_first_of("/?#:"), token.size());
  const std::string_view host = token.substr(0, host_end);
  const bool has_path = host_end < token.size() && token[host_end] == '/';
  const size_t dot = host.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  const std::string_view tld = host.substr(dot + 1);
  if (tld.size() < 2 || !std::all_of(tld.begin(), tld.end(), [](char c) {
        return absl::ascii_isalpha(static_cast<unsigned char>(c));
      })) {
    return false;
  }
  // Every label: [a-z0-9-]+, not starting or ending with '-'.
  size_t label_begin = 0;
  for (size_t i = 0; i <= dot; ++i) {
    if (i == dot || host[i] == '.') {
      if (i == label_begin || host[label_begin] == '-' || host[i - 1] == '-') return false;
      label_begin = i + 1;
    } else if (!IsAsciiAlnum(host[i]) && host[i] != '-') {
      return false;
    }
  }
  return IsCommonTld(tld) || (tld.size() == 2 && has_path);
}

bool IsLeadingPunctuation(char c) {
  return std::string_view("\"'([{<").find(c) != std::string_view::npos;
}

// Weight of a stretch with no scheme URL: words that are bare domains cost at
// least kLinkWeight, the rest as plain text.
size_t XSegmentWeight(std::string_view s) {
  size_t weight = 0;
  size_t i = 0;
  while (i < s.size()) {
    const size_t word_end = std::min(s.find_first_of(" \t\r\n", i), s.size());
    if (word_end == i) {
      weight += 1;  // one ASCII space or line break
      ++i;
      continue;
    }
    std::string_view word = s.substr(i, word_end - i);
    size_t lead = 0;
    while (lead < word.size() && IsLeadingPunctuation(word[lead])) ++lead;
    size_t trail = word.size();
    while (trail > lead && IsTrailingPunctuation(word[trail - 1])) --trail;
    const std::string_view core = word.substr(lead, trail - lead);
    if (!core.empty() && core.find('@') == std::string_view::npos && IsBareDomain(core)) {
      weight += XPlainWeight(word.substr(0, lead)) + std::max(XPlainWeight(core), kLinkWeight) +
                XPlainWeight(word.substr(trail));
    } else {
      weight += XPlainWeight(word);
    }
    i = word_end;
  }
  return weight;
}

// NFC form of `text`, or `text` itself when utf8proc refuses it.
std::string Nfc(std::string_view text) {
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                   static_cast<utf8proc_ssize_t>(text.size()), &out,
                   static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  std::string result = n < 0 ? std::string(text) : std::string(reinterpret_cast<char*>(out), n);
  std::free(out);
  return result;
}

bool IsAsciiWord(char c) { return IsAsciiAlnum(c) || c == '_'; }

// End of `\w+([.-]+\w+)*` (ASCII word characters) starting at s[pos]; pos when
// there is none.
size_t DottedWordEnd(std::string_view s, size_t pos) {
  size_t end = pos;
  while (end < s.size() && IsAsciiWord(s[end])) ++end;
  if (end == pos) return pos;
  while (true) {
    size_t sep = end;
    while (sep < s.size() && (s[sep] == '.' || s[sep] == '-')) ++sep;
    if (sep == end) return end;
    size_t word = sep;
    while (word < s.size() && IsAsciiWord(s[word])) ++word;
    if (word == sep) return end;
    end = word;
  }
}

// Appends `s` to `out` with every remote mention "@user@domain" shortened to
// "@user", as Mastodon's Account::MENTION_RE substitution does.
void AppendWithShortMentions(std::string_view s, std::string* out) {
  size_t i = 0;
  while (i < s.size()) {
    const size_t at = s.find('@', i);
    if (at == std::string_view::npos) break;
    out->append(s.substr(i, at - i));
    i = at + 1;
    const bool boundary =
        at == 0 || !(IsAsciiWord(s[at - 1]) || s[at - 1] == '=' || s[at - 1] == '/' ||
                     static_cast<unsigned char>(s[at - 1]) >= 0x80);
    const size_t user_end = boundary ? DottedWordEnd(s, at + 1) : at + 1;
    if (user_end == at + 1) {
      out->push_back('@');
      continue;
    }
    size_t end = user_end;
    if (user_end < s.size() && s[user_end] == '@') {
      const size_t domain_end = DottedWordEnd(s, user_end + 1);
      if (domain_end > user_end + 1) end = domain_end;
    }
    out->append(s.substr(at, user_end - at));
    i = end;
  }
  if (i < s.size()) out->append(s.substr(i));
}

bool IsWordCodePoint(char32_t cp) {
  if (cp == '_') return true;
  if (cp > 0x10FFFF) return false;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

}  // namespace

size_t GraphemeCount(std::string_view text) {
  size_t count = 0;
  ForEachGrapheme(text, [&](std::string_view) { ++count; });
  return count;
}

size_t XWeightedLength(std::string_view text) {
  const std::string normal = Nfc(text);
  const std::string_view s = normal;
  size_t weight = 0;
  size_t pos = 0;
  size_t begin = 0;
  size_t end = 0;
  while (NextSchemeUrl(s, pos, &begin, &end)) {
    weight += XSegmentWeight(s.substr(pos, begin - pos)) + kLinkWeight;
    pos = end;
  }
  return weight + XSegmentWeight(s.substr(pos));
}

size_t MastodonLength(std::string_view text) {
  std::string countable;
  countable.reserve(text.size());
  size_t pos = 0;
  size_t begin = 0;
  size_t end = 0;
  while (NextSchemeUrl(text, pos, &begin, &end)) {
    AppendWithShortMentions(text.substr(pos, begin - pos), &countable);
    countable.append(kLinkWeight, 'x');
    pos = end;
  }
  AppendWithShortMentions(text.substr(pos), &countable);
  return GraphemeCount(countable);
}

size_t HashtagCount(std::string_view text) {
  size_t count = 0;
  char32_t previous = 0;
  bool at_start = true;
  for (size_t i = 0; i < text.size();) {
    const char32_t cp = Next(text, &i);
    if (cp == '#' && (at_start || (!IsWordCodePoint(previous) && previous != '&')) &&
        i < text.size()) {
      size_t peek = i;
      if (IsWordCodePoint(Next(text, &peek))) ++count;
    }
    previous = cp;
    at_start = false;
  }
  return count;
}

}  // namespace carecast::common::networks
