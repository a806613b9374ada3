// Names in context, patient disclosure (person + condition/treatment/visit) and
// patient-confirming phrases in outgoing text.
#include "services/common/base/strings.h"
#include "services/common/text/phi_context.h"
#include "services/common/text/word_set.h"

namespace carecast::common::text::phi {
namespace {

bool IsAlphaWord(std::string_view w) {
  if (w.size() < 2) return false;
  for (char ch : w) {
    if (IsDigit(ch) || ch == '_') return false;
  }
  return true;
}

// Words after which a capitalised name is a place or an organisation.
bool IsInstitutionWord(std::string_view w) {
  static constexpr std::string_view kWords[] = {
      "hospital", "hospitals",   "health",     "healthcare", "medical",    "medicine", "center",
      "centre",   "clinic",      "clinics",    "foundation", "university", "college",  "school",
      "memorial", "institute",   "county",     "street",     "st",         "ave",      "avenue",
      "road",     "rd",          "park",       "church",     "pharmacy",   "labs",     "hall",
      "building", "wing",        "unit",       "award",      "campus",     "system",   "group",
      "regional", "general",     "children's", "cancer",     "heart",      "care",     "drive",
      "blvd",     "boulevard",   "lane",       "city",       "valley",     "river",    "lake",
      "mountain", "bay",         "airport",    "station",    "mall",       "plaza",    "tower",
      "pavilion", "house",       "home",       "inc",        "llc",        "co",       "court",
      "ct",       "ln",          "way",        "place",      "pl",         "terrace",  "circle",
      "highway",  "hwy",         "parkway",    "trail",      "square",     "month",    "week",
      "day",      "awareness",   "festival",   "fair",       "walk",       "run",      "gala",
      "event",    "program",     "series",     "conference", "summit",     "awards",   "fund",
      "league",   "association", "society"};
  static const WordSet set(kWords);
  return set.contains(w);
}

bool IsStopword(std::string_view w) {
  static constexpr std::string_view kStop[] = {
      "the",    "a",       "an",      "and",       "or",       "but",      "to",        "of",
      "in",     "on",      "at",      "for",       "with",     "from",     "by",        "is",
      "was",    "are",     "were",    "be",        "been",     "has",      "had",       "have",
      "do",     "did",     "does",    "it",        "its",      "this",     "that",      "these",
      "those",  "he",      "she",     "they",      "we",       "you",      "i",         "me",
      "my",     "your",    "his",     "her",       "our",      "their",    "him",       "them",
      "us",     "who",     "what",    "when",      "where",    "why",      "how",       "all",
      "any",    "some",    "so",      "if",        "then",     "than",     "too",       "very",
      "just",   "not",     "no",      "yes",       "ok",       "okay",     "also",      "again",
      "here",   "there",   "today",   "yesterday", "tomorrow", "everyone", "everybody", "team",
      "staff",  "guys",    "folks",   "friends",   "family",   "y'all",    "you're",    "i'm",
      "it's",   "that's",  "there's", "got",       "get",      "went",     "came",      "said",
      "told",   "says",    "had",     "will",      "would",    "could",    "should",    "can",
      "may",    "might",   "must",    "sir",       "madam",    "ma'am",    "hi",        "hello",
      "hey",    "dear",    "thanks",  "thank",     "please",   "sorry",    "love",      "loved",
      "great",  "amazing", "best",    "worst",     "good",     "bad",      "nurse",     "nurses",
      "doctor", "doctors", "dr",      "mr",        "mrs",      "ms",       "er",        "icu",
      "covid",  "today's", "one"};
  static const WordSet set(kStop);
  return set.contains(w);
}

bool SentenceStart(const Context& c, size_t pos) {
  size_t p = c.SkipBack(pos, "\"'(");
  if (p == 0) return true;
  char prev = c.t[p - 1];
  return prev == '.' || prev == '!' || prev == '?' || prev == '\n' || prev == ':';
}

}  // namespace

void DetectNames(Context& c, const NameLists& names) {
  const std::vector<Token>& toks = c.tokens;
  auto word = [&](size_t i) { return TokenText(c.n, toks[i]); };
  auto is_word = [&](size_t i) {
    return i < toks.size() && toks[i].kind == TokenKind::kWord && IsAlphaWord(word(i));
  };
  auto adjacent_dash = [&](size_t i) {
    return i + 1 < toks.size() && toks[i].kind == TokenKind::kPunct && c.t[toks[i].begin] == '-' &&
           toks[i].begin == toks[i - 1].end && toks[i + 1].begin == toks[i].end;
  };
  // Headlines in Title Case capitalise every word: capitals alone prove nothing there.
  int words = 0, capitalised = 0;
  for (const Token& t : toks) {
    if (t.kind != TokenKind::kWord) continue;
    ++words;
    if (t.capitalized) ++capitalised;
  }
  const bool title_case = words >= 4 && capitalised * 10 >= words * 6;
  size_t i = 0;
  while (i < toks.size()) {
    if (!is_word(i)) {
      ++i;
      continue;
    }
    std::string_view w = word(i);
    const Token& tok = toks[i];
    absl::string_view key = AsAbsl(w);
    uint16_t flags = c.FlagsBefore(tok.begin, ",:");
    bool title = (flags & kEndTitle) != 0;
    bool relation = (flags & (kEndRelation | kEndCue)) != 0;
    bool first = names.first.contains(key);
    // Most words are lowercase with no cue: only "john smith" can start there.
    if (!tok.capitalized && !title && !relation && !first) {
      ++i;
      continue;
    }
    bool last = names.last.contains(key);
    bool common = names.not_names.contains(key) || IsStopword(w);
    double conf = 0;
    std::string_view reason;
    if (title && (tok.capitalized || first || last) && !IsStopword(w)) {
      conf = 0.8;
      reason = "name after a title";
    } else if (relation && ((tok.capitalized && !common) || (first && !common) ||
                            (first && tok.capitalized && !IsStopword(w)))) {
      conf = 0.85;
      reason = "name after a relation or name cue";
    } else if (tok.capitalized && !tok.all_caps && first && !common && !title_case) {
      bool next_cap = is_word(i + 1) && toks[i + 1].capitalized && !IsStopword(word(i + 1)) &&
                      !IsInstitutionWord(word(i + 1));
      if (next_cap) {
        conf = 0.9;
        reason = "capitalised first and last name";
      } else {
        conf = SentenceStart(c, tok.begin) ? 0.5 : 0.6;
        reason = "capitalised first name";
      }
    } else if (tok.capitalized && !tok.all_caps && !title_case && !common &&
               !names.vocabulary.contains(key) && !IsInstitutionWord(w) && is_word(i + 1) &&
               toks[i + 1].capitalized && !toks[i + 1].all_caps && !IsStopword(word(i + 1)) &&
               !IsInstitutionWord(word(i + 1)) &&
               (!names.vocabulary.contains(AsAbsl(word(i + 1))) ||
                names.last.contains(AsAbsl(word(i + 1))))) {
      conf = 0.55;
      reason = "two capitalised words outside the vocabulary";
    } else if (!tok.capitalized && first && !common && is_word(i + 1) &&
               names.last.contains(AsAbsl(word(i + 1))) &&
               !names.not_names.contains(AsAbsl(word(i + 1)))) {
      conf = 0.6;
      reason = "first and last name";
    }
    // "227 Maple Court": a street name after a house number.
    if (conf > 0 && !title && !relation && i > 0 && toks[i - 1].kind == TokenKind::kNumber)
      conf = 0;
    if (conf == 0) {
      ++i;
      continue;
    }
    // Extend over a middle initial and surname(s): "Jane Q. Doe", "Mary Smith-Jones".
    size_t j = i + 1;
    for (int parts = 0; parts < 2 && j < toks.size(); ++parts) {
      if (toks[j].kind == TokenKind::kWord && word(j).size() == 1 && toks[j].capitalized &&
          j + 1 < toks.size() && toks[j + 1].kind == TokenKind::kPunct &&
          c.t[toks[j + 1].begin] == '.') {
        j += 2;
        continue;
      }
      if (adjacent_dash(j) && is_word(j + 1)) {
        j += 2;
        continue;
      }
      if (!is_word(j)) break;
      std::string_view nw = word(j);
      bool surname = (toks[j].capitalized && !IsStopword(nw) && !IsInstitutionWord(nw)) ||
                     (!tok.capitalized && names.last.contains(AsAbsl(nw)) &&
                      !names.not_names.contains(AsAbsl(nw)));
      if (!surname) break;
      ++j;
    }
    size_t end_tok = j - 1;
    // "Henry Ford Hospital", "St. Mary's": organisations and places.
    bool org = (j < toks.size() && toks[j].kind == TokenKind::kWord && IsInstitutionWord(word(j)));
    // "Austin, TX": a city before a state code.
    if (j + 1 < toks.size() && toks[j].kind == TokenKind::kPunct && c.t[toks[j].begin] == ',' &&
        toks[j + 1].kind == TokenKind::kWord && toks[j + 1].all_caps &&
        toks[j + 1].end - toks[j + 1].begin == 2) {
      org = true;
    }
    size_t before = c.SkipBack(tok.begin, ".");
    if (before >= 2 && (c.t.substr(before - 2, 2) == "st" ||
                        (before >= 5 && c.t.substr(before - 5, 5) == "saint"))) {
      org = true;
    }
    if (!org || title || relation)
      c.Add(PhiKind::kName, tok.begin, toks[end_tok].end, conf, reason);
    i = j;
  }
}

namespace {

// Weak care words: only a mild disclosure ("I will visit").
bool IsWeakCondition(std::string_view p) {
  return p == "visit" || p == "stay" || p == "appointment" || p == "treatment" || p == "treated" ||
         p == "therapy" || p == "procedure" || p == "cast" || p == "labor" || p == "labour" ||
         p == "delivery" || p == "flu" || p == "died" || p == "death" || p == "passed away" ||
         p == "prescription" || p == "medication" || p == "operation" || p == "checkup" ||
         p == "check-up" || p == "radiation";
}

struct Ref {
  uint32_t begin;
  uint32_t end;
  bool strong;  // a relation or a name, not just "I"/"she"
};

}  // namespace

namespace {

// A person word used as part of a service's name ("patient portal").
bool ServiceCompound(std::string_view t, size_t end) {
  static constexpr std::string_view kServices[] = {
      " portal", " relations", " experience", " services",  " advocate", " line",
      " safety", " education", " access",     " navigator", " financial"};
  std::string_view rest = t.substr(end);
  for (std::string_view s : kServices) {
    if (rest.starts_with(s)) return true;
  }
  return false;
}

}  // namespace

void DetectDisclosure(Context& c) {
  const auto& conditions = c.hits.of(PhraseList::kCondition);
  if (conditions.empty()) return;
  std::vector<Ref> refs;
  for (const PhraseHit& h : c.hits.of(PhraseList::kPersonSelf))
    refs.push_back({h.begin, h.end, false});
  for (const PhraseHit& h : c.hits.of(PhraseList::kPersonThird)) {
    if (ServiceCompound(c.t, h.end)) continue;  // "patient portal", "patient relations"
    refs.push_back({h.begin, h.end, false});
  }
  for (const PhraseHit& h : c.hits.of(PhraseList::kPersonRelation))
    refs.push_back({h.begin, h.end, true});
  for (const PhiFinding& f : c.out) {
    if (f.kind == PhiKind::kName && f.confidence >= kGuardThreshold)
      refs.push_back({f.begin, f.end, true});
  }
  if (refs.empty()) return;
  std::sort(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) { return a.begin < b.begin; });
  // For each condition, the nearest person reference in the same sentence
  // (refs sorted: binary search, so this stays linear-ish on huge inputs).
  uint32_t last_end = 0;
  for (const PhraseHit& h : conditions) {
    size_t sentence = c.SentenceOf(h.begin);
    auto it = std::lower_bound(refs.begin(), refs.end(), h.begin,
                               [](const Ref& r, uint32_t pos) { return r.begin < pos; });
    const Ref* best = nullptr;
    uint32_t best_dist = UINT32_MAX;
    for (auto cand : {it, it == refs.begin() ? refs.end() : it - 1}) {
      if (cand == refs.end()) continue;
      if (c.SentenceOf(cand->begin) != sentence) continue;
      uint32_t dist = cand->begin > h.begin ? cand->begin - h.begin : h.begin - cand->begin;
      if (dist < best_dist) {
        best = &*cand;
        best_dist = dist;
      }
    }
    if (best == nullptr) continue;
    uint32_t b = std::min(best->begin, h.begin), e = std::max(best->end, h.end);
    if (b < last_end) continue;  // one finding per overlapping stretch
    std::string_view phrase = c.index.phrase(h.entry);
    double conf = IsWeakCondition(phrase) ? 0.6 : best->strong ? 0.85 : 0.8;
    c.Add(PhiKind::kPatientDisclosure, b, e, conf,
          best->strong ? "a named or related person with a condition, treatment or visit"
                       : "a person with a condition, treatment or visit");
    last_end = e;
  }
}

