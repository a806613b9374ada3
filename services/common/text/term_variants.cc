#include "services/common/text/term_variants.h"

namespace carecast::common::text {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool IsVowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

// The plural of the last word, or "" when it has none worth adding.
std::string Plural(std::string_view term) {
  size_t space = term.rfind(' ');
  std::string_view head = space == std::string_view::npos ? "" : term.substr(0, space + 1);
  std::string_view w = term.substr(head.size());
  if (w.size() < 3 || !(w.back() >= 'a' && w.back() <= 'z')) return "";
  if (EndsWith(w, "s") || EndsWith(w, "ing") || EndsWith(w, "ed")) return "";
  std::string plural(w);
  if (EndsWith(w, "fe")) {
    plural.replace(plural.size() - 2, 2, "ves");
  } else if (EndsWith(w, "f")) {
    plural.replace(plural.size() - 1, 1, "ves");
  } else if (EndsWith(w, "y") && !IsVowel(w[w.size() - 2])) {
    plural.replace(plural.size() - 1, 1, "ies");
  } else if (EndsWith(w, "x") || EndsWith(w, "ch") || EndsWith(w, "sh")) {
    plural += "es";
  } else {
    plural += "s";
  }
  return std::string(head) + plural;
}

// Replaces every `from` with `to`; "" when there is none.
std::string ReplaceAll(std::string_view term, std::string_view from, std::string_view to) {
  std::string out;
  bool any = false;
  size_t i = 0;
  while (i < term.size()) {
    if (term.substr(i, from.size()) == from) {
      out += to;
      i += from.size();
      any = true;
    } else {
      out += term[i++];
    }
  }
  return any ? out : "";
}

}  // namespace

void AppendTermVariants(std::string_view term, std::vector<std::string>& out) {
  // Rules that hold wherever they occur, and -our/-or words spelled out (a
  // general "our" -> "or" rule would turn "four" into "for").
  static constexpr std::pair<std::string_view, std::string_view> kSpellings[] = {
      {"anaes", "anes"},    {"paed", "ped"},           {"haem", "hem"},
      {"oes", "es"},        {"isation", "ization"},    {"ization", "isation"},
      {"centre", "center"}, {"center", "centre"},      {"labour", "labor"},
      {"labor", "labour"},  {"behaviour", "behavior"}, {"behavior", "behaviour"},
      {"tumour", "tumor"},  {"tumor", "tumour"},       {"ise", "ize"},
      {"ize", "ise"}};
  std::vector<std::string> spellings{std::string(term)};
  for (const auto& [from, to] : kSpellings) {
    std::string v = ReplaceAll(term, from, to);
    if (!v.empty() && v != term) spellings.push_back(std::move(v));
  }
  for (size_t i = 0; i < spellings.size(); ++i) {
    if (i > 0) out.push_back(spellings[i]);
    std::string p = Plural(spellings[i]);
    if (!p.empty()) out.push_back(std::move(p));
  }
}

}  // namespace carecast::common::text
