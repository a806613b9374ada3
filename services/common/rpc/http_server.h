// A small HTTP server on its own threads: /metrics (Prometheus text format from a
// registry), /healthz (process alive), /readyz (ready to serve), plus routes a
// service adds (the listener's webhook). Built on cpp-httplib.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include <prometheus/registry.h>

namespace carecast::common {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string body;
  std::string content_type;
  // Value of the Authorization header, if any.
  std::string authorization;
  // The query parameters (the first value of each) and If-None-Match.
  std::map<std::string, std::string> query;
  std::string if_none_match;
  // Every header, the name in lower case (the first value when repeated).
  std::map<std::string, std::string> headers;

  // The header `lower_case_name`, or empty.
  std::string Header(const std::string& lower_case_name) const {
    auto it = headers.find(lower_case_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra response headers (ETag, Cache-Control, ...).
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string address = "0.0.0.0";
  int port = 0;                                // 0: pick a free port
  size_t max_body_bytes = size_t{256} * 1024;  // larger bodies get 413 before any handler
};

// Thread-safe. Routes must be added before Start().
class HttpServer {
 public:
  HttpServer(HttpServerOptions options, prometheus::Registry& registry);
  ~HttpServer();

  // Exact-path route for POST requests.
  void AddPostRoute(const std::string& path, HttpHandler handler);
  // Exact-path route for GET requests (e.g. a webhook's verification handshake).
  void AddGetRoute(const std::string& path, HttpHandler handler);
  // GET route for every path that is `prefix` followed by one segment of
  // [A-Za-z0-9._-] (e.g. "/feeds/spokes/" + "north.ics"); the handler reads
  // the whole path from the request.
  void AddGetPrefixRoute(const std::string& prefix, HttpHandler handler);
  absl::Status Start();
  int port() const;
  void SetReady(bool ready);
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace carecast::common
