#include "services/common/text/sentiment.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

namespace carecast::common::text {
namespace {

// Rule constants. The magnitudes follow the empirically derived values published
// with VADER (Hutto & Gilbert 2014) so scores stay comparable to it.
constexpr double kBoost = 0.293;
constexpr double kCapsBoost = 0.733;
constexpr double kNegationScale = -0.74;
constexpr double kBeforeContrast = 0.5;
constexpr double kAfterContrast = 1.5;
constexpr double kExclamation = 0.292;
constexpr double kQuestion = 0.18;
constexpr double kNormAlpha = 15.0;
constexpr int kNegationWindow = 3;

constexpr std::string_view kNegatorWords[] = {
    "not",     "no",      "never",   "none",    "nobody", "nothing", "neither",  "nor",
    "nowhere", "cannot",  "without", "dont",    "doesnt", "didnt",   "isnt",     "arent",
    "wasnt",   "werent",  "wont",    "wouldnt", "cant",   "couldnt", "shouldnt", "havent",
    "hasnt",   "hadnt",   "aint",    "mustnt",  "neednt", "nope",    "nah",      "neednt",
    "darent",  "mightnt", "oughtnt", "shant",   "uh-uh",  "rarely",  "seldom"};

constexpr std::string_view kBoosterWords[] = {
    "absolutely",   "amazingly",  "awfully",      "completely",    "considerably",  "decidedly",
    "deeply",       "enormously", "entirely",     "especially",    "exceptionally", "extremely",
    "fabulously",   "greatly",    "highly",       "hugely",        "incredibly",    "intensely",
    "majorly",      "more",       "most",         "particularly",  "purely",        "quite",
    "really",       "remarkably", "so",           "substantially", "thoroughly",    "totally",
    "tremendously", "truly",      "unbelievably", "unusually",     "utterly",       "very",
    "super",        "soo",        "sooo",         "soooo",         "insanely",      "ridiculously",
    "seriously",    "crazy",      "damn",         "hella",         "mega",          "fully",
    "way",          "too",        "beyond",       "literally"};

constexpr std::string_view kDampenerWords[] = {
    "almost",     "barely",       "hardly", "kinda",    "kindof",   "less",     "little",
    "marginally", "occasionally", "partly", "scarcely", "slightly", "somewhat", "sorta",
    "sortof",     "fairly",       "pretty", "bit",      "mildly"};

constexpr std::string_view kContrastWords[] = {"but", "however", "yet", "although", "though"};

bool IsClauseBreak(const NormalizedText& n, const Token& t) {
  if (t.kind != TokenKind::kPunct) return false;
  char c = n.text[t.begin];
  return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '(' ||
         c == ')';
}

absl::Status ParseInto(std::string_view source, SentimentLexicon& lex) {
  size_t pos = 0;
  int line_no = 0;
  while (pos < source.size()) {
    size_t nl = source.find('\n', pos);
    if (nl == std::string_view::npos) nl = source.size();
    std::string_view line = source.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.substr(0, 2) == "# ") continue;
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("lexicon line ", line_no, " has no tab"));
    }
    std::string_view value_text = line.substr(tab + 1);
    size_t tab2 = value_text.find('\t');
    if (tab2 != std::string_view::npos) value_text = value_text.substr(0, tab2);
    float value = 0;
    if (!absl::SimpleAtof(AsAbsl(value_text), &value) || !std::isfinite(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("lexicon line ", line_no, " has a bad valence"));
    }
    std::string key = NormalizeTerm(line.substr(0, tab));
    if (key.empty()) continue;
    if (size_t sp = key.find(' '); sp != std::string::npos) {
      lex.words[key.substr(0, sp)].flags |= SentimentLexicon::kBigramHead;
      lex.bigrams[key] = value;
      continue;
    }
    SentimentLexicon::WordInfo& info = lex.words[key];
    info.valence = value;
    if (value != 0)
      info.flags |= SentimentLexicon::kValence;
    else
      info.flags &= static_cast<uint8_t>(~SentimentLexicon::kValence);
    auto first = static_cast<unsigned char>(key[0]);
    bool punct_start = first < 0x80 && !std::isalnum(first) && first != '#' && first != '@';
    if (punct_start && key.size() >= 2 && key.size() <= 5) lex.emoticons.insert(key);
  }
  return absl::OkStatus();
}

