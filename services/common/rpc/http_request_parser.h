// Incremental HTTP/1.1 request parser with limits, used by HttpServer for each
// connection. Fed the bytes as they arrive (any split), it keeps at most the
// unparsed header bytes plus one read in memory: body bytes go straight to the
// decoded body, and a body is refused as soon as it passes a limit:
//   - request line plus headers over max_header_bytes, or more than max_headers
//     fields: 431;
//   - Content-Length over max_body_bytes: 413 before any body byte is read; a
//     chunked body: 413 at the chunk size that passes the limit;
//   - Content-Encoding gzip (when accepted): inflated as it arrives, 413 as soon
//     as the decoded size passes max_body_bytes; any other encoding: 415;
//   - malformed request line, header, Content-Length or chunk: 400; a
//     Transfer-Encoding other than chunked: 501; an HTTP version other than 1.0
//     and 1.1: 505.
// Every error carries a fixed ASCII reason. Not thread-safe (one per connection).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "services/common/rpc/chunked_decoder.h"
#include "services/common/rpc/gzip_inflater.h"
#include "services/common/rpc/http_message.h"

namespace carecast::common {

struct HttpParserLimits {
  size_t max_header_bytes = size_t{16} * 1024;
  size_t max_headers = 100;
  size_t max_body_bytes = size_t{256} * 1024;  // on the wire, and again after decoding
  bool accept_gzip = true;
};

// A request the server refuses: the status to answer and why.
struct HttpError {
  int status = 0;
  std::string reason;
};

class HttpRequestParser {
 public:
  enum class State { kNeedMore, kComplete, kError };

  explicit HttpRequestParser(const HttpParserLimits& limits);

  // Consumes `data`. kComplete: request() is whole, and bytes after it stay for
  // the next request (Reset()). kError: error() says why; the connection should
  // be answered and closed, as its framing can no longer be trusted.
  State Feed(std::string_view data);
  // Starts the next request on the same connection and parses the bytes already
  // received for it.
  State Reset();

  // Some byte of the current request has arrived.
  bool started() const { return phase_ != Phase::kHead || !buffer_.empty(); }
  // The request line and headers have been read.
  bool headers_done() const { return phase_ != Phase::kHead; }
  // True once per request when the client sent "Expect: 100-continue" and the
  // body is wanted (the headers passed every check).
  bool TakeContinue();
  // Valid after kComplete. The caller may move from it.
  HttpRequest& request() { return request_; }
  // After kComplete: whether the connection may carry another request.
  bool keep_alive() const { return keep_alive_; }
  const HttpError& error() const { return error_; }

 private:
  enum class Phase { kHead, kLengthBody, kChunkedBody, kComplete, kFailed };

  State Run();
  State RunHead();
  State ParseHead(std::string_view head);
  State ParseHeaderLine(std::string_view line, std::string* content_length,
                        std::string* transfer_encoding);
  State StartBody(const std::string& content_length, const std::string& transfer_encoding);
  State OnBodyBytes(std::string_view bytes);
  State FinishBody();
  State Fail(int status, std::string_view reason);

  const HttpParserLimits limits_;
  Phase phase_ = Phase::kHead;
  std::string buffer_;     // received and not yet consumed
  size_t scan_pos_ = 0;    // where the search for the end of the head resumes
  size_t line_start_ = 0;  // start of the head line being scanned
  HttpRequest request_;
  bool http10_ = false;
  bool keep_alive_ = true;
  bool expect_continue_ = false;
  size_t body_wire_bytes_ = 0;
  size_t length_remaining_ = 0;
  std::optional<ChunkedDecoder> chunked_;
  std::unique_ptr<GzipInflater> gzip_;
  HttpError error_;
};

}  // namespace carecast::common
