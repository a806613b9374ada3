#include "services/listener/simple_rules_classifier.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace carecast::listener {
namespace {

// Small on purpose: each entry is a word a reviewer can agree carries sentiment
// toward care, staff or the organisation. The engine of issue 4 replaces it.
constexpr std::array kPositive = {
    "good",          "great",       "excellent",  "amazing",     "wonderful",    "thank",
    "thanks",        "thankful",    "grateful",   "love",        "loved",        "kind",
    "caring",        "helpful",     "best",       "friendly",    "professional", "clean",
    "fantastic",     "awesome",     "appreciate", "appreciated", "recommend",    "happy",
    "compassionate", "outstanding", "quick",      "attentive",   "pleased",      "perfect"};
constexpr std::array kNegative = {
    "bad",           "terrible",     "awful",       "horrible",       "worst",
    "rude",          "dirty",        "slow",        "angry",          "disappointed",
    "disappointing", "unacceptable", "hate",        "hated",          "poor",
    "ignored",       "worse",        "incompetent", "unprofessional", "frustrated",
    "frustrating",   "nightmare",    "disgusting",  "careless",       "useless",
    "upset",         "furious",      "negligent",   "dismissive",     "unhelpful"};
// A negator directly before a sentiment word flips it ("not good", "never rude").
constexpr std::array kNegators = {"not",     "no",     "never",  "don't",   "dont",
                                  "isn't",   "wasn't", "aren't", "weren't", "didn't",
                                  "doesn't", "can't",  "cannot", "hardly",  "don’t",
                                  "isn’t",   "wasn’t", "didn’t", "can’t",   "doesn’t"};
// Words that say someone wants something put right.
constexpr std::array kComplaint = {"complaint", "complain",    "complained", "complaining",
                                   "refund",    "overcharged", "lawsuit",    "sue",
                                   "lawyer",    "waited",      "nobody",     "billing"};
// Terms that may mean a medical emergency, self-harm or a threat. Phrases are
// matched as whole words in the lower-cased text.
constexpr std::array kUrgentWords = {"emergency", "911",        "suicide", "suicidal", "overdose",
                                     "overdosed", "overdosing", "gun",     "guns",     "gunman",
                                     "shooter",   "shooting",   "bomb",    "stabbed"};
constexpr std::array kUrgentPhrases = {"kill myself",   "end my life",    "want to die",
                                       "can't breathe", "cannot breathe", "chest pain"};
// "emergency room was great" names a place, not an emergency.
constexpr std::array kEmergencyPlaces = {"room", "department", "dept"};
// Outgoing text must not confirm that someone is (or was) a patient.
constexpr std::array kPatientConfirmation = {
    "your visit",   "your appointment", "your stay",          "your treatment",
    "your surgery", "your diagnosis",   "your test results",  "your procedure",
    "your records", "our patient",      "when you were here", "when you were admitted"};

template <size_t N>
bool Contains(const std::array<const char*, N>& list, std::string_view word) {
  return std::any_of(list.begin(), list.end(), [&](const char* w) { return word == w; });
}

// Bytes that continue a word for whole-word matching. Bytes of multi-byte UTF-8
// sequences count as letters so "café" is one word.
bool IsWordByte(unsigned char c) { return absl::ascii_isalnum(c) || c == '_' || c >= 0x80; }

// Word tokens (lower-case ASCII letters, digits, apostrophes and non-ASCII
// letters), in order.
std::vector<std::string> Tokens(std::string_view lower) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    while (!current.empty() && current.front() == '\'') current.erase(current.begin());
    while (!current.empty() && current.back() == '\'') current.pop_back();
    if (!current.empty()) out.push_back(current);
    current.clear();
  };
  for (unsigned char c : lower) {
    if (IsWordByte(c) || c == '\'') {
      current.push_back(static_cast<char>(c));
    } else {
      flush();
    }
  }
  flush();
  return out;
}

// Byte offsets of `term` in `lower` where it stands as whole words.
std::vector<size_t> FindWholeWord(std::string_view lower, std::string_view term) {
  std::vector<size_t> hits;
  if (term.empty()) return hits;
  size_t pos = lower.find(term);
  while (pos != std::string_view::npos) {
    const bool start_ok = pos == 0 || !IsWordByte(lower[pos - 1]) || !IsWordByte(term.front());
    const size_t end = pos + term.size();
    const bool end_ok = end == lower.size() || !IsWordByte(lower[end]) || !IsWordByte(term.back());
    if (start_ok && end_ok) hits.push_back(pos);
    pos = lower.find(term, pos + 1);
  }
  return hits;
}

std::unique_ptr<re2::RE2> Compile(const char* pattern) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(pattern, options);
  // The patterns are constants; a typo must fail every test, not pass silently.
  if (!re->ok()) std::abort();
  return re;
}

