#include "services/common/text/text_analyzer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"
#include "services/common/text/cue_frames.h"
#include "services/common/text/literal_matcher.h"
#include "services/common/text/normalizer.h"
#include "services/common/text/number_reader.h"
#include "services/common/text/phi_detector.h"
#include "services/common/text/phrase_index.h"
#include "services/common/text/sentiment.h"
#include "services/common/text/spam_scorer.h"
#include "services/common/text/tokenizer.h"

namespace carecast::common::text {

struct TextAnalyzer::KeywordSet {
  std::vector<std::string> display;
  std::unique_ptr<LiteralMatcher> matcher;
};

// Per-thread buffers, reused so a call allocates little beyond its result.
struct TextAnalyzer::Workspace {
  NormalizedText normalized;
  std::vector<Token> tokens;
  PhraseHits hits;
  std::vector<LiteralMatcher::Hit> keyword_hits;
  std::vector<PhiFinding> findings;
  CueScan cues;
  // The second PHI pass, on the plain form of obfuscated numbers and e-mail.
  RewrittenText plain;
  NormalizedText plain_normalized;
  std::vector<Token> plain_tokens;
  PhraseHits plain_hits;
  std::vector<PhiFinding> plain_findings;
};

namespace {

constexpr size_t kMaxKeywordBytes = 200;
// Cue-frame categories checked on outgoing text only (the reply guard).
constexpr std::string_view kReplyAdvice = "reply_medical_advice";
constexpr std::string_view kReplyConfirmation = "reply_confirmation";
constexpr size_t kMaxKeywords = 200000;

TextAnalyzer::Workspace& ThreadWorkspace();

absl::flat_hash_set<std::string> WordSet(std::string_view source) {
  absl::flat_hash_set<std::string> set;
  size_t i = 0;
  while (i < source.size()) {
    if (source[i] == '#') {  // comment to end of line
      while (i < source.size() && source[i] != '\n') ++i;
      continue;
    }
    size_t j = i;
    while (j < source.size() && source[j] != ' ' && source[j] != '\n' && source[j] != '\t' &&
           source[j] != '\r')
      ++j;
    if (j > i) {
      std::string w = NormalizeTerm(source.substr(i, j - i));
      if (!w.empty()) set.insert(std::move(w));
    }
    i = j + 1;
  }
  return set;
}

absl::StatusOr<std::shared_ptr<const TextAnalyzer::KeywordSet>> BuildKeywords(
    std::vector<std::string> keywords);

}  // namespace

absl::StatusOr<std::unique_ptr<TextAnalyzer>> TextAnalyzer::Create(const TextConfig& config) {
  std::unique_ptr<TextAnalyzer> a(new TextAnalyzer());
  a->limits_.max_input_bytes = config.max_input_bytes;
  a->limits_.max_hits = config.max_hits;
  auto lexicon = SentimentLexicon::Parse(config.lexicon, config.lexicon_domain, config.emoji);
  if (!lexicon.ok()) return lexicon.status();
  a->lexicon_ = std::make_unique<SentimentLexicon>(std::move(lexicon).value());
  auto phrases = PhraseIndex::Build(config.taxonomy, config.urgency, config.phrases, config.cues);
  if (!phrases.ok()) return phrases.status();
  a->phrases_ = std::move(phrases).value();
  auto cues = CueFrames::Create(config.cues, *a->phrases_);
  if (!cues.ok()) return cues.status();
  a->cues_ = std::move(cues).value();
  a->reader_ = NumberReader::Create();
  for (const std::string& category : a->cues_->categories()) {
    bool known = category == kReplyAdvice || category == kReplyConfirmation;
    for (const UrgencyCategory& u : a->phrases_->urgency()) known = known || u.name == category;
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("cue frame category ", category, " is not an urgency category"));
    }
  }
  NameLists names;
  names.first = WordSet(config.first_names);
  names.last = WordSet(config.last_names);
  names.not_names = WordSet(config.common_words);
  // A name that is also a sentiment word ("joy", "hope") needs a stronger cue.
  for (const auto& [word, valence] : a->lexicon_->words) {
    if (names.first.contains(word) || names.last.contains(word)) names.not_names.insert(word);
    names.vocabulary.insert(word);
  }
  for (size_t i = 0; i < a->phrases_->entry_count(); ++i) {
    std::string_view phrase = a->phrases_->phrase(static_cast<uint32_t>(i));
    size_t start = 0;
    while (start < phrase.size()) {
      size_t sp = phrase.find(' ', start);
      if (sp == std::string_view::npos) sp = phrase.size();
      names.vocabulary.insert(std::string(phrase.substr(start, sp - start)));
      start = sp + 1;
    }
  }
  for (const std::string& w : names.not_names) names.vocabulary.insert(w);
  auto phi = PhiDetector::Create(std::move(names));
  if (!phi.ok()) return phi.status();
  a->phi_ = std::move(phi).value();
  auto keywords = BuildKeywords(config.tracked_keywords);
  if (!keywords.ok()) return keywords.status();
  {
    std::lock_guard lock(a->keywords_mu_);
    a->keywords_ = std::move(keywords).value();
  }
  return a;
}

