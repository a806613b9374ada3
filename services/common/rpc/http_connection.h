// One HTTP/1.1 connection served to its end on the calling thread: requests are
// read with HttpRequestParser under deadlines, handed to `dispatch`, and the
// responses written back (keep-alive and pipelining included). Used by
// HttpServer, which owns the socket and the thread.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

#include "absl/time/time.h"

#include "services/common/rpc/http_message.h"
#include "services/common/rpc/http_request_parser.h"

namespace carecast::common {

struct HttpConnectionOptions {
  HttpParserLimits limits;
  absl::Duration header_timeout = absl::Seconds(10);  // accept or first byte to end of headers
  absl::Duration body_timeout = absl::Seconds(30);    // end of headers to end of body
  absl::Duration idle_timeout = absl::Seconds(5);     // between kept-alive requests
  absl::Duration write_timeout = absl::Seconds(10);   // one whole response
  // Called with the status of each request refused before dispatch (400, 408,
  // 413, 415, 431, 501, 505); may be empty. Must be thread-safe.
  std::function<void(int status)> on_refused;
};

using HttpDispatch = std::function<HttpResponse(const HttpRequest&)>;

// Serves the connected socket `fd` until the client closes it, a request asks
// to close, a deadline passes (408 when a request was under way, else silence),
// a request is refused (4xx/5xx from the parser, then close), or `stopping` is
// set. Does not close `fd`. `dispatch` must not throw.
void ServeHttpConnection(int fd, const HttpConnectionOptions& options, const HttpDispatch& dispatch,
                         const std::atomic<bool>& stopping);

// The response bytes: status line, Content-Type and Content-Length (none for
// 204 and 304), Connection, the handler's extra headers (any with CR or LF in
// them are dropped), then the body unless `head_only`.
std::string SerializeHttpResponse(const HttpResponse& response, bool keep_alive, bool head_only);

// Best effort, never blocks: answers 503 "too many connections" on a socket
// the server will not serve.
void RefuseHttpConnection(int fd);

}  // namespace carecast::common
