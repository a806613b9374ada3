// Outgoing HTTP: the one interface every network adapter uses, so adapters can
// be tested against local servers and production can go through an egress proxy.
// `CurlHttpClient` (curl_http_client.h) is the implementation.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace carecast::common {

struct HttpCall {
  std::string method = "GET";  // GET, POST, PUT, PATCH or DELETE
  std::string url;             // absolute http:// or https:// URL
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent as is; set Content-Type in headers
  // The whole call (connect, send, wait, read) must finish within this.
  absl::Duration timeout = absl::Seconds(20);
};

struct HttpReply {
  int status = 0;
  // Names lower-cased, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header named `name` (any case); empty when absent.
  std::string Header(std::string_view name) const;
};

// Thread-safe. Any reply the server sent (including 4xx and 5xx) is OK with its
// status; only transport failures are errors, and their code says whether the
// request can have reached the server:
//   UNAVAILABLE        it certainly did not (DNS, connect refused, TLS handshake,
//                      proxy refusal): safe to send again;
//   DEADLINE_EXCEEDED  the timeout ran out after the request may have been sent;
//   INTERNAL           the connection broke after the request may have been sent;
//   RESOURCE_EXHAUSTED the reply was larger than the client's cap (the request
//                      was received and may have been acted on);
//   INVALID_ARGUMENT   the call itself is malformed (bad URL or method).
// Messages name the host and the failure, never headers or bodies (tokens).
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual absl::StatusOr<HttpReply> Send(const HttpCall& call) = 0;
};

}  // namespace carecast::common
