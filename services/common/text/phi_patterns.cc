// Pattern-shaped PHI: e-mail, links, IPv6/MAC, dates with month names, street
// addresses. RE2 only (linear time), and each pattern runs only when a cheap
// prefilter (a phrase hit or a character) says it can match.
#include "services/common/text/phi_patterns.h"

#include <string>

#include <re2/re2.h>

#include "services/common/text/phi_context.h"
#include "services/common/text/word_set.h"

namespace carecast::common::text {

namespace phi {
namespace {

bool IsEmailLocal(char c) {
  return IsAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
bool IsDomain(char c) { return IsAlnum(c) || c == '.' || c == '-'; }

void DetectEmails(Context& c) {
  std::string_view t = c.t;
  size_t at = t.find('@');
  while (at != std::string_view::npos) {
    size_t b = at;
    while (b > 0 && IsEmailLocal(t[b - 1]) && at - b < 64) --b;
    size_t e = at + 1;
    while (e < t.size() && IsDomain(t[e]) && e - at < 256) ++e;
    while (e > at + 1 && (t[e - 1] == '.' || t[e - 1] == '-')) --e;
    std::string_view domain = t.substr(at + 1, e - at - 1);
    size_t dot = domain.rfind('.');
    bool ok = b < at && dot != std::string_view::npos && dot > 0 && domain.size() - dot - 1 >= 2;
    if (ok) {
      for (size_t k = dot + 1; k < domain.size(); ++k) ok = ok && IsLetter(domain[k]);
    }
    if (ok) c.Add(PhiKind::kEmail, b, e, 0.95, "e-mail address");
    at = t.find('@', at + 1);
  }
}

void DetectLinks(Context& c) {
  static constexpr std::string_view kProfileHosts[] = {
      "facebook.com/", "fb.com/",           "instagram.com/",   "twitter.com/",
      "x.com/",        "tiktok.com/@",      "linkedin.com/in/", "youtube.com/@",
      "threads.net/@", "snapchat.com/add/", "venmo.com/",       "gofundme.com/",
      "reddit.com/u/", "reddit.com/user/",  "cash.app/",        "paypal.me/"};
  for (const Token& tok : c.tokens) {
    if (tok.kind != TokenKind::kUrl) continue;
    std::string_view url = TokenText(c.n, tok);
    bool profile = false;
    for (std::string_view host : kProfileHosts) {
      size_t p = url.find(host);
      if (p != std::string_view::npos && p + host.size() < url.size() &&
          (p == 0 || !IsLetter(url[p - 1]))) {
        profile = true;
      }
    }
    if (profile)
      c.Add(PhiKind::kUrl, tok.begin, tok.end, 0.85, "link to a personal profile or page");
    else
      c.Add(PhiKind::kUrl, tok.begin, tok.end, 0.3, "link");
  }
}

template <typename F>
void ForEachMatch(const re2::RE2& re, std::string_view t, int groups, F&& f) {
  re2::StringPiece text(t.data(), t.size());
  std::vector<re2::StringPiece> sub(static_cast<size_t>(groups) + 1);
  size_t pos = 0;
  while (pos <= t.size() &&
         re.Match(text, pos, t.size(), re2::RE2::UNANCHORED, sub.data(), groups + 1)) {
    size_t b = static_cast<size_t>(sub[0].data() - t.data());
    size_t e = b + sub[0].size();
    f(b, e, sub);
    pos = e > b ? e : b + 1;
  }
}

bool IsStopword(std::string_view w) {
  static constexpr std::string_view kStop[] = {
      "the",   "a",      "an",     "on",       "in",     "to",      "of",      "for",
      "and",   "or",     "my",     "your",     "our",    "their",   "his",     "her",
      "at",    "by",     "with",   "from",     "this",   "that",    "is",      "was",
      "are",   "were",   "be",     "it",       "we",     "i",       "you",     "they",
      "all",   "some",   "more",   "hours",    "hour",   "minutes", "mins",    "days",
      "weeks", "times",  "people", "patients", "nurses", "doctors", "years",   "months",
      "miles", "blocks", "kids",   "steps",    "ways",   "things",  "reasons", "out",
      "down",  "up",     "into",   "just",     "only",   "been",    "have",    "had"};
  static const WordSet set(kStop);
  return set.contains(w);
}

void DetectAddresses(Context& c, const PhiDetector::Patterns& p) {
  if (c.hits.of(PhraseList::kStreetSuffix).empty()) return;
  ForEachMatch(p.street, c.t, 1, [&](size_t b, size_t e, const std::vector<re2::StringPiece>& sub) {
    std::string_view middle(sub[1].data(), sub[1].size());
    size_t start = 0;
    while (start < middle.size()) {
      size_t sp = middle.find(' ', start);
      if (sp == std::string_view::npos) sp = middle.size();
      if (IsStopword(middle.substr(start, sp - start))) return;
      start = sp + 1;
    }
    if (b > 0 && c.t[b - 1] == '$') return;
    c.Add(PhiKind::kStreetAddress, b, e, 0.85, "street address");
  });
  if (c.t.find("box") != std::string_view::npos) {
    ForEachMatch(p.po_box, c.t, 0, [&](size_t b, size_t e, const std::vector<re2::StringPiece>&) {
      c.Add(PhiKind::kStreetAddress, b, e, 0.85, "post office box");
    });
  }
}

void DetectMonthDates(Context& c, const PhiDetector::Patterns& p) {
  if (c.hits.of(PhraseList::kMonth).empty()) return;
  auto add = [&](size_t b, size_t e, const std::vector<re2::StringPiece>& sub) {
    int day = 0;
    for (char ch : std::string_view(sub[1].data(), sub[1].size())) day = day * 10 + (ch - '0');
    if (day < 1 || day > 31) return;
    double conf = c.BirthInSentence(b) ? 0.95 : c.PersonInSentence(b) ? 0.85 : 0.4;
    c.Add(PhiKind::kDate, b, e, conf, conf >= 0.85 ? "date near a person" : "date");
  };
  ForEachMatch(p.month_first, c.t, 1, add);
  ForEachMatch(p.day_first, c.t, 1, add);
}

void DetectMachineIds(Context& c, const PhiDetector::Patterns& p) {
  size_t colons = 0, dashes = 0;
  for (char ch : c.t) {
    colons += ch == ':';
    dashes += ch == '-';
  }
  if (colons >= 5 || dashes >= 5) {
    ForEachMatch(p.mac, c.t, 0, [&](size_t b, size_t e, const std::vector<re2::StringPiece>&) {
      c.Add(PhiKind::kDeviceId, b, e, 0.9, "MAC address");
    });
  }
  if (colons >= 3) {
    ForEachMatch(p.ipv6, c.t, 0, [&](size_t b, size_t e, const std::vector<re2::StringPiece>& sub) {
      std::string_view m(sub[0].data(), sub[0].size());
      bool hex_letter = false;
      int colons_in = 0;
      for (char ch : m) {
        hex_letter = hex_letter || IsLetter(ch);
        colons_in += ch == ':';
      }
      // "10:30:45" is a time, not an address.
      if (hex_letter || colons_in >= 4 || m.find("::") != std::string_view::npos) {
        c.Add(PhiKind::kIpAddress, b, e, 0.85, "IPv6 address");
      }
    });
  }
}

}  // namespace

void DetectPatterns(Context& c, const PhiDetector::Patterns& p) {
  DetectEmails(c);
  if (c.t.find(" at ") != std::string_view::npos || c.t.find("(at)") != std::string_view::npos ||
      c.t.find("[at]") != std::string_view::npos) {
    ForEachMatch(p.obfuscated_email, c.t, 0,
                 [&](size_t b, size_t e, const std::vector<re2::StringPiece>&) {
                   c.Add(PhiKind::kEmail, b, e, 0.85, "spelled-out e-mail address");
                 });
  }
  DetectLinks(c);
  DetectMachineIds(c, p);
  DetectMonthDates(c, p);
  DetectAddresses(c, p);
}

}  // namespace phi
}  // namespace carecast::common::text
