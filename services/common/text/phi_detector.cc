#include "services/common/text/phi_detector.h"

#include <algorithm>

#include <re2/re2.h>

#include "services/common/text/phi_context.h"
#include "services/common/text/phi_patterns.h"

namespace carecast::common::text {

std::string_view PhiKindName(PhiKind kind) {
  switch (kind) {
    case PhiKind::kName:
      return "name";
    case PhiKind::kDate:
      return "date";
    case PhiKind::kAgeOver89:
      return "age_over_89";
    case PhiKind::kPhone:
      return "phone";
    case PhiKind::kFax:
      return "fax";
    case PhiKind::kEmail:
      return "email";
    case PhiKind::kSsn:
      return "ssn";
    case PhiKind::kMedicalRecordNumber:
      return "medical_record_number";
    case PhiKind::kHealthPlanNumber:
      return "health_plan_number";
    case PhiKind::kAccountNumber:
      return "account_number";
    case PhiKind::kStreetAddress:
      return "street_address";
    case PhiKind::kZipCode:
      return "zip_code";
    case PhiKind::kUrl:
      return "url";
    case PhiKind::kIpAddress:
      return "ip_address";
    case PhiKind::kDeviceId:
      return "device_id";
    case PhiKind::kLicensePlate:
      return "license_plate";
    case PhiKind::kLicenseNumber:
      return "license_number";
    case PhiKind::kOtherId:
      return "other_id";
    case PhiKind::kPatientDisclosure:
      return "patient_disclosure";
    case PhiKind::kPatientConfirmation:
      return "patient_confirmation";
    case PhiKind::kMedicalAdvice:
      return "medical_advice";
  }
  return "unknown";
}

namespace {

bool IsAbbreviationBefore(std::string_view t, size_t dot) {
  size_t b = dot;
  while (b > 0 && t[b - 1] >= 'a' && t[b - 1] <= 'z') --b;
  std::string_view w = t.substr(b, dot - b);
  return w == "dr" || w == "mr" || w == "mrs" || w == "ms" || w == "st" || w == "jr" || w == "sr" ||
         w == "vs" || w == "apt" || w == "no" || w.size() == 1;
}

bool IsBirthPhrase(std::string_view p) {
  return p == "born" || p == "birth" || p == "birthday" || p == "dob" || p == "d.o.b." ||
         p == "date of birth";
}

bool Spans(const PhiFinding& f) {
  return f.kind != PhiKind::kPatientDisclosure && f.kind != PhiKind::kPatientConfirmation &&
         f.kind != PhiKind::kMedicalAdvice;
}

// Overlapping identifiers: the most confident reading wins; same-kind overlaps merge.
void Resolve(std::vector<PhiFinding>& findings, size_t from) {
  std::sort(findings.begin() + static_cast<std::ptrdiff_t>(from), findings.end(),
            [](const PhiFinding& a, const PhiFinding& b) {
              return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
            });
  std::vector<PhiFinding> kept;
  std::vector<PhiFinding> other;
  for (size_t i = from; i < findings.size(); ++i) {
    const PhiFinding& f = findings[i];
    if (!Spans(f)) {
      if (!other.empty() && other.back().kind == f.kind && f.begin < other.back().end) {
        other.back().end = std::max(other.back().end, f.end);
        other.back().confidence = std::max(other.back().confidence, f.confidence);
      } else {
        other.push_back(f);
      }
      continue;
    }
    if (!kept.empty() && f.begin < kept.back().end) {
      PhiFinding& k = kept.back();
      if (k.kind == f.kind) {
        k.end = std::max(k.end, f.end);
        if (f.confidence > k.confidence) {
          k.confidence = f.confidence;
          k.reason = f.reason;
        }
      } else if (f.confidence > k.confidence ||
                 (f.confidence == k.confidence && f.end - f.begin > k.end - k.begin)) {
        k = f;
      }
      continue;
    }
    kept.push_back(f);
  }
  findings.resize(from);
  findings.insert(findings.end(), kept.begin(), kept.end());
  findings.insert(findings.end(), other.begin(), other.end());
  std::sort(findings.begin() + static_cast<std::ptrdiff_t>(from), findings.end(),
            [](const PhiFinding& a, const PhiFinding& b) { return a.begin < b.begin; });
}

}  // namespace

absl::StatusOr<std::unique_ptr<PhiDetector>> PhiDetector::Create(NameLists names) {
  std::unique_ptr<PhiDetector> d(new PhiDetector());
  d->names_ = std::move(names);
  d->patterns_ = std::make_unique<Patterns>();
  for (const re2::RE2* re :
       {&d->patterns_->obfuscated_email, &d->patterns_->month_first, &d->patterns_->day_first,
        &d->patterns_->street, &d->patterns_->po_box, &d->patterns_->mac, &d->patterns_->ipv6}) {
    if (!re->ok()) return absl::InternalError("a built-in PHI pattern does not compile");
  }
  return d;
}

PhiDetector::~PhiDetector() = default;

void PhiDetector::Detect(const NormalizedText& n, const std::vector<Token>& tokens,
                         const PhraseHits& hits, const PhraseIndex& index, bool outgoing,
                         std::vector<PhiFinding>& out) const {
  size_t from = out.size();
  struct Scratch {
    std::vector<uint16_t> end_flags;
    std::vector<uint32_t> sentence_start;
    std::vector<uint8_t> sentence_person;
    std::vector<uint8_t> sentence_birth;
    std::vector<std::vector<uint32_t>> context_ends;
  };
  thread_local Scratch scratch;
  scratch.sentence_start.clear();
  scratch.context_ends.resize(kPhiKindCount);
  for (auto& v : scratch.context_ends) v.clear();
  phi::Context c{n,
                 n.text,
                 tokens,
                 hits,
                 index,
                 outgoing,
                 out,
                 scratch.end_flags,
                 scratch.sentence_start,
                 scratch.sentence_person,
                 scratch.sentence_birth,
                 scratch.context_ends};
  std::string_view t = n.text;
  c.end_flags.assign(t.size() + 1, 0);
  auto flag = [&](PhraseList l, uint16_t bit) {
    for (const PhraseHit& h : hits.of(l)) c.end_flags[h.end] |= bit;
  };
  flag(PhraseList::kNameTitle, phi::kEndTitle);
  flag(PhraseList::kPersonRelation, phi::kEndRelation);
  flag(PhraseList::kNameCue, phi::kEndCue);
  flag(PhraseList::kPersonSelf, phi::kEndSelf);
  flag(PhraseList::kPersonThird, phi::kEndThird);
  flag(PhraseList::kDatePerson, phi::kEndDatePerson);
  c.sentence_start.push_back(0);
  for (size_t i = 0; i < t.size(); ++i) {
    char ch = t[i];
    bool end = ch == '\n' || ch == '!' || ch == '?' || (ch == '.' && !IsAbbreviationBefore(t, i));
    if (end && (i + 1 == t.size() || t[i + 1] == ' ' || t[i + 1] == '\n')) {
      c.sentence_start.push_back(static_cast<uint32_t>(i + 1));
    }
  }
  c.sentence_person.assign(c.sentence_start.size(), 0);
  c.sentence_birth.assign(c.sentence_start.size(), 0);
  for (PhraseList l : {PhraseList::kPersonSelf, PhraseList::kPersonRelation,
                       PhraseList::kPersonThird, PhraseList::kDatePerson}) {
    for (const PhraseHit& h : hits.of(l)) {
      size_t s = c.SentenceOf(h.begin);
      c.sentence_person[s] = 1;
      if (l == PhraseList::kDatePerson && IsBirthPhrase(index.phrase(h.entry)))
        c.sentence_birth[s] = 1;
    }
  }
  for (const PhraseHit& h : hits.of(PhraseList::kIdContext))
    c.context_ends[h.group].push_back(h.end);

  phi::DetectPatterns(c, *patterns_);
  phi::DetectNumbers(c);
  phi::DetectContextIds(c);
  phi::DetectNames(c, names_);
  phi::DetectDisclosure(c);
  phi::DetectConfirmation(c);
  Resolve(out, from);
}

}  // namespace carecast::common::text
