#include "services/common/text/spam_scorer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "services/common/base/strings.h"

namespace carecast::common::text {
namespace {

constexpr std::string_view kShorteners[] = {"bit.ly/", "tinyurl.com/", "goo.gl/",  "ow.ly/",
                                            "is.gd/",  "buff.ly/",     "cutt.ly/", "rebrand.ly/",
                                            "t.ly/",   "shorturl.at/", "rb.gy/",   "tiny.cc/"};

}  // namespace

SpamResult ScoreSpam(const NormalizedText& n, const std::vector<Token>& tokens,
                     const PhraseHits& hits, const PhraseIndex& index) {
  SpamResult r;
  double sum = 0;
  auto add = [&](double w, std::string what) {
    sum += w;
    r.reasons.push_back(absl::StrFormat("%s (+%.2f)", what, w));
  };
  int links = 0, short_links = 0, hashtags = 0, handles = 0, emoji = 0, words = 0, caps = 0,
      money = 0;
  for (const Token& t : tokens) {
    switch (t.kind) {
      case TokenKind::kUrl: {
        ++links;
        std::string_view u = TokenText(n, t);
        for (std::string_view s : kShorteners) {
          if (u.find(s) != std::string_view::npos) {
            ++short_links;
            break;
          }
        }
        break;
      }
      case TokenKind::kHashtag:
        ++hashtags;
        break;
      case TokenKind::kHandle:
        ++handles;
        break;
      case TokenKind::kEmoji:
        ++emoji;
        break;
      case TokenKind::kWord:
        ++words;
        if (t.all_caps) ++caps;
        break;
      case TokenKind::kNumber:
        if (t.begin > 0 && (n.text[t.begin - 1] == '$')) ++money;
        break;
      case TokenKind::kEmail:
      case TokenKind::kEmoticon:
      case TokenKind::kPunct:
        break;
    }
  }
  if (links >= 3)
    add(0.45, absl::StrCat(links, " links"));
  else if (links == 2)
    add(0.25, "2 links");
  if (short_links > 0) add(0.2, "link shortener");
  if (links > 0 && words <= 3) add(0.25, "almost only a link");
  if (hashtags >= 6) add(0.25, absl::StrCat(hashtags, " hashtags"));
  if (handles >= 5) add(0.25, absl::StrCat(handles, " @mentions"));
  if (emoji >= 8) add(0.15, absl::StrCat(emoji, " emoji"));
  if (words >= 5 && caps * 10 >= words * 6) add(0.15, "mostly capitals");
  if (money > 0) add(0.1, "money amount");
  int phrase_count = 0;
  std::vector<std::string_view> seen;
  for (const PhraseHit& h : hits.of(PhraseList::kSpam)) {
    std::string_view p = index.phrase(h.entry);
    if (std::find(seen.begin(), seen.end(), p) != seen.end()) continue;
    seen.push_back(p);
    if (++phrase_count > 3) break;
    add(0.3, absl::StrCat("spam phrase: ", AsAbsl(p)));
  }
  if (n.zero_width + n.homoglyphs + n.digit_lookalikes > 0)
    add(0.2, "hidden or look-alike characters");
  // The same character five or more times in a row ("freeeeee", "!!!!!!!!").
  int run = 1;
  for (size_t i = 1; i < n.text.size(); ++i) {
    run = n.text[i] == n.text[i - 1] && n.text[i] != ' ' ? run + 1 : 1;
    if (run == 6) {
      add(0.1, "long repeated character run");
      break;
    }
  }
  r.score = std::min(1.0, sum);
  return r;
}

}  // namespace carecast::common::text