namespace {

// "talk to your doctor", "bring your records", "book your scan": an invitation
// to anyone reading, not a reference to someone's care. `your` is the index of
// a "your" token.
bool GenericYour(const Context& c, size_t your) {
  static constexpr std::string_view kInviting[] = {
      "ask",     "bring",    "book",   "schedule", "get",     "call",       "contact",   "tell",
      "consult", "check",    "manage", "request",  "access",  "talk",       "speak",     "update",
      "talking", "speaking", "asking", "checking", "booking", "consulting", "contacting"};
  static constexpr std::string_view kSubjects[] = {"we",   "we'll", "we've", "we're",  "i",
                                                   "i'll", "i've",  "they",  "they'll"};
  const std::vector<Token>& toks = c.tokens;
  // An inviting verb within four words before "your", in the same clause, and
  // not said by us ("we'll update your record" does confirm).
  size_t words = 0;
  for (size_t k = your; k > 0 && words < 4; --k) {
    const Token& t = toks[k - 1];
    if (t.kind == TokenKind::kPunct) return false;
    if (t.kind != TokenKind::kWord) continue;
    ++words;
    std::string_view w = TokenText(c.n, t);
    bool inviting = false;
    for (std::string_view v : kInviting) inviting = inviting || v == w;
    if (!inviting) continue;
    if (k >= 2 && toks[k - 2].kind == TokenKind::kWord) {
      std::string_view subject = TokenText(c.n, toks[k - 2]);
      for (std::string_view s : kSubjects) {
        if (s == subject) return false;
      }
    }
    return true;
  }
  return false;
}

size_t TokenAt(const std::vector<Token>& toks, size_t begin) {
  auto it = std::lower_bound(toks.begin(), toks.end(), begin,
                             [](const Token& t, size_t pos) { return t.begin < pos; });
  return static_cast<size_t>(it - toks.begin());
}

}  // namespace

