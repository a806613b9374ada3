#include "services/planner/content_rules.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include <re2/re2.h>

#include "services/common/base/ids.h"
#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"
#include "services/planner/validation.h"

namespace carecast::planner {
namespace {

using carecast::v1::Content;
using carecast::v1::Network;

constexpr size_t kXUrlWeight = 23;

uint32_t DecodeAt(std::string_view s, size_t i, size_t len) {
  auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(s[i + k])); };
  switch (len) {
    case 1:
      return b(0);
    case 2:
      return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3:
      return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default:
      return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

size_t XCodePointWeight(uint32_t cp) {
  bool light = cp <= 0x10FF || (cp >= 0x2000 && cp <= 0x200D) || (cp >= 0x2010 && cp <= 0x201F) ||
               (cp >= 0x2032 && cp <= 0x2037);
  return light ? 1 : 2;
}

size_t XWeightOfPlainText(std::string_view s) {
  size_t weight = 0;
  for (size_t i = 0; i < s.size();) {
    size_t len = common::Utf8SequenceLength(s, i);
    if (len == 0) len = 1;  // callers validate first; never loop forever
    weight += XCodePointWeight(DecodeAt(s, i, len));
    i += len;
  }
  return weight;
}

void AppendField(std::string& out, std::string_view field) {
  absl::StrAppend(&out, field.size(), ":", absl::string_view(field.data(), field.size()), ";");
}

}  // namespace

size_t VariantCharLimit(Network network) {
  switch (network) {
    case carecast::v1::NETWORK_X:
      return 280;
    case carecast::v1::NETWORK_LINKEDIN:
      return 3000;
    case carecast::v1::NETWORK_FACEBOOK:
      return 63206;
    case carecast::v1::NETWORK_INSTAGRAM:
      return 2200;
    case carecast::v1::NETWORK_MASTODON:
      return 500;
    case carecast::v1::NETWORK_SANDBOX:
      return 0;
    case carecast::v1::NETWORK_UNSPECIFIED:
      return 0;
    case carecast::v1::Network_INT_MIN_SENTINEL_DO_NOT_USE_:
    case carecast::v1::Network_INT_MAX_SENTINEL_DO_NOT_USE_:
      return 0;
  }
  return 0;
}

std::string_view NetworkField(Network network) {
  switch (network) {
    case carecast::v1::NETWORK_X:
      return "x";
    case carecast::v1::NETWORK_LINKEDIN:
      return "linkedin";
    case carecast::v1::NETWORK_FACEBOOK:
      return "facebook";
    case carecast::v1::NETWORK_INSTAGRAM:
      return "instagram";
    case carecast::v1::NETWORK_MASTODON:
      return "mastodon";
    case carecast::v1::NETWORK_SANDBOX:
      return "sandbox";
    case carecast::v1::NETWORK_UNSPECIFIED:
      return "unspecified";
    case carecast::v1::Network_INT_MIN_SENTINEL_DO_NOT_USE_:
    case carecast::v1::Network_INT_MAX_SENTINEL_DO_NOT_USE_:
      return "unknown";
  }
  return "unknown";
}

size_t XWeightedLength(std::string_view text) {
  static const RE2 kUrl(R"((?i)https?://[^\s]+)");
  size_t weight = 0;
  re2::StringPiece input(text.data(), text.size());
  re2::StringPiece match;
  size_t pos = 0;
  while (pos < text.size() && kUrl.Match(input, pos, text.size(), RE2::UNANCHORED, &match, 1)) {
    size_t begin = static_cast<size_t>(match.data() - text.data());
    weight += XWeightOfPlainText(text.substr(pos, begin - pos)) + kXUrlWeight;
    pos = begin + match.size();
  }
  return weight + XWeightOfPlainText(text.substr(pos));
}

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
  if (content.variants_size() > 6) {
    return absl::InvalidArgumentError("content.variants holds more than one variant per network");
  }
  std::set<int> seen;
  for (const auto& v : content.variants()) {
    if (v.network() == carecast::v1::NETWORK_UNSPECIFIED ||
        !carecast::v1::Network_IsValid(v.network())) {
      return absl::InvalidArgumentError("content.variants[].network must be a known network");
    }
    std::string field =
        absl::StrCat("content.variants[", common::AsAbsl(NetworkField(v.network())), "].text");
    if (!seen.insert(v.network()).second) {
      return absl::InvalidArgumentError(absl::StrCat("content.variants has two variants for ",
                                                     common::AsAbsl(NetworkField(v.network())),
                                                     "; at most one per network"));
    }
    if (v.text().empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
    // Bytes are capped first to bound the work on hostile input: four per
    // character of the network's limit (UTF-8's widest), or the master cap.
    const size_t limit = VariantCharLimit(v.network());
    const size_t max_bytes = limit == 0 ? kMaxMasterTextBytes : limit * 4;
    if (v.text().size() > max_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " is larger than ", max_bytes, " bytes"));
    }
    if (!common::IsValidUtf8(v.text())) {
      return absl::InvalidArgumentError(absl::StrCat(field, " is not valid UTF-8"));
    }
    if (limit == 0) continue;
    size_t length = v.network() == carecast::v1::NETWORK_X ? XWeightedLength(v.text())
                                                           : common::CodePointCount(v.text());
    if (length > limit) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, " is ", length, " characters; ", common::AsAbsl(NetworkField(v.network())),
          " allows at most ", limit,
          v.network() == carecast::v1::NETWORK_X ? " (URLs count 23, CJK and emoji count 2)" : ""));
    }
  }
  return absl::OkStatus();
}

void SortVariants(Content* content) {
  std::sort(content->mutable_variants()->begin(), content->mutable_variants()->end(),
            [](const auto& a, const auto& b) { return a.network() < b.network(); });
}

std::string ContentHash(const Content& content) {
  std::vector<std::pair<int, std::string>> variants;
  for (const auto& v : content.variants()) variants.emplace_back(v.network(), v.text());
  std::sort(variants.begin(), variants.end());
  std::string canonical = "carecast.content.v1;";
  AppendField(canonical, content.title());
  AppendField(canonical, content.text());
  absl::StrAppend(&canonical, variants.size(), ";");
  for (const auto& [network, text] : variants) {
    absl::StrAppend(&canonical, network, ";");
    AppendField(canonical, text);
  }
  return common::Sha256Hex(canonical);
}

}  // namespace carecast::planner
