#include "services/common/repurpose/thread_splitter.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"
#include "services/common/networks/text_length.h"
#include "services/common/repurpose/text_scan.h"

namespace carecast::common::repurpose {
namespace {

using networks::NetworkRules;
using networks::TextUnit;

// How good a place to cut a break is.
enum class BreakLevel { kWord, kSentence };

// A place to cut: the post ends at `end`, the next starts at `next` (the
// spaces between are dropped).
struct Break {
  size_t end;
  size_t next;
  BreakLevel level;
};

std::string UnitText(const NetworkRules& rules) {
  switch (rules.text_unit) {
    case TextUnit::kCharacters:
      return "characters";
    case TextUnit::kXWeighted:
      return absl::StrCat("characters (links count ", networks::kLinkWeight,
                          ", CJK and emoji count 2)");
    case TextUnit::kMastodon:
      return absl::StrCat("characters (links count ", networks::kLinkWeight, ")");
    case TextUnit::kGraphemes:
      return "characters (counted as graphemes)";
    case TextUnit::kBytes:
      return "bytes";
  }
  return "units";
}

// Start of the code point that ends at `end` (end > 0).
size_t PreviousCodePoint(std::string_view s, size_t end) {
  size_t i = end - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

size_t NextCodePoint(std::string_view s, size_t i) {
  const size_t len = Utf8SequenceLength(s, i);
  return std::min(s.size(), i + (len == 0 ? 1 : len));
}

// True when text[left, right) splits into `clusters` grapheme clusters, i.e. a
// cut between its code points does not break a cluster.
bool ClustersAre(std::string_view text, size_t left, size_t right, size_t clusters) {
  return networks::GraphemeCount(text.substr(left, right - left)) == clusters;
}

bool EndsSentence(std::string_view text, size_t end) {
  size_t i = end;
  // Closing quotes and brackets after the full stop: `"Get vaccinated." Then`.
  while (i > 0) {
    const size_t cp = PreviousCodePoint(text, i);
    const std::string_view c = text.substr(cp, i - cp);
    if (c == "\"" || c == "'" || c == ")" || c == "]" || c == "\u201D" || c == "\u2019" ||
        c == "\u00BB") {
      i = cp;
      continue;
    }
    return c == "." || c == "!" || c == "?" || c == "\u2026" || c == "\u3002" || c == "\uFF01" ||
           c == "\uFF1F";
  }
  return false;
}

bool IsFullWidthStop(std::string_view c) { return c == "\u3002" || c == "\uFF01" || c == "\uFF1F"; }

// Every place the text may be cut outside a word, in order.
std::vector<Break> FindBreaks(std::string_view text) {
  std::vector<Break> breaks;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == '\n') {
      size_t e = i;
      bool line = false;
      while (e < text.size() && (text[e] == ' ' || text[e] == '\n')) line |= text[e++] == '\n';
      // Cutting drops the spaces: only when the code points on either side
      // are clusters of their own (not so before a combining mark).
      if (i > 0 && e < text.size() &&
          ClustersAre(text, PreviousCodePoint(text, i), NextCodePoint(text, e), e - i + 2)) {
        breaks.push_back(
            {i, e, line || EndsSentence(text, i) ? BreakLevel::kSentence : BreakLevel::kWord});
      }
      i = e;
      continue;
    }
    const size_t next = NextCodePoint(text, i);
    // CJK sentences end with a full-width stop and no space.
    if (next < text.size() && text[next] != ' ' && text[next] != '\n' &&
        IsFullWidthStop(text.substr(i, next - i)) &&
        ClustersAre(text, i, NextCodePoint(text, next), 2)) {
      breaks.push_back({next, next, BreakLevel::kSentence});
    }
    i = next;
  }
  return breaks;
}

// Links, hashtags, and words holding a mention or a domain: never cut inside.
std::vector<Span> ProtectedSpans(std::string_view text) {
  std::vector<Span> spans = FindLinks(text);
  const std::vector<Span> tags = FindHashtags(text);
  spans.insert(spans.end(), tags.begin(), tags.end());
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c <= ' ' || c >= 0x80) {
      ++i;
      continue;
    }
    size_t e = i;
    while (e < text.size() && static_cast<unsigned char>(text[e]) > ' ' &&
           static_cast<unsigned char>(text[e]) < 0x80) {
      ++e;
    }
    if (IsUnsplittable(text.substr(i, e - i))) spans.push_back({i, e});
    i = e;
  }
  return spans;
}

bool InsideAny(const std::vector<Span>& spans, size_t pos) {
  return std::any_of(spans.begin(), spans.end(),
                     [pos](const Span& s) { return s.begin < pos && pos < s.end; });
}

class Splitter {
 public:
  Splitter(std::string_view text, const NetworkRules& rules, size_t max_parts)
      : text_(text),
        rules_(rules),
        max_parts_(max_parts),
        breaks_(FindBreaks(text)),
        protected_(ProtectedSpans(text)) {}

