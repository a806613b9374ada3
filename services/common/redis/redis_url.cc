#include "services/common/redis/redis_url.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

namespace carecast::common {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) {
      return absl::InvalidArgumentError("bad percent-escape in redis url");
    }
    const int hi = HexValue(s[i + 1]);
    const int lo = HexValue(s[i + 2]);
    if (hi < 0 || lo < 0) return absl::InvalidArgumentError("bad percent-escape in redis url");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

bool ParseInt(std::string_view s, int min, int max, int* out) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  int value = 0;
  if (!absl::SimpleAtoi(AsAbsl(s), &value) || value < min || value > max) return false;
  *out = value;
  return true;
}

}  // namespace

absl::StatusOr<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (!absl::StartsWith(AsAbsl(url), AsAbsl(kScheme))) {
    return absl::InvalidArgumentError("redis url must start with redis:// (no TLS support)");
  }
  std::string_view rest = url.substr(kScheme.size());
  RedisEndpoint endpoint;

  // Credentials end at the last '@', so a password may contain '@' unescaped.
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    std::string_view user = userinfo;
    std::string_view password;
    if (size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      password = userinfo.substr(colon + 1);
    } else {
      // "redis://secret@host": a lone credential is the password, as redis-cli reads it.
      user = {};
      password = userinfo;
    }
    absl::StatusOr<std::string> u = PercentDecode(user);
    if (!u.ok()) return u.status();
    absl::StatusOr<std::string> p = PercentDecode(password);
    if (!p.ok()) return p.status();
    endpoint.user = *u;
    endpoint.password = *p;
  }

  std::string_view hostport = rest;
  std::string_view path;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    path = rest.substr(slash + 1);
  }
  if (path.find('?') != std::string_view::npos) {
    return absl::InvalidArgumentError("redis url query parameters are not supported");
  }
  if (!path.empty() && !ParseInt(path, 0, 1 << 20, &endpoint.db)) {
    return absl::InvalidArgumentError("redis url db must be a non-negative number");
  }

  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {  // [ipv6]:port
    size_t close = hostport.find(']');
    if (close == std::string_view::npos)
      return absl::InvalidArgumentError("unclosed [ in redis url");
    endpoint.host = std::string(hostport.substr(1, close - 1));
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return absl::InvalidArgumentError("bad redis url host");
      port = after.substr(1);
      if (port.empty()) return absl::InvalidArgumentError("redis url port is empty");
    }
  } else if (size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    endpoint.host = std::string(hostport.substr(0, colon));
    port = hostport.substr(colon + 1);
    if (port.empty()) return absl::InvalidArgumentError("redis url port is empty");
  } else {
    endpoint.host = std::string(hostport);
  }
  if (endpoint.host.empty()) return absl::InvalidArgumentError("redis url has no host");
  if (!port.empty() && !ParseInt(port, 1, 65535, &endpoint.port)) {
    return absl::InvalidArgumentError("redis url port must be 1-65535");
  }
  return endpoint;
}

}  // namespace carecast::common
