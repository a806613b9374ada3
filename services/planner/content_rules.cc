#include "services/planner/content_rules.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "services/common/base/ids.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"
#include "services/common/lifecycle/patient_consent.h"
#include "services/common/networks/network_rules.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

using carecast::v1::Content;
using carecast::v1::Network;
namespace networks = common::networks;

void AppendField(std::string& out, std::string_view field) {
  absl::StrAppend(&out, field.size(), ":", absl::string_view(field.data(), field.size()), ";");
}

// The bytes a variant may hold before it is measured, to bound the work on
// hostile input. A code point is at most four bytes, so a character-counted
// network needs no more than four per character; a grapheme or an X "character"
// can be much longer (an emoji ZWJ sequence, a link), so those get the master
// cap, which the linear counters handle easily.
size_t MaxVariantBytes(const networks::NetworkRules& rules) {
  if (rules.max_text == 0) return kMaxMasterTextBytes;
  switch (rules.text_unit) {
    case networks::TextUnit::kCharacters:
      return rules.max_text * 4;
    case networks::TextUnit::kBytes:
      return rules.max_text;
    case networks::TextUnit::kXWeighted:
    case networks::TextUnit::kMastodon:
    case networks::TextUnit::kGraphemes:
      return kMaxMasterTextBytes;
  }
  return kMaxMasterTextBytes;
}

std::string_view UnitNote(networks::TextUnit unit) {
  switch (unit) {
    case networks::TextUnit::kXWeighted:
      return " (URLs count 23, CJK and emoji count 2)";
    case networks::TextUnit::kMastodon:
      return " (URLs count 23)";
    case networks::TextUnit::kGraphemes:
      return " (counted as graphemes)";
    case networks::TextUnit::kCharacters:
    case networks::TextUnit::kBytes:
      return "";
  }
  return "";
}

// One text a network will carry (a variant's text or one of its thread parts):
// present, bounded, UTF-8 and within the network's length limits.
absl::Status CheckVariantText(const networks::NetworkRules& rules, const std::string& field,
                              const std::string& text) {
  const absl::string_view name = common::AsAbsl(rules.name);
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  const size_t max_bytes = MaxVariantBytes(rules);
  if (text.size() > max_bytes) {
    if (rules.text_unit == networks::TextUnit::kBytes) {
      return absl::InvalidArgumentError(absl::StrCat(field, " is ", text.size(), " bytes; ", name,
                                                     " allows at most ", max_bytes));
    }
    return absl::InvalidArgumentError(absl::StrCat(field, " is larger than ", max_bytes, " bytes"));
  }
  if (!common::IsValidUtf8(text)) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is not valid UTF-8"));
  }
  const std::string_view unit =
      rules.text_unit == networks::TextUnit::kBytes ? "bytes" : "characters";
  if (rules.max_text > 0) {
    const size_t length = networks::TextLength(rules, text);
    if (length > rules.max_text) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, " is ", length, " ", common::AsAbsl(unit), "; ", name, " allows at most ",
          rules.max_text, common::AsAbsl(UnitNote(rules.text_unit))));
    }
  }
  if (rules.max_text_bytes > 0 && text.size() > rules.max_text_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is ", text.size(), " bytes; ", name,
                                                   " allows at most ", rules.max_text_bytes,
                                                   " bytes"));
  }
  return absl::OkStatus();
}

// A variant's thread parts: only where replies are posts of their own, at most
// kMaxThreadParts, each checked like the variant's text.
absl::Status CheckThreadParts(const networks::NetworkRules& rules,
                              const carecast::v1::ContentVariant& variant) {
  if (variant.thread_parts().empty()) return absl::OkStatus();
  const absl::string_view name = common::AsAbsl(rules.name);
  if (rules.replies != networks::ReplyStyle::kThreadPost) {
    return absl::InvalidArgumentError(
        absl::StrCat("content.variants[", name, "].thread_parts: ", name,
                     " has no threads (only X, Mastodon and Bluesky do)"));
  }
  if (static_cast<size_t>(variant.thread_parts_size()) > kMaxThreadParts) {
    return absl::InvalidArgumentError(
        absl::StrCat("content.variants[", name, "].thread_parts has ", variant.thread_parts_size(),
                     " parts; a thread has at most ", kMaxThreadParts + 1, " posts"));
  }
  for (int i = 0; i < variant.thread_parts_size(); ++i) {
    RETURN_IF_ERROR(
        CheckVariantText(rules, absl::StrCat("content.variants[", name, "].thread_parts[", i, "]"),
                         variant.thread_parts(i)));
  }
  return absl::OkStatus();
}