  // The posts, without numbering, when each leaves room for a " k/n" of
  // `digits` digits each.
  absl::StatusOr<std::vector<std::string>> Split(size_t digits) const {
    const std::string suffix =
        absl::StrCat(" ", std::string(digits, '9'), "/", std::string(digits, '9'));
    std::vector<std::string> parts;
    size_t start = 0;
    while (start < text_.size()) {
      if (parts.size() == max_parts_) {
        return absl::FailedPreconditionError(absl::StrCat(
            AsAbsl(rules_.name), " allows ", rules_.max_text, " ", UnitText(rules_),
            " per post; this text needs more than ", max_parts_, " posts as a thread"));
      }
      std::optional<Break> cut = BestBreak(start, suffix);
      if (!cut.has_value()) cut = InsideWord(start, suffix);
      if (!cut.has_value()) {
        return absl::FailedPreconditionError(absl::StrCat(
            AsAbsl(rules_.name), " allows ", rules_.max_text, " ", UnitText(rules_),
            " per post; a link, hashtag, mention or domain in this text is longer and cannot be "
            "split"));
      }
      parts.emplace_back(text_.substr(start, cut->end - start));
      start = cut->next;
    }
    return parts;
  }

 private:
  bool Fits(size_t start, size_t end, const std::string& suffix) const {
    return FitsOnePost(rules_, absl::StrCat(AsAbsl(text_.substr(start, end - start)), suffix));
  }

  // The furthest break (or the end of the text) that fits, preferring a
  // sentence end when it keeps the post at least half as long; none when even
  // the first word does not fit.
  std::optional<Break> BestBreak(size_t start, const std::string& suffix) const {
    auto it = std::lower_bound(breaks_.begin(), breaks_.end(), start,
                               [](const Break& b, size_t pos) { return b.end <= pos; });
    std::optional<Break> any;
    std::optional<Break> sentence;
    while (true) {
      const Break b =
          it == breaks_.end() ? Break{text_.size(), text_.size(), BreakLevel::kSentence} : *it;
      // Lengths grow with each word, so the first that does not fit ends the search.
      if (!Fits(start, b.end, suffix)) break;
      any = b;
      if (b.level == BreakLevel::kSentence) sentence = b;
      if (it == breaks_.end()) return any;
      ++it;
    }
    if (!any.has_value() || !sentence.has_value() || sentence->end == any->end) return any;
    const size_t sentence_length =
        networks::TextLength(rules_, text_.substr(start, sentence->end - start));
    const size_t any_length = networks::TextLength(rules_, text_.substr(start, any->end - start));
    return sentence_length * 2 >= any_length ? sentence : any;
  }

  // The furthest grapheme-cluster boundary inside the word at `start` (up to
  // the next break) that fits and is not inside a protected span.
  std::optional<Break> InsideWord(size_t start, const std::string& suffix) const {
    auto it = std::lower_bound(breaks_.begin(), breaks_.end(), start,
                               [](const Break& b, size_t pos) { return b.end <= pos; });
    const size_t word_end = it == breaks_.end() ? text_.size() : it->end;
    std::optional<Break> best;
    size_t cluster_start = start;  // the last known boundary
    for (size_t i = NextCodePoint(text_, start); i < word_end; i = NextCodePoint(text_, i)) {
      // A boundary before the code point at i: it starts a cluster of its own
      // after the text since the last boundary.
      const size_t after = NextCodePoint(text_, i);
      if (networks::GraphemeCount(text_.substr(cluster_start, after - cluster_start)) ==
          networks::GraphemeCount(text_.substr(cluster_start, i - cluster_start))) {
        continue;
      }
      cluster_start = i;
      if (InsideAny(protected_, i)) continue;
      if (!Fits(start, i, suffix)) break;
      best = Break{i, i, BreakLevel::kWord};
    }
    return best;
  }

  std::string_view text_;
  const NetworkRules& rules_;
  size_t max_parts_;
  std::vector<Break> breaks_;
  std::vector<Span> protected_;
};

size_t Digits(size_t n) {
  size_t digits = 1;
  while (n >= 10) {
    n /= 10;
    ++digits;
  }
  return digits;
}

}  // namespace

bool FitsOnePost(const NetworkRules& rules, std::string_view text) {
  if (rules.max_text_bytes > 0 && text.size() > rules.max_text_bytes) return false;
  return rules.max_text == 0 || networks::TextLength(rules, text) <= rules.max_text;
}

absl::Status CheckLength(const NetworkRules& rules, std::string_view text) {
  if (rules.max_text > 0) {
    const size_t length = networks::TextLength(rules, text);
    if (length > rules.max_text) {
      return absl::FailedPreconditionError(absl::StrCat(AsAbsl(rules.name), " allows ",
                                                        rules.max_text, " ", UnitText(rules),
                                                        "; this text has ", length));
    }
  }
  if (rules.max_text_bytes > 0 && text.size() > rules.max_text_bytes) {
    return absl::FailedPreconditionError(
        absl::StrCat(AsAbsl(rules.name), " allows ", rules.max_text_bytes,
                     " bytes of text; this text has ", text.size()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> SplitIntoThread(std::string_view text,
                                                         const NetworkRules& rules,
                                                         size_t max_parts) {
  if (FitsOnePost(rules, text)) return std::vector<std::string>{std::string(text)};
  const Splitter splitter(text, rules, std::max<size_t>(max_parts, 1));
  // The numbering's width depends on how many posts there are: try one digit,
  // then more until the thread is short enough for its own numbering.
  for (size_t digits = 1;; ++digits) {
    absl::StatusOr<std::vector<std::string>> parts = splitter.Split(digits);
    if (!parts.ok()) return parts.status();
    const size_t n = parts->size();
    if (Digits(n) > digits) continue;
    for (size_t k = 0; k < n; ++k) absl::StrAppend(&(*parts)[k], " ", k + 1, "/", n);
    return parts;
  }
}

}  // namespace carecast::common::repurpose