struct Scored {
  size_t token;   // index of the sentiment-bearing token
  size_t length;  // 1 or 2 tokens
  double value;
  bool negated;
};

}  // namespace

absl::StatusOr<SentimentLexicon> SentimentLexicon::Parse(std::string_view general,
                                                         std::string_view domain,
                                                         std::string_view emoji) {
  SentimentLexicon lex;
  if (absl::Status s = ParseInto(general, lex); !s.ok()) return s;
  if (absl::Status s = ParseInto(domain, lex); !s.ok()) return s;
  if (absl::Status s = ParseInto(emoji, lex); !s.ok()) return s;
  auto mark = [&](std::string_view w, uint8_t flag) { lex.words[std::string(w)].flags |= flag; };
  for (std::string_view w : kBoosterWords) mark(w, kBooster);
  for (std::string_view w : kDampenerWords) mark(w, kDampener);
  for (std::string_view w : kNegatorWords) mark(w, kNegator);
  for (std::string_view w : kContrastWords) mark(w, kContrast);
  return lex;
}

SentimentResult ScoreSentiment(const NormalizedText& n, const std::vector<Token>& tokens,
                               const SentimentLexicon& lexicon) {
  using Info = SentimentLexicon::WordInfo;
  SentimentResult result;
  // Only words, hashtags, emoji and emoticons carry sentiment; links, handles
  // and numbers do not. Work on that subsequence, keeping clause breaks, with
  // one lexicon lookup per token.
  thread_local std::vector<size_t> seq;
  thread_local std::vector<Info> info;
  seq.clear();
  info.clear();
  int letters_words = 0, caps_words = 0;
  auto text_of = [&](const Token& t) {
    std::string_view w = TokenText(n, t);
    if (t.kind == TokenKind::kHashtag) w.remove_prefix(1);
    return w;
  };
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    bool brk = IsClauseBreak(n, t);
    if (t.kind == TokenKind::kWord || t.kind == TokenKind::kHashtag ||
        t.kind == TokenKind::kEmoji || t.kind == TokenKind::kEmoticon || brk) {
      seq.push_back(i);
      Info in;
      if (!brk) {
        std::string_view w = text_of(t);
        if (auto it = lexicon.words.find(AsAbsl(w)); it != lexicon.words.end()) in = it->second;
        if (w.size() > 3 && w.substr(w.size() - 3) == "n't") in.flags |= SentimentLexicon::kNegator;
      }
      info.push_back(in);
    }
    if (t.kind == TokenKind::kWord && t.end - t.begin >= 2) {
      ++letters_words;
      if (t.all_caps) ++caps_words;
    }
  }
  // Caps emphasise a word only when the rest of the text is not shouting too.
  bool caps_differential = caps_words > 0 && caps_words < letters_words;
  auto word_at = [&](size_t k) { return text_of(tokens[seq[k]]); };
  auto is_break = [&](size_t k) { return tokens[seq[k]].kind == TokenKind::kPunct; };
  auto has = [&](size_t k, uint8_t flag) { return (info[k].flags & flag) != 0; };

  thread_local std::vector<Scored> scored;
  thread_local std::string bigram;
  scored.clear();
  size_t contrast_at = seq.size();  // first "but"-like word
  for (size_t k = 0; k < seq.size(); ++k) {
    if (is_break(k)) continue;
    if (contrast_at == seq.size() && has(k, SentimentLexicon::kContrast) && k > 0) contrast_at = k;
    double v = 0;
    size_t len = 1;
    if (has(k, SentimentLexicon::kBigramHead) && k + 1 < seq.size() && !is_break(k + 1)) {
      std::string_view w = word_at(k), w2 = word_at(k + 1);
      bigram.assign(w.data(), w.size());
      bigram.push_back(' ');
      bigram.append(w2.data(), w2.size());
      if (auto it = lexicon.bigrams.find(bigram); it != lexicon.bigrams.end()) {
        v = it->second;
        len = 2;
      }
    }
    if (len == 1) {
      if (!has(k, SentimentLexicon::kValence)) continue;
      if (has(k, SentimentLexicon::kBooster) || has(k, SentimentLexicon::kDampener)) continue;
      // "kind of", "sort of": a hedge, not kindness.
      std::string_view w = word_at(k);
      if ((w == "kind" || w == "sort") && k + 1 < seq.size() && word_at(k + 1) == "of") continue;
      v = info[k].valence;
    } else if (v == 0) {
      ++k;
      continue;
    }
    double sign = v > 0 ? 1 : -1;
    const Token& tok = tokens[seq[k]];
    if (caps_differential && tok.all_caps) v += sign * kCapsBoost;
    // Intensifiers up to three words back, weaker with distance.
    bool negated = false;
    for (int back = 1; back <= kNegationWindow && static_cast<int>(k) - back >= 0; ++back) {
      size_t p = k - back;
      if (is_break(p)) break;
      double scale = back == 1 ? 1.0 : back == 2 ? 0.95 : 0.9;
      if (has(p, SentimentLexicon::kBooster)) {
        double b = kBoost * scale;
        if (caps_differential && tokens[seq[p]].all_caps) b += kCapsBoost * 0.5;
        v += sign * b;
      } else if (has(p, SentimentLexicon::kDampener)) {
        v -= sign * kBoost * scale;
      }
      if (has(p, SentimentLexicon::kNegator)) negated = true;
      if (has(p, SentimentLexicon::kContrast)) break;
    }
    if (negated) v *= kNegationScale;
    scored.push_back({k, len, v, negated});
    k += len - 1;
  }
  double sum = 0;
  for (Scored& s : scored) {
    if (contrast_at < seq.size()) {
      if (s.token < contrast_at)
        s.value *= kBeforeContrast;
      else if (s.token > contrast_at)
        s.value *= kAfterContrast;
    }
    sum += s.value;
  }
  if (sum != 0) {
    int exclamations = 0, questions = 0;
    for (char c : n.text) {
      if (c == '!')
        ++exclamations;
      else if (c == '?')
        ++questions;
    }
    double emphasis = std::min(exclamations, 4) * kExclamation;
    if (questions > 1) emphasis += questions <= 3 ? questions * kQuestion : 0.96;
    sum += sum > 0 ? emphasis : -emphasis;
  }
  double score = sum / std::sqrt(sum * sum + kNormAlpha);
  score = std::clamp(score, -1.0, 1.0);
  result.score = score;
  if (score >= kPositiveThreshold)
    result.label = carecast::v1::SENTIMENT_POSITIVE;
  else if (score <= -kPositiveThreshold)
    result.label = carecast::v1::SENTIMENT_NEGATIVE;
  else
    result.label = carecast::v1::SENTIMENT_NEUTRAL;
  std::sort(scored.begin(), scored.end(),
            [](const Scored& a, const Scored& b) { return std::abs(a.value) > std::abs(b.value); });
  for (const Scored& s : scored) {
    if (result.evidence.size() >= 6) break;
    std::string ev = s.negated ? "not " : "";
    ev.append(word_at(s.token));
    if (s.length == 2) {
      ev.push_back(' ');
      ev.append(word_at(s.token + 1));
    }
    if (std::find(result.evidence.begin(), result.evidence.end(), ev) == result.evidence.end()) {
      result.evidence.push_back(std::move(ev));
    }
  }
  return result;
}

}  // namespace carecast::common::text
