// Numbers in text: phones, faxes, SSNs, cards, dates, IPs, ZIP codes, ages over
// 89, and identifiers announced by a context word ("MRN 12345678").
#include <string>

#include "services/common/text/phi_context.h"
#include "services/common/text/validators.h"

namespace carecast::common::text::phi {
namespace {

constexpr size_t kMaxDigits = 64;

struct NumberRun {
  size_t begin = 0;  // includes a leading '(' or '+'
  size_t end = 0;
  std::string digits;  // at most kMaxDigits kept
  size_t total_digits = 0;
  std::vector<int> groups;
  std::vector<std::string_view> seps;
  bool plus = false;
  bool money = false;
};

bool AllSeps(const NumberRun& r, std::string_view allowed) {
  if (r.seps.empty()) return false;
  std::string_view first = r.seps[0];
  for (std::string_view s : r.seps) {
    if (s != first || s.size() != 1 || allowed.find(s[0]) == std::string_view::npos) return false;
  }
  return true;
}

int GroupValue(const NumberRun& r, size_t g) {
  size_t off = 0;
  for (size_t i = 0; i < g; ++i) off += static_cast<size_t>(r.groups[i]);
  int v = 0;
  for (int i = 0; i < r.groups[g] && i < 9 && off + static_cast<size_t>(i) < r.digits.size(); ++i) {
    v = v * 10 + (r.digits[off + static_cast<size_t>(i)] - '0');
  }
  return v;
}

bool ValidSeparator(std::string_view s) {
  return s == "-" || s == "." || s == " " || s == "/" || s == ")" || s == ") " || s == ")-" ||
         s == " (" || s == " - " || s == " . " || s == " / " || s == ",";
}

bool IsStateAbbreviation(std::string_view w) {
  static constexpr std::string_view kStates =
      " al ak az ar ca co ct de fl ga hi id il in ia ks ky la me md ma mi mn ms mo mt ne nv nh nj "
      "nm ny nc "
      "nd oh ok or pa ri sc sd tn tx ut vt va wa wv wi wy dc pr ";
  if (w.size() != 2) return false;
  std::string key = " ";
  key.append(w);
  key.push_back(' ');
  return kStates.find(key) != std::string_view::npos;
}

bool IsStateName(std::string_view w) {
  static constexpr std::string_view kNames[] = {
      "alabama",     "alaska",       "arizona",       "arkansas",  "california", "colorado",
      "connecticut", "delaware",     "florida",       "georgia",   "hawaii",     "idaho",
      "illinois",    "indiana",      "iowa",          "kansas",    "kentucky",   "louisiana",
      "maine",       "maryland",     "massachusetts", "michigan",  "minnesota",  "mississippi",
      "missouri",    "montana",      "nebraska",      "nevada",    "hampshire",  "jersey",
      "mexico",      "york",         "carolina",      "dakota",    "ohio",       "oklahoma",
      "oregon",      "pennsylvania", "island",        "tennessee", "texas",      "utah",
      "vermont",     "virginia",     "washington",    "wisconsin", "wyoming"};
  for (std::string_view s : kNames) {
    if (s == w) return true;
  }
  return false;
}

// The word ending at `pos` (after skipping spaces and commas), and whether its
// letters were uppercase in the input.
std::string_view WordBefore(const Context& c, size_t pos, bool* upper) {
  size_t e = c.SkipBack(pos, ",");
  size_t b = e;
  while (b > 0 && IsLetter(c.t[b - 1])) --b;
  *upper = b < e && c.n.IsUpper(b) && c.n.IsUpper(e - 1);
  return c.t.substr(b, e - b);
}

bool ZipContext(const Context& c, size_t begin) {
  if (c.IdContextBefore(PhiKind::kZipCode, begin, 16)) return true;
  bool upper = false;
  std::string_view w = WordBefore(c, begin, &upper);
  if (IsStateName(w)) return true;
  if (IsStateAbbreviation(w) && upper) return true;
  // Right after a street address ("12 Oak St, Springfield 62704").
  for (const PhiFinding& f : c.out) {
    if (f.kind == PhiKind::kStreetAddress && f.end <= begin && begin - f.end <= 40) return true;
  }
  return false;
}

bool StartsWithAt(std::string_view t, size_t pos, std::string_view s) {
  return t.substr(pos, s.size()) == s;
}

// "92 years old", "92-year-old", "92yo", "aged 92", "turned 92", "she is 92".
bool AgeContext(const Context& c, const NumberRun& r) {
  std::string_view t = c.t;
  size_t p = r.end;
  while (p < t.size() && IsLetter(t[p])) ++p;  // "92nd", "92yo"
  std::string_view suffix = t.substr(r.end, p - r.end);
  if (suffix == "yo" || suffix == "yrs" || suffix == "yr" || suffix == "y") return true;
  size_t q = p;
  while (q < t.size() && (t[q] == ' ' || t[q] == '-')) ++q;
  for (std::string_view w : {"year", "yr", "yo", "y/o", "y.o", "birthday", "bday", "yrs"}) {
    if (StartsWithAt(t, q, w)) return true;
  }
  bool upper = false;
  std::string_view before = WordBefore(c, r.begin, &upper);
  if (before == "age" || before == "aged" || before == "turned" || before == "turning" ||
      before == "im" || before == "am" || before == "ages") {
    return true;
  }
  if (before == "m") {  // "i'm 92" tokenises as "i" "'" "m"
    return true;
  }
  if (before == "is" || before == "was") {
    size_t b = c.SkipBack(r.begin, ",");
    b = b >= before.size() ? b - before.size() : 0;
    uint16_t f = c.FlagsBefore(b, ",");
    return (f & (kEndRelation | kEndThird)) != 0;
  }
  return false;
}

// "call us at", "our patient relations line", "the front desk on": a number the
// hospital publishes, not a person's (clinic numbers are hard negatives).
bool OrganisationNumber(const Context& c, size_t begin) {
  static constexpr std::string_view kCues[] = {
      "call us",         "text us",    "reach us",   "us at",          "us on",
      "our main",        "our office", "our clinic", "our line",       "line at",
      "line on",         "line is",    "hotline",    "helpline",       "switchboard",
      "front desk",      "reception",  "nurse line", "relations line", "appointment line",
      "scheduling line", "main number"};
  size_t from = begin > 40 ? begin - 40 : 0;
  std::string_view window = c.t.substr(from, begin - from);
  for (std::string_view cue : kCues) {
    if (window.find(cue) != std::string_view::npos) return true;
  }
  return false;
}

void Classify(Context& c, const NumberRun& r) {
  const size_t nd = r.digits.size();
  const size_t ng = r.groups.size();
  std::string_view t = c.t;
  if (r.money || (r.end < t.size() && t[r.end] == '%')) return;
  if (r.total_digits != r.digits.size()) return;  // hundreds of digits: not an identifier shape
  bool thousands = false;
  for (std::string_view s : r.seps) {
    if (s == ",") thousands = true;
  }
  if (thousands) return;  // "1,250 patients"
  auto g = [&](size_t i) { return r.groups[i]; };
  // IP address.
  if (ng == 4 && AllSeps(r, ".") && g(0) <= 3 && g(1) <= 3 && g(2) <= 3 && g(3) <= 3) {
    bool ok = true;
    for (size_t i = 0; i < 4; ++i) ok = ok && GroupValue(r, i) <= 255;
    if (ok) c.Add(PhiKind::kIpAddress, r.begin, r.end, 0.9, "IPv4 address");
    return;
  }
  // SSN: 3-2-4.
  if (ng == 3 && g(0) == 3 && g(1) == 2 && g(2) == 4 && AllSeps(r, "- .")) {
    if (SsnValid(r.digits))
      c.Add(PhiKind::kSsn, r.begin, r.end, 0.95, "SSN pattern with valid area/group/serial");
    else if (r.digits[0] == '9')
      c.Add(PhiKind::kSsn, r.begin, r.end, 0.8, "ITIN-shaped number");
    else
      c.Add(PhiKind::kSsn, r.begin, r.end, 0.6, "SSN-shaped number");
    return;
  }
  // Full dates: m/d/y, d/m/y, y-m-d.
  if (ng == 3 && AllSeps(r, "/-.")) {
    int a = GroupValue(r, 0), b = GroupValue(r, 1);
    bool ymd = g(0) == 4 && g(1) <= 2 && g(2) <= 2 && b >= 1 && b <= 12;
    bool mdy =
        g(0) <= 2 && g(1) <= 2 && (g(2) == 2 || g(2) == 4) &&
        ((a >= 1 && a <= 12 && b >= 1 && b <= 31) || (a >= 1 && a <= 31 && b >= 1 && b <= 12));
    if (ymd || mdy) {
      double conf = c.BirthInSentence(r.begin) ? 0.95 : c.PersonInSentence(r.begin) ? 0.85 : 0.6;
      if (r.seps[0] == "." && !c.PersonInSentence(r.begin))
        conf = 0.45;  // "1.2.24" may be a version
      c.Add(PhiKind::kDate, r.begin, r.end, conf, "calendar date");
      return;
    }
  }
  // Partial dates: m/d ("3/14"), m/yyyy.
  if (ng == 2 && AllSeps(r, "/-") && g(0) <= 2 && (g(1) <= 2 || g(1) == 4)) {
    int a = GroupValue(r, 0), b = GroupValue(r, 1);
    bool of_follows = StartsWithAt(t, r.end, " of ");
    bool round_clock = (a == 24 && b == 7) || (a == 9 && b == 5 && r.seps[0] == "-");
    bool valid = g(1) == 4 ? (a >= 1 && a <= 12)
                           : ((a >= 1 && a <= 12 && b >= 1 && b <= 31) ||
                              (a >= 1 && a <= 31 && b >= 1 && b <= 12));
    if (valid && !of_follows && !round_clock && (r.seps[0] == "/" || c.PersonInSentence(r.begin))) {
      double conf = c.BirthInSentence(r.begin) ? 0.9 : c.PersonInSentence(r.begin) ? 0.7 : 0.35;
      c.Add(PhiKind::kDate, r.begin, r.end, conf, "month and day");
      return;
    }
  }
  // Phone and fax numbers.
  bool phone_shape = (nd == 10 && (ng == 1 || (ng == 3 && g(0) == 3 && g(1) == 3 && g(2) == 4))) ||
                     (nd == 11 && r.digits[0] == '1' &&
                      (ng == 1 || (ng == 4 && g(0) == 1 && g(1) == 3 && g(2) == 3 && g(3) == 4))) ||
                     (r.plus && nd >= 8 && nd <= 15);
  bool local_shape = nd == 7 && ng == 2 && g(0) == 3 && g(1) == 4 && AllSeps(r, "-.");
  if (phone_shape || local_shape) {
    bool fax = c.IdContextBefore(PhiKind::kFax, r.begin, 24);
    PhiKind kind = fax ? PhiKind::kFax : PhiKind::kPhone;
    std::string probe = r.plus ? "+" + r.digits : r.digits;
    if (OrganisationNumber(c, r.begin)) {
      c.Add(kind, r.begin, r.end, 0.3, "the organisation's own number (\"call us\", \"our line\")");
    } else if (!local_shape && PhoneValid(probe, "US")) {
      c.Add(kind, r.begin, r.end, 0.95, "valid phone number (libphonenumber)");
    } else if (ng > 1 || fax || c.IdContextBefore(PhiKind::kPhone, r.begin, 24)) {
      c.Add(kind, r.begin, r.end, local_shape ? 0.7 : 0.8, "phone-shaped number");
    } else {
      c.Add(PhiKind::kOtherId, r.begin, r.end, 0.55, "ten-digit number");
    }
    return;
  }
  // Nine digits: SSN when announced, otherwise a possible SSN.
  if (nd == 9 && ng == 1) {
    if (c.IdContextBefore(PhiKind::kSsn, r.begin, 24)) {
      c.Add(PhiKind::kSsn, r.begin, r.end, 0.95, "nine digits after an SSN cue");
    } else if (SsnValid(r.digits)) {
      c.Add(PhiKind::kSsn, r.begin, r.end, 0.55, "nine-digit number");
    }
    return;
  }
  // Payment cards and other long numbers.
  if (nd >= 13 && nd <= 19) {
    if (LuhnValid(r.digits))
      c.Add(PhiKind::kAccountNumber, r.begin, r.end, 0.9, "payment card number (Luhn)");
    else
      c.Add(PhiKind::kOtherId, r.begin, r.end, 0.55, "long number");
    return;
  }
  if (nd >= 11 && ng == 1) {
    c.Add(PhiKind::kOtherId, r.begin, r.end, 0.55, "long number");
    return;
  }
  // ZIP and ZIP+4.
  if ((nd == 5 && ng == 1) || (nd == 9 && ng == 2 && g(0) == 5 && g(1) == 4 && AllSeps(r, "-"))) {
    if (ZipContext(c, r.begin))
      c.Add(PhiKind::kZipCode, r.begin, r.end, 0.85, "ZIP code in an address");
    else if (ng == 2)
      c.Add(PhiKind::kZipCode, r.begin, r.end, 0.6, "ZIP+4 shaped number");
    return;
  }
  // Ages over 89.
  if (ng == 1 && (nd == 2 || nd == 3)) {
    int v = GroupValue(r, 0);
    if (v >= 90 && v <= 130 && AgeContext(c, r))
      c.Add(PhiKind::kAgeOver89, r.begin, r.end, 0.9, "age over 89");
  }
}

}  // namespace

void DetectNumbers(Context& c) {
  std::string_view t = c.t;
  size_t i = 0;
  while (i < t.size()) {
    if (!IsDigit(t[i])) {
      ++i;
      continue;
    }
    if (i > 0 && (IsLetter(t[i - 1]) || t[i - 1] == '_')) {
      while (i < t.size() && IsAlnum(t[i])) ++i;  // part of an alphanumeric id
      continue;
    }
    NumberRun r;
    r.begin = i;
    if (i > 0 && (t[i - 1] == '+' || t[i - 1] == '(')) {
      r.plus = t[i - 1] == '+';
      r.begin = i - 1;
    }
    r.money = i > 0 && t[i - 1] == '$';
    size_t j = i;
    while (true) {
      size_t g0 = j;
      while (j < t.size() && IsDigit(t[j])) ++j;
      r.groups.push_back(static_cast<int>(j - g0));
      r.total_digits += j - g0;
      if (r.total_digits <= kMaxDigits) r.digits.append(t.substr(g0, j - g0));
      size_t k = j;
      while (k < t.size() && k - j < 3 &&
             (t[k] == ' ' || t[k] == '-' || t[k] == '.' || t[k] == '(' || t[k] == ')' ||
              t[k] == '/' || t[k] == ',')) {
        ++k;
      }
      std::string_view sep = t.substr(j, k - j);
      if (k > j && k < t.size() && IsDigit(t[k]) && ValidSeparator(sep) && r.groups.size() < 8) {
        r.seps.push_back(sep);
        j = k;
        continue;
      }
      break;
    }
    r.end = j;
    bool letter_after = j < t.size() && IsLetter(t[j]);
    // "10am", "3rd": a number glued to letters is not an identifier, except
    // "92yo"-style ages which Classify checks itself.
    if (!letter_after || (r.groups.size() == 1 && r.digits.size() <= 3)) Classify(c, r);
    i = j;
    while (i < t.size() && IsAlnum(t[i])) ++i;
  }
}

void DetectContextIds(Context& c) {
  std::string_view t = c.t;
  for (const PhraseHit& h : c.hits.of(PhraseList::kIdContext)) {
    auto kind = static_cast<PhiKind>(h.group);
    if (kind == PhiKind::kPhone || kind == PhiKind::kFax || kind == PhiKind::kZipCode) continue;
    size_t p = h.end;
    // Skip filler: "MRN: #", "member id number is", "plate no."
    for (int guard = 0; guard < 6 && p < t.size(); ++guard) {
      while (p < t.size() && (t[p] == ' ' || t[p] == ':' || t[p] == '#' || t[p] == '-' ||
                              t[p] == '.' || t[p] == '='))
        ++p;
      bool skipped = false;
      for (std::string_view w :
           {"number", "num", "no", "nr", "id", "is", "was", "of", "my", "his", "her"}) {
        if (t.substr(p, w.size()) == w && (p + w.size() >= t.size() || !IsAlnum(t[p + w.size()]))) {
          p += w.size();
          skipped = true;
          break;
        }
      }
      if (!skipped) break;
    }
    size_t b = p;
    int digits = 0;
    while (p < t.size() && (IsAlnum(t[p]) || ((t[p] == '-' || t[p] == '/') && p + 1 < t.size() &&
                                              IsAlnum(t[p + 1])))) {
      if (IsDigit(t[p])) ++digits;
      ++p;
    }
    size_t len = p - b;
    bool plate = kind == PhiKind::kLicensePlate;
    bool ok = plate ? (len >= 2 && len <= 9 && digits >= 1) : (len >= 4 && digits >= 2);
    if (kind == PhiKind::kSsn) ok = digits == 9;
    if (ok) c.Add(kind, b, p, 0.92, "identifier after a context word");
  }
  // Alphanumeric ids without a cue ("A12345678"): letters and five or more digits.
  for (const Token& tok : c.tokens) {
    if (tok.kind != TokenKind::kWord && tok.kind != TokenKind::kNumber) continue;
    int digits = 0, letters = 0;
    for (size_t k = tok.begin; k < tok.end; ++k) {
      if (IsDigit(t[k]))
        ++digits;
      else if (IsLetter(t[k]))
        ++letters;
    }
    if (digits >= 5 && letters >= 1 && tok.end - tok.begin >= 6) {
      c.Add(PhiKind::kOtherId, tok.begin, tok.end, 0.55, "alphanumeric identifier");
    }
  }
}

}  // namespace carecast::common::text::phi