TextAnalyzer::~TextAnalyzer() = default;

namespace {

TextAnalyzer::Workspace& ThreadWorkspace() {
  thread_local TextAnalyzer::Workspace ws;
  return ws;
}

absl::StatusOr<std::shared_ptr<const TextAnalyzer::KeywordSet>> BuildKeywords(
    std::vector<std::string> keywords) {
  if (keywords.size() > kMaxKeywords) {
    return absl::InvalidArgumentError(
        absl::StrCat(keywords.size(), " tracked keywords; the limit is ", kMaxKeywords));
  }
  auto set = std::make_shared<TextAnalyzer::KeywordSet>();
  std::vector<std::string> literals;
  literals.reserve(keywords.size());
  for (size_t i = 0; i < keywords.size(); ++i) {
    if (keywords[i].size() > kMaxKeywordBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("tracked keyword ", i, " is longer than ", kMaxKeywordBytes, " bytes"));
    }
    if (absl::Status s = ValidateUtf8(keywords[i]); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("tracked keyword ", i, ": ", s.message()));
    }
    std::string norm = NormalizeTerm(keywords[i]);
    if (norm.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tracked keyword ", i, " is empty after normalisation"));
    }
    literals.push_back(std::move(norm));
  }
  auto matcher = LiteralMatcher::Create(literals);
  if (!matcher.ok()) return matcher.status();
  set->matcher = std::move(matcher).value();
  set->display = std::move(keywords);
  return std::shared_ptr<const TextAnalyzer::KeywordSet>(std::move(set));
}

}  // namespace

absl::Status TextAnalyzer::ReplaceTrackedKeywords(std::vector<std::string> keywords) {
  auto set = BuildKeywords(std::move(keywords));
  if (!set.ok()) return set.status();
  std::shared_ptr<const KeywordSet> replaced;  // freed outside the lock
  {
    std::lock_guard lock(keywords_mu_);
    replaced = std::exchange(keywords_, std::move(set).value());
  }
  return absl::OkStatus();
}

std::shared_ptr<const TextAnalyzer::KeywordSet> TextAnalyzer::Keywords() const {
  std::lock_guard lock(keywords_mu_);
  return keywords_;
}

size_t TextAnalyzer::tracked_keyword_count() const { return Keywords()->display.size(); }

absl::Status TextAnalyzer::Prepare(std::string_view text, Workspace& ws) const {
  if (text.size() > limits_.max_input_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("text is ", text.size(), " bytes; the limit is ", limits_.max_input_bytes));
  }
  if (absl::Status s = ValidateUtf8(text); !s.ok()) return s;
  if (absl::Status s = Normalize(text, limits_.max_input_bytes * 4, ws.normalized); !s.ok())
    return s;
  ws.tokens.clear();
  Tokenize(ws.normalized, lexicon_->emoticons, ws.tokens);
  phrases_->Scan(ws.normalized.text, limits_.max_hits, ws.hits);
  return absl::OkStatus();
}

void ToProto(const PhiFinding& f, carecast::v1::PhiFinding* out) {
  out->set_kind(std::string(PhiKindName(f.kind)));
  out->set_begin(static_cast<int32_t>(f.begin));
  out->set_end(static_cast<int32_t>(f.end));
  out->set_confidence(f.confidence);
  out->set_reason(std::string(f.reason));
}

