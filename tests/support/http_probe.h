// A minimal blocking HTTP/1.1 client over a loopback socket, for tests of HTTP
// endpoints (/metrics, /readyz, webhooks) without another HTTP library.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace carecast::testing {

struct HttpProbeResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  // Every header, the name in lower case (the first value when repeated).
  std::map<std::string, std::string> headers;
};

// Sends one request to 127.0.0.1:`port` with "Connection: close" and reads the
// whole response. UNAVAILABLE when the connection fails.
absl::StatusOr<HttpProbeResponse> HttpCall(
    int port, const std::string& method, const std::string& path, const std::string& body = "",
    const std::vector<std::pair<std::string, std::string>>& headers = {},
    absl::Duration timeout = absl::Seconds(5));

}  // namespace carecast::testing