void DetectConfirmation(Context& c) {
  if (!c.outgoing) return;
  for (const PhraseHit& h : c.hits.of(PhraseList::kConfirm)) {
    size_t tok = TokenAt(c.tokens, h.begin);
    if (c.index.phrase(h.entry).starts_with("your ") && tok < c.tokens.size() &&
        GenericYour(c, tok)) {
      continue;
    }
    c.Add(PhiKind::kPatientConfirmation, h.begin, h.end, 0.9,
          "phrase that confirms a patient relationship");
  }
  // "your recent knee surgery", "your mom's procedure": "your" then a care noun.
  static constexpr std::string_view kCareNouns[] = {
      "visit",     "stay",      "procedure",   "surgery",    "operation",  "appointment",
      "treatment", "diagnosis", "chart",       "records",    "record",     "results",
      "scan",      "mri",       "x-ray",       "bill",       "discharge",  "admission",
      "doctor",    "nurse",     "physician",   "surgeon",    "medication", "prescription",
      "room",      "labs",      "test",        "tests",      "therapy",    "delivery",
      "biopsy",    "chemo",     "care",        "recovery",   "condition",  "illness",
      "injury",    "ward",      "bed",         "consultant", "midwife",    "stitches",
      "wound",     "referral",  "replacement", "transplant", "oncologist", "cardiologist"};
  const std::vector<Token>& toks = c.tokens;
  for (size_t i = 0; i < toks.size(); ++i) {
    if (toks[i].kind != TokenKind::kWord || TokenText(c.n, toks[i]) != "your") continue;
    if (GenericYour(c, i)) continue;
    for (size_t j = i + 1; j < toks.size() && j <= i + 4; ++j) {
      if (toks[j].kind == TokenKind::kPunct && c.t[toks[j].begin] != '\'') break;
      if (toks[j].kind != TokenKind::kWord) continue;
      std::string_view w = TokenText(c.n, toks[j]);
      // "your first visit", "your next appointment": generic, not a past relationship.
      if (w == "first" || w == "next" || w == "upcoming" || w == "future" || w == "annual") break;
      bool care = false;
      for (std::string_view noun : kCareNouns) care = care || noun == w;
      if (care) {
        c.Add(PhiKind::kPatientConfirmation, toks[i].begin, toks[j].end, 0.85,
              "\"your\" with a care word confirms a patient relationship");
        break;
      }
    }
  }
}

}  // namespace carecast::common::text::phi
