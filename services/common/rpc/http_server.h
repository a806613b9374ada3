// A small HTTP/1.1 server on its own threads: /metrics (Prometheus text format
// from a registry, followed by a SeriesTable's families when given one), /healthz (process alive),
// /readyz (ready to serve), plus routes a service adds (the listener's webhooks, the planner's
// calendar feed).
//
// Built to hold against bad clients (docs/http.md):
//   - each connection has its own thread, and at most max_connections exist; a
//     connection over the limit is answered 503 and closed at once, so slow or
//     stalled clients hold only their own connection and never a shared worker;
//   - every read has a deadline: the request line and headers within
//     header_timeout (else 408 and close), the body within body_timeout of the
//     headers (else 408 and close), the next request on a kept-alive connection
//     within idle_timeout (else a silent close); a response must be written
//     within write_timeout;
//   - bodies are limited as they arrive (HttpRequestParser): Content-Length over
//     max_body_bytes is 413 before the body is read; a chunked body is 413 at the
//     chunk that passes the limit; a gzip body is inflated with the same limit on
//     the decoded size (413), other Content-Encodings are 415; headers over
//     max_header_bytes or max_headers are 431; malformed requests are 400. Each
//     error answers JSON {"error": reason} and closes that connection only.
// Handlers run on the connection's thread, so they may run concurrently and must
// be thread-safe; an exception from one answers 500.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include <prometheus/registry.h>

#include "services/common/rpc/http_message.h"
#include "services/common/rpc/series_table.h"

namespace carecast::common {

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string address = "0.0.0.0";
  int port = 0;  // 0: pick a free port
  // Larger bodies get 413 before any handler; the limit holds on the wire
  // (Content-Length or the chunks' sum) and again on the gzip-decoded body.
  size_t max_body_bytes = size_t{256} * 1024;
  // The request line plus all header fields; more is 431.
  size_t max_header_bytes = size_t{16} * 1024;
  // Header fields per request; more is 431.
  size_t max_headers = 100;
  // Content-Encoding: gzip bodies are inflated (capped at max_body_bytes); when
  // false they are 415 like every other encoding.
  bool accept_gzip = true;
  // Open connections (each has a thread); one more is answered 503 and closed.
  size_t max_connections = 256;
  // From the connection's accept, or the first byte of a later request, to the
  // end of the headers.
  absl::Duration header_timeout = absl::Seconds(10);
  // From the end of the headers to the end of the body: 256 KiB in 30 s needs
  // about 9 KB/s, far below any real sender.
  absl::Duration body_timeout = absl::Seconds(30);
  // A kept-alive connection with no new request for this long is closed.
  absl::Duration idle_timeout = absl::Seconds(5);
  // Writing one response (the client must read it).
  absl::Duration write_timeout = absl::Seconds(10);
};

// Thread-safe. Routes must be added before Start().
class HttpServer {
 public:
  // `series`, when set, must outlive the server; its families must not share a
  // name with the registry's.
  HttpServer(HttpServerOptions options, prometheus::Registry& registry,
             const SeriesTable* series = nullptr);
  ~HttpServer();

  // Exact-path route for POST requests.
  void AddPostRoute(const std::string& path, HttpHandler handler);
  // Exact-path route for GET requests (e.g. a webhook's verification handshake).
  void AddGetRoute(const std::string& path, HttpHandler handler);
  // GET route for every path that is `prefix` followed by one segment of
  // [A-Za-z0-9._-] (e.g. "/feeds/spokes/" + "north.ics"); the handler reads
  // the whole path from the request.
  void AddGetPrefixRoute(const std::string& prefix, HttpHandler handler);
  // Binds and starts accepting. UNAVAILABLE when the address cannot be bound.
  absl::Status Start();
  int port() const;
  void SetReady(bool ready);
  // Stops accepting and ends every connection: one waiting for a request is
  // closed, one whose handler runs gets its response first (bounded by
  // write_timeout). Returns when no connection thread is left. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace carecast::common