absl::StatusOr<std::vector<PhiFinding>> TextAnalyzer::FindPhi(std::string_view text,
                                                              const AnalyzeOptions& options) const {
  Workspace& ws = ThreadWorkspace();
  if (absl::Status s = Prepare(text, ws); !s.ok()) return s;
  std::vector<PhiFinding> findings;
  phi_->Detect(ws.normalized, ws.tokens, ws.hits, *phrases_, options.outgoing, findings);
  DetectObfuscatedPhi(ws, options.outgoing, findings);
  if (options.outgoing) {
    cues_->Scan(ws.normalized, ws.tokens, ws.hits, ws.cues);
    AddReplyFindings(ws, findings);
  }
  for (PhiFinding& f : findings) {
    auto [b, e] = ws.normalized.ToInput(f.begin, f.end);
    f.begin = b;
    f.end = e;
  }
  return findings;
}

void TextAnalyzer::DetectObfuscatedPhi(Workspace& ws, bool outgoing,
                                       std::vector<PhiFinding>& findings) const {
  if (!reader_->Read(ws.normalized, ws.tokens, ws.plain)) return;
  // The plain form is already normalised, so this pass maps back in two steps:
  // plain_normalized -> plain (ToInput), plain -> normalised text (ToSource).
  if (!Normalize(ws.plain.text, limits_.max_input_bytes * 4, ws.plain_normalized).ok()) return;
  ws.plain_tokens.clear();
  Tokenize(ws.plain_normalized, lexicon_->emoticons, ws.plain_tokens);
  phrases_->Scan(ws.plain_normalized.text, limits_.max_hits, ws.plain_hits);
  ws.plain_findings.clear();
  phi_->Detect(ws.plain_normalized, ws.plain_tokens, ws.plain_hits, *phrases_, outgoing,
               ws.plain_findings);
  const size_t first_pass = findings.size();
  for (const PhiFinding& f : ws.plain_findings) {
    auto [pb, pe] = ws.plain_normalized.ToInput(f.begin, f.end);
    if (pe <= pb || !ws.plain.Touches(pb, pe)) continue;  // the first pass saw it as it is
    auto [b, e] = ws.plain.ToSource(pb, pe);
    bool known = false;
    for (size_t i = 0; i < first_pass; ++i) {
      const PhiFinding& g = findings[i];
      known = known || (g.kind == f.kind && g.begin < e && b < g.end);
    }
    if (!known) findings.push_back({f.kind, b, e, f.confidence, f.reason});
  }
}

void TextAnalyzer::AddReplyFindings(const Workspace& ws, std::vector<PhiFinding>& findings) const {
  for (const CueMatch& m : ws.cues.matches) {
    const std::string& category = cues_->categories()[m.category];
    PhiKind kind;
    if (category == kReplyAdvice) {
      kind = PhiKind::kMedicalAdvice;
    } else if (category == kReplyConfirmation) {
      kind = PhiKind::kPatientConfirmation;
    } else {
      continue;
    }
    // The span shows the words; the reason names the rule ("reply_medical_advice:
    // change + medicine"), so a responder can see what to rewrite.
    findings.push_back({kind, m.begin, m.end, 0.8, cues_->FrameName(m.frame)});
  }
}

void TextAnalyzer::AddUrgency(const Workspace& ws, carecast::v1::TextAnalysis& result) const {
  if (ws.hits.of(PhraseList::kUrgency).empty() && ws.cues.matches.empty()) return;
  const std::vector<UrgencyCategory>& categories = phrases_->urgency();
  std::vector<std::vector<std::string>> evidence(categories.size());
  auto add = [&](size_t category, std::string e) {
    auto& ev = evidence[category];
    if (ev.size() < 5 && std::find(ev.begin(), ev.end(), e) == ev.end()) ev.push_back(std::move(e));
  };
  // Plain phrases count unless the sentence says why they are not urgent
  // ("know the signs of a stroke").
  for (const PhraseHit& h : ws.hits.of(PhraseList::kUrgency)) {
    if (cues_->Blocked(ws.cues, categories[h.group].name, h.begin)) continue;
    add(h.group, std::string(phrases_->phrase(h.entry)));
  }
  for (const CueMatch& m : ws.cues.matches) {
    const std::string& name = cues_->categories()[m.category];
    for (size_t i = 0; i < categories.size(); ++i) {
      if (categories[i].name != name) continue;
      std::string joined;
      for (uint32_t entry : m.entries) {
        absl::StrAppend(&joined, joined.empty() ? "" : " + ", AsAbsl(phrases_->phrase(entry)));
      }
      add(i, std::move(joined));
    }
  }
  for (size_t i = 0; i < evidence.size(); ++i) {
    if (evidence[i].empty()) continue;
    const UrgencyCategory& cat = categories[i];
    carecast::v1::UrgencyFinding* u = result.add_urgency_findings();
    u->set_category(cat.name);
    u->set_guidance(cat.guidance);
    for (std::string& e : evidence[i]) u->add_evidence(e);
    result.add_urgency_reasons(absl::StrCat(cat.name, ": ", evidence[i][0]));
    result.set_urgent(true);
  }
}