// content.features_patient and content.patient_authorization: the name's
// form, and no authorization on content that features no patient.
absl::Status ValidatePatientFields(const Content& content) {
  const std::string& name = content.patient_authorization();
  if (name.empty()) return absl::OkStatus();
  const std::string key = lifecycle::PatientAuthorizationKeyOf(name);
  if (key.empty() || !common::IsValidId(std::string_view(key).substr(
                         lifecycle::kPatientAuthorizationKeyPrefix.size()))) {
    return absl::InvalidArgumentError(
        "content.patient_authorization must be patientAuthorizations/{authorization}");
  }
  if (!content.features_patient()) {
    return absl::InvalidArgumentError(
        "content.patient_authorization is set but content.features_patient is false");
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view NetworkField(Network network) { return networks::NetworkName(network); }

absl::Status ValidateContentBody(const Content& content) {
  if (absl::Status s = CheckText("content.title", content.title(), kMaxTitleChars, false);
      !s.ok()) {
    return s;
  }
  if (content.text().empty()) return absl::InvalidArgumentError("content.text is required");
  if (content.text().size() > kMaxMasterTextBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("content.text is larger than ", kMaxMasterTextBytes, " bytes"));
  }
  if (!common::IsValidUtf8(content.text())) {
    return absl::InvalidArgumentError("content.text is not valid UTF-8");
  }
  if (static_cast<size_t>(content.variants_size()) > networks::AllRules().size()) {
    return absl::InvalidArgumentError("content.variants holds more than one variant per network");
  }
  std::set<int> seen;
  for (const auto& v : content.variants()) {
    const networks::NetworkRules* rules = networks::FindRules(v.network());
    if (rules == nullptr) {
      return absl::InvalidArgumentError("content.variants[].network must be a known network");
    }
    const absl::string_view name = common::AsAbsl(rules->name);
    if (!seen.insert(v.network()).second) {
      return absl::InvalidArgumentError(absl::StrCat("content.variants has two variants for ", name,
                                                     "; at most one per network"));
    }
    RETURN_IF_ERROR(
        CheckVariantText(*rules, absl::StrCat("content.variants[", name, "].text"), v.text()));
    RETURN_IF_ERROR(CheckThreadParts(*rules, v));
  }
  if (absl::Status patient = ValidatePatientFields(content); !patient.ok()) return patient;
  return networks::ValidateMedia("content.media", content.media());
}

absl::Status CheckContentFitsNetworks(const Content& content) {
  std::vector<std::string> problems;
  for (const auto& v : content.variants()) {
    absl::Status fits = networks::CheckPostFits(v.network(), v.text(), content.media());
    if (!fits.ok()) problems.emplace_back(fits.message());
    // Later thread parts carry no image.
    for (const std::string& part : v.thread_parts()) {
      absl::Status part_fits =
          networks::CheckPostFits(v.network(), part, std::vector<carecast::v1::MediaItem>{});
      if (!part_fits.ok()) problems.emplace_back(part_fits.message());
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("the content cannot be posted as it stands: ", absl::StrJoin(problems, "; ")));
}

void SortVariants(Content* content) {
  std::sort(content->mutable_variants()->begin(), content->mutable_variants()->end(),
            [](const auto& a, const auto& b) { return a.network() < b.network(); });
}

std::string ContentHash(const Content& content) {
  std::vector<const carecast::v1::ContentVariant*> variants;
  for (const auto& v : content.variants()) variants.push_back(&v);
  std::sort(variants.begin(), variants.end(),
            [](const auto* a, const auto* b) { return a->network() < b->network(); });
  std::string canonical = "carecast.content.v1;";
  AppendField(canonical, content.title());
  AppendField(canonical, content.text());
  absl::StrAppend(&canonical, variants.size(), ";");
  for (const carecast::v1::ContentVariant* v : variants) {
    absl::StrAppend(&canonical, v->network(), ";");
    AppendField(canonical, v->text());
  }
  // Appended only when present, so the hash of content without media (every
  // approval given before media existed) is unchanged.
  if (content.media_size() > 0) {
    absl::StrAppend(&canonical, "media;", content.media_size(), ";");
    for (const auto& m : content.media()) {
      AppendField(canonical, m.url());
      AppendField(canonical, m.alt_text());
      AppendField(canonical, m.mime_type());
      absl::StrAppend(&canonical, m.size_bytes(), ";");
    }
  }
  // Thread parts likewise, only for the variants that have them.
  for (const carecast::v1::ContentVariant* v : variants) {
    if (v->thread_parts().empty()) continue;
    absl::StrAppend(&canonical, "thread;", v->network(), ";", v->thread_parts_size(), ";");
    for (const std::string& part : v->thread_parts()) AppendField(canonical, part);
  }
  // Likewise appended only for content that features a patient: changing the
  // consent it relies on needs a new review.
  if (content.features_patient()) {
    absl::StrAppend(&canonical, "patient;");
    AppendField(canonical, content.patient_authorization());
  }
  return common::Sha256Hex(canonical);
}

}  // namespace carecast::planner