void AddFindings(const re2::RE2& re, std::string_view text, std::string_view kind,
                 double confidence, v1::TextAnalysis& out) {
  re2::StringPiece input(text.data(), text.size());
  re2::StringPiece match;
  while (re2::RE2::FindAndConsume(&input, re, &match)) {
    v1::PhiFinding* f = out.add_phi_findings();
    f->set_kind(std::string(kind));
    f->set_begin(static_cast<int32_t>(match.data() - text.data()));
    f->set_end(static_cast<int32_t>(match.data() - text.data() + match.size()));
    f->set_confidence(confidence);
    if (input.empty()) break;
  }
}

}  // namespace

SimpleRulesClassifier::SimpleRulesClassifier(std::vector<std::string> tracked_keywords)
    : phone_(Compile(
          // A North American number, optionally +1, with the usual separators, not
          // inside a longer run of digits.
          R"((?:^|[^\d])((?:\+?1[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4})(?:[^\d]|$))")),
      email_(Compile(R"(([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}))")) {
  std::set<std::string> seen;
  for (std::string& k : tracked_keywords) {
    std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(k));
    if (!lower.empty() && seen.insert(lower).second) keywords_.push_back(lower);
  }
}

SimpleRulesClassifier::~SimpleRulesClassifier() = default;

v1::TextAnalysis SimpleRulesClassifier::Analyze(std::string_view text, bool outgoing) const {
  v1::TextAnalysis out;
  const std::string lower = absl::AsciiStrToLower(absl::string_view(text.data(), text.size()));
  const std::vector<std::string> tokens = Tokens(lower);

  int positive = 0;
  int negative = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    int polarity = Contains(kPositive, tokens[i]) ? 1 : Contains(kNegative, tokens[i]) ? -1 : 0;
    if (polarity == 0) continue;
    std::string evidence = tokens[i];
    if (i > 0 && Contains(kNegators, tokens[i - 1])) {
      polarity = -polarity;
      evidence = absl::StrCat(tokens[i - 1], " ", tokens[i]);
    }
    (polarity > 0 ? positive : negative) += 1;
    out.add_sentiment_evidence(evidence);
  }
  const int total = positive + negative;
  const double score = total == 0 ? 0.0 : static_cast<double>(positive - negative) / total;
  out.set_sentiment_score(score);
  out.set_sentiment(score > 0   ? v1::SENTIMENT_POSITIVE
                    : score < 0 ? v1::SENTIMENT_NEGATIVE
                                : v1::SENTIMENT_NEUTRAL);

  for (const std::string& k : keywords_)
    if (!FindWholeWord(lower, k).empty()) out.add_keywords(k);

  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!Contains(kUrgentWords, tokens[i])) continue;
    if (tokens[i] == "emergency" && i + 1 < tokens.size() &&
        Contains(kEmergencyPlaces, tokens[i + 1]))
      continue;
    out.set_urgent(true);
    out.add_urgency_reasons(absl::StrCat("urgent term \"", tokens[i], "\""));
  }
  for (const char* phrase : kUrgentPhrases) {
    if (FindWholeWord(lower, phrase).empty()) continue;
    out.set_urgent(true);
    out.add_urgency_reasons(absl::StrCat("urgent phrase \"", phrase, "\""));
  }

  AddFindings(*phone_, text, "phone_number", 0.8, out);
  AddFindings(*email_, text, "email_address", 0.9, out);
  if (outgoing) {
    for (const char* phrase : kPatientConfirmation) {
      for (size_t pos : FindWholeWord(lower, phrase)) {
        v1::PhiFinding* f = out.add_phi_findings();
        f->set_kind("patient_confirmation");
        f->set_begin(static_cast<int32_t>(pos));
        f->set_end(static_cast<int32_t>(pos + std::string_view(phrase).size()));
        f->set_confidence(0.5);
      }
    }
  }
  return out;
}

v1::Classification SimpleRulesClassifier::Classify(std::string_view text) const {
  const v1::TextAnalysis analysis = Analyze(text, /*outgoing=*/false);
  v1::Classification c;
  c.set_sentiment(analysis.sentiment());
  c.set_sentiment_score(analysis.sentiment_score());
  *c.mutable_sentiment_evidence() = analysis.sentiment_evidence();
  *c.mutable_keywords() = analysis.keywords();
  c.set_urgent(analysis.urgent());
  c.set_contains_phi(analysis.phi_findings_size() > 0);

  for (const std::string& r : analysis.urgency_reasons()) c.add_reasons(r);
  if (analysis.sentiment() == v1::SENTIMENT_NEGATIVE) {
    std::string words;
    for (const std::string& e : analysis.sentiment_evidence())
      absl::StrAppend(&words, words.empty() ? "" : ", ", "\"", e, "\"");
    c.add_reasons(absl::StrCat("negative sentiment (", words, ")"));
  }
  if (text.find('?') != std::string_view::npos) c.add_reasons("question");
  const std::string lower = absl::AsciiStrToLower(absl::string_view(text.data(), text.size()));
  for (const std::string& token : Tokens(lower)) {
    if (Contains(kComplaint, token)) {
      c.add_reasons(absl::StrCat("complaint word \"", token, "\""));
      break;
    }
  }
  c.set_needs_response(c.reasons_size() > 0);
  return c;
}

}  // namespace carecast::listener