absl::StatusOr<carecast::v1::TextAnalysis> TextAnalyzer::Analyze(
    std::string_view text, const AnalyzeOptions& options) const {
  Workspace& ws = ThreadWorkspace();
  if (absl::Status s = Prepare(text, ws); !s.ok()) return s;
  const NormalizedText& n = ws.normalized;
  carecast::v1::TextAnalysis result;

  SentimentResult sentiment = ScoreSentiment(n, ws.tokens, *lexicon_);
  result.set_sentiment(sentiment.label);
  result.set_sentiment_score(sentiment.score);
  for (std::string& e : sentiment.evidence) result.add_sentiment_evidence(std::move(e));

  // Topics in taxonomy order, each with its distinct matched phrases.
  const auto& topic_hits = ws.hits.of(PhraseList::kTopic);
  if (!topic_hits.empty()) {
    std::vector<std::vector<std::string_view>> evidence(phrases_->topics().size());
    for (const PhraseHit& h : topic_hits) {
      auto& ev = evidence[h.group];
      std::string_view p = phrases_->phrase(h.entry);
      if (ev.size() < 5 && std::find(ev.begin(), ev.end(), p) == ev.end()) ev.push_back(p);
    }
    for (size_t i = 0; i < evidence.size(); ++i) {
      if (evidence[i].empty()) continue;
      carecast::v1::TopicMatch* t = result.add_topics();
      t->set_topic(phrases_->topics()[i]);
      for (std::string_view p : evidence[i]) t->add_evidence(std::string(p));
    }
  }

  // Tracked keywords, as configured, in order of first appearance.
  std::shared_ptr<const KeywordSet> keywords = Keywords();
  ws.keyword_hits.clear();
  keywords->matcher->Scan(n.text, ws.keyword_hits, limits_.max_hits);
  std::vector<uint32_t> seen;
  for (const LiteralMatcher::Hit& h : ws.keyword_hits) {
    if (std::find(seen.begin(), seen.end(), h.id) != seen.end()) continue;
    seen.push_back(h.id);
    result.add_keywords(keywords->display[h.id]);
    if (seen.size() >= 100) break;
  }

  ws.findings.clear();
  phi_->Detect(n, ws.tokens, ws.hits, *phrases_, options.outgoing, ws.findings);
  DetectObfuscatedPhi(ws, options.outgoing, ws.findings);
  cues_->Scan(n, ws.tokens, ws.hits, ws.cues);
  if (options.outgoing) AddReplyFindings(ws, ws.findings);
  bool contains_phi = false;
  for (PhiFinding& f : ws.findings) {
    auto [b, e] = n.ToInput(f.begin, f.end);
    f.begin = b;
    f.end = e;
    ToProto(f, result.add_phi_findings());
    contains_phi = contains_phi || f.confidence >= kGuardThreshold;
  }
  result.set_contains_phi(contains_phi);

  AddUrgency(ws, result);

  SpamResult spam = ScoreSpam(n, ws.tokens, ws.hits, *phrases_);
  result.set_spam_score(spam.score);
  for (std::string& r : spam.reasons) result.add_spam_reasons(std::move(r));

  if (n.zero_width > 0) result.add_normalization_flags("zero_width");
  if (n.bidi_controls > 0) result.add_normalization_flags("bidi_control");
  if (n.homoglyphs > 0) result.add_normalization_flags("homoglyph");
  if (n.digit_lookalikes > 0) result.add_normalization_flags("digit_lookalike");
  if (n.other_script_digits > 0) result.add_normalization_flags("other_script_digits");
  for (const Token& t : ws.tokens) {
    if (t.kind == TokenKind::kHashtag && result.hashtags_size() < 50) {
      result.add_hashtags(std::string(TokenText(n, t).substr(1)));
    }
  }
  result.set_token_count(static_cast<int32_t>(ws.tokens.size()));
  return result;
}

}  // namespace carecast::common::text
