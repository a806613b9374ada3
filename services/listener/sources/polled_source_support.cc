#include "services/listener/sources/polled_source_support.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"
#include "services/common/base/utf8.h"

namespace carecast::listener {
namespace {

using common::AsAbsl;

constexpr size_t kMaxDetail = 200;

// The code point of a numeric reference's inside ("#233", "#xE9"); nullopt
// when it is not one.
std::optional<uint32_t> NumericReference(std::string_view body) {
  if (body.size() < 2 || body[0] != '#') return std::nullopt;
  body.remove_prefix(1);
  int base = 10;
  if (body[0] == 'x' || body[0] == 'X') {
    base = 16;
    body.remove_prefix(1);
  }
  if (body.empty() || body.size() > 8) return std::nullopt;
  uint32_t cp = 0;
  for (char c : body) {
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (base == 16 && c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (base == 16 && c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0) return std::nullopt;
    cp = cp * static_cast<uint32_t>(base) + static_cast<uint32_t>(digit);
  }
  return cp;
}

}  // namespace

absl::Status SourceTransportFailure(std::string_view network, const absl::Status& transport) {
  return absl::UnavailableError(absl::StrCat(AsAbsl(network), ": ", transport.message()));
}

absl::Status SourceHttpFailure(std::string_view network, int status, std::string_view detail) {
  std::string message = absl::StrCat(AsAbsl(network), ": HTTP ", status);
  if (!detail.empty()) {
    absl::StrAppend(&message, ": ", AsAbsl(detail.substr(0, kMaxDetail)));
  }
  if (status == 401) return absl::UnauthenticatedError(message);
  if (status == 408 || status >= 500) return absl::UnavailableError(message);
  return absl::FailedPreconditionError(message);
}

std::optional<absl::Time> ParseRfc3339(std::string_view value) {
  absl::Time time;
  std::string error;
  if (value.empty() || !absl::ParseTime(absl::RFC3339_full, AsAbsl(value), &time, &error)) {
    return std::nullopt;
  }
  return time;
}

google::protobuf::Timestamp ProtoTimestamp(absl::Time time) {
  google::protobuf::Timestamp ts;
  const int64_t seconds = absl::ToUnixSeconds(time);
  ts.set_seconds(seconds);
  ts.set_nanos(
      static_cast<int32_t>((time - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  return ts;
}

std::string UrlEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xF]);
    }
  }
  return out;
}

bool IdLess(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

std::string DecodeHtmlEntities(std::string_view text) {
  static constexpr std::pair<std::string_view, char> kNamed[] = {
      {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t semi = text[i] == '&' ? text.find(';', i + 1) : std::string_view::npos;
    // References are short; a far ';' belongs to something else.
    if (semi == std::string_view::npos || semi - i > 12) {
      out.push_back(text[i++]);
      continue;
    }
    std::string_view body = text.substr(i + 1, semi - i - 1);
    bool decoded = false;
    for (const auto& [name, c] : kNamed) {
      if (body == name) {
        out.push_back(c);
        decoded = true;
        break;
      }
    }
    if (!decoded) {
      if (std::optional<uint32_t> cp = NumericReference(body); cp && *cp != 0) {
        common::AppendUtf8(out, static_cast<char32_t>(*cp));
        decoded = true;
      }
    }
    if (decoded) {
      i = semi + 1;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

std::string WithoutTrailingSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string JsonString(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return "";
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

SourcePage RateLimitedPage(std::string_view checkpoint, std::optional<absl::Time> reset,
                           absl::Time now) {
  SourcePage page;
  page.next_checkpoint = std::string(checkpoint);
  page.not_before = reset.value_or(now + absl::Seconds(60));
  return page;
}

}  // namespace carecast::listener
