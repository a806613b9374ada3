// Feeds untrusted bytes to HttpRequestParser in pieces whose sizes the input
// chooses, through pipelined requests, with small limits so the limit paths are
// reached. Checks the parser's promises: a complete request's decoded body
// never passes the limit, an error always carries a known status and a reason.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "services/common/rpc/http_request_parser.h"

namespace {

bool KnownErrorStatus(int status) {
  switch (status) {
    case 400:
    case 413:
    case 415:
    case 431:
    case 501:
    case 505:
      return true;
    default:
      return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using carecast::common::HttpParserLimits;
  using carecast::common::HttpRequestParser;
  if (size == 0) return 0;
  HttpParserLimits limits;
  limits.max_body_bytes = 4096;
  limits.max_header_bytes = 1024;
  limits.max_headers = 16;
  HttpRequestParser parser(limits);
  // The first byte picks the piece size (1..64); the rest is the stream.
  const size_t piece = (data[0] % 64) + 1;
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto check = [&](HttpRequestParser::State state) {
    while (state == HttpRequestParser::State::kComplete) {
      if (parser.request().body.size() > limits.max_body_bytes) std::abort();
      state = parser.Reset();
    }
    if (state == HttpRequestParser::State::kError) {
      if (!KnownErrorStatus(parser.error().status) || parser.error().reason.empty()) std::abort();
    }
    return state;
  };
  while (!stream.empty()) {
    const std::string_view next = stream.substr(0, piece);
    stream.remove_prefix(next.size());
    if (check(parser.Feed(next)) == HttpRequestParser::State::kError) break;
  }
  return 0;
}
