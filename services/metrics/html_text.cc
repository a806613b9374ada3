#include "services/metrics/html_text.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include <openssl/evp.h>

#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"

namespace carecast::metrics {

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t length = common::Utf8SequenceLength(text, i);
      if (length == 0) {
        out.append("\xEF\xBF\xBD");
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '"':
        out.append("&quot;");
        break;
      case '\'':
        out.append("&#39;");
        break;
      default:
        if (c >= 0x20 || c == '\t' || c == '\n') out.push_back(static_cast<char>(c));
        if (c == 0x7F) out.pop_back();
        break;
    }
  }
  return out;
}

bool IsSafeHttpUrl(std::string_view url) {
  const absl::string_view u = common::AsAbsl(url);
  const bool http = absl::StartsWithIgnoreCase(u, "http://") && u.size() > 7;
  const bool https = absl::StartsWithIgnoreCase(u, "https://") && u.size() > 8;
  if (!http && !https) return false;
  for (char c : u) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b == 0x7F) return false;
  }
  return true;
}

std::string Sha256Base64(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1) return {};
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(digest), static_cast<size_t>(length)));
}

}  // namespace carecast::metrics
