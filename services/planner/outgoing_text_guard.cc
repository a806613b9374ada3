#include "services/planner/outgoing_text_guard.h"

#include <re2/re2.h>

#include <algorithm>
#include <string>

namespace carecast::planner {
namespace {

using carecast::v1::GuardFinding;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

int CountDigits(std::string_view s) {
  return static_cast<int>(std::count_if(s.begin(), s.end(), IsDigit));
}

// Calls `on_match(begin, end)` for every non-overlapping match of `re` in `text`
// whose neighbours pass `boundary_ok`; a match rejected at its edges is retried
// one byte further so that "x5551234567" cannot hide "5551234567" forever.
template <class OnMatch>
void ForEachMatch(const RE2& re, std::string_view text, bool alnum_boundaries, OnMatch&& on_match) {
  re2::StringPiece input(text.data(), text.size());
  size_t pos = 0;
  re2::StringPiece match;
  while (pos <= text.size() && re.Match(input, pos, text.size(), RE2::UNANCHORED, &match, 1)) {
    size_t begin = static_cast<size_t>(match.data() - text.data());
    size_t end = begin + match.size();
    if (match.empty()) {
      pos = begin + 1;
      continue;
    }
    bool ok = true;
    if (alnum_boundaries) {
      if (begin > 0 && IsAsciiAlnum(text[begin - 1])) ok = false;
      if (end < text.size() && IsAsciiAlnum(text[end])) ok = false;
    }
    if (ok) {
      on_match(begin, end);
      pos = end;
    } else {
      pos = begin + 1;
    }
  }
}

GuardFinding Finding(std::string_view kind, size_t begin, size_t end, std::string_view reason) {
  GuardFinding f;
  f.set_kind(std::string(kind));
  f.set_begin(static_cast<int32_t>(begin));
  f.set_end(static_cast<int32_t>(end));
  f.set_reason(std::string(reason));
  return f;
}

bool Overlaps(const std::vector<GuardFinding>& found, size_t begin, size_t end) {
  for (const auto& f : found) {
    if (static_cast<size_t>(f.begin()) < end && begin < static_cast<size_t>(f.end())) return true;
  }
  return false;
}

}  // namespace

struct PatternGuard::Patterns {
  // North American: optional +1 / 1 prefix, area code with or without
  // parentheses, then 3 and 4 digits, each group optionally separated.
  RE2 nanp{R"((?:\+?1[ .\-]?)?(?:\(\d{3}\)[ .\-]?|\d{3}[ .\-]?)\d{3}[ .\-]?\d{4})"};
  // International: "+" country code then groups; digit count checked in code.
  RE2 international{R"(\+\d{1,3}(?:[ .\-]?\(?\d{1,5}\)?){2,6})"};
  RE2 email{R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})"};
  // A record keyword followed by an identifier that holds at least one digit.
  RE2 record{
      R"((?i)(?:\bmrn|\bmedical\s+record(?:\s+(?:number|no\.?|#))?|\brecord\s*(?:#|no\.?|number|num\.?)|\bacct\.?|\baccount\s*(?:#|no\.?|number|num\.?)|\bpatient\s*(?:id|#|no\.?|number)|\bchart\s*(?:#|no\.?|number))\s*[:#]?\s*([A-Za-z]{0,4}[\-]?\d[A-Za-z0-9\-]{2,}))"};
  // A keyword and, within a few words, a long digit run.
  RE2 record_near{
      R"((?i)\b(?:mrn|record|records|acct|account|patient|chart)\b(?:\W+\w+){0,4}?\W+(\d{6,}))"};
  RE2 ssn{R"(\d{3}-\d{2}-\d{4})"};
};

PatternGuard::PatternGuard() : patterns_(std::make_unique<Patterns>()) {}
PatternGuard::~PatternGuard() = default;

std::vector<GuardFinding> PatternGuard::Check(std::string_view text) const {
  std::vector<GuardFinding> found;
  const Patterns& p = *patterns_;

  ForEachMatch(p.email, text, false, [&](size_t b, size_t e) {
    found.push_back(Finding("email_address", b, e,
                            "looks like an e-mail address; posts must not carry personal "
                            "contact details"));
  });
  ForEachMatch(p.ssn, text, true, [&](size_t b, size_t e) {
    if (Overlaps(found, b, e)) return;
    found.push_back(Finding("national_id", b, e, "looks like a social security number"));
  });
  // Record numbers before phones so "MRN 5551234567" is reported as a record.
  {
    re2::StringPiece input(text.data(), text.size());
    re2::StringPiece groups[2];
    size_t pos = 0;
    for (const RE2* re : {&p.record, &p.record_near}) {
      pos = 0;
      while (pos < text.size() && re->Match(input, pos, text.size(), RE2::UNANCHORED, groups, 2)) {
        size_t b = static_cast<size_t>(groups[1].data() - text.data());
        size_t e = b + groups[1].size();
        size_t whole_end = static_cast<size_t>(groups[0].data() - text.data()) + groups[0].size();
        if (!Overlaps(found, b, e)) {
          found.push_back(
              Finding("record_number", b, e, "looks like a medical record or account number"));
        }
        pos = std::max(whole_end, pos + 1);
      }
    }
  }
  ForEachMatch(p.nanp, text, true, [&](size_t b, size_t e) {
    if (Overlaps(found, b, e)) return;
    found.push_back(Finding("phone_number", b, e,
                            "looks like a phone number; posts must not carry personal "
                            "contact details"));
  });
  ForEachMatch(p.international, text, true, [&](size_t b, size_t e) {
    if (Overlaps(found, b, e)) return;
    int digits = CountDigits(text.substr(b, e - b));
    if (digits < 8 || digits > 15) return;
    found.push_back(Finding("phone_number", b, e,
                            "looks like an international phone number; posts must not carry "
                            "personal contact details"));
  });
  std::sort(found.begin(), found.end(),
            [](const GuardFinding& a, const GuardFinding& b) { return a.begin() < b.begin(); });
  return found;
}

}  // namespace carecast::planner
