#include "services/common/rpc/http_request_parser.h"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

namespace carecast::common {
namespace {

bool IsTchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX-decodes `in` ('+' is a space in a query); false on a bad escape or NUL.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexDigit(in[i + 1]);
      const int lo = HexDigit(in[i + 2]);
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    out->push_back(c);
  }
  return true;
}

// Splits "/path?a=1&b=2" into the decoded path and query (first value wins).
bool ParseTarget(std::string_view target, HttpRequest* request) {
  const size_t question = target.find('?');
  if (!PercentDecode(target.substr(0, question), false, &request->path)) return false;
  if (question == std::string_view::npos) return true;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string key;
    std::string value;
    if (!PercentDecode(pair.substr(0, eq), true, &key)) return false;
    if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), true, &value)) {
      return false;
    }
    request->query.emplace(std::move(key), std::move(value));
  }
  return true;
}

bool ParseDecimal(std::string_view s, size_t* value) {
  // 18 digits cannot overflow a 64-bit size_t.
  if (s.empty() || s.size() > 18) return false;
  size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  *value = v;
  return true;
}

bool HasToken(std::string_view list, std::string_view token) {
  const std::string lower = Lower(list);
  std::string_view rest = lower;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    if (TrimOws(rest.substr(0, comma)) == token) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

HttpRequestParser::HttpRequestParser(const HttpParserLimits& limits) : limits_(limits) {}

HttpRequestParser::State HttpRequestParser::Fail(int status, std::string_view reason) {
  phase_ = Phase::kFailed;
  error_ = HttpError{status, std::string(reason)};
  buffer_.clear();
  gzip_.reset();
  return State::kError;
}

HttpRequestParser::State HttpRequestParser::Feed(std::string_view data) {
  if (phase_ == Phase::kFailed) return State::kError;
  buffer_.append(data);
  return Run();
}

HttpRequestParser::State HttpRequestParser::Reset() {
  if (phase_ == Phase::kFailed) return State::kError;
  phase_ = Phase::kHead;
  scan_pos_ = 0;
  line_start_ = 0;
  request_ = HttpRequest();
  http10_ = false;
  keep_alive_ = true;
  expect_continue_ = false;
  body_wire_bytes_ = 0;
  length_remaining_ = 0;
  chunked_.reset();
  gzip_.reset();
  return Run();
}

bool HttpRequestParser::TakeContinue() {
  if (!expect_continue_ || phase_ == Phase::kHead || phase_ == Phase::kFailed) return false;
  expect_continue_ = false;
  return phase_ != Phase::kComplete;
}

HttpRequestParser::State HttpRequestParser::Run() {
  if (phase_ == Phase::kHead) {
    const State state = RunHead();
    if (state != State::kNeedMore || phase_ == Phase::kHead) return state;
  }
  if (phase_ == Phase::kLengthBody) {
    const size_t take = std::min(length_remaining_, buffer_.size());
    const State state = OnBodyBytes(std::string_view(buffer_).substr(0, take));
    if (state == State::kError) return state;
    buffer_.erase(0, take);
    length_remaining_ -= take;
    return length_remaining_ == 0 ? FinishBody() : State::kNeedMore;
  }
  if (phase_ == Phase::kChunkedBody) {
    size_t consumed = 0;
    std::string payload;
    const ChunkedDecoder::Result result = chunked_->Decode(buffer_, &consumed, &payload);
    buffer_.erase(0, consumed);
    switch (result) {
      case ChunkedDecoder::Result::kNeedMore:
        return OnBodyBytes(payload);
      case ChunkedDecoder::Result::kDone:
        if (OnBodyBytes(payload) == State::kError) return State::kError;
        return FinishBody();
      case ChunkedDecoder::Result::kBadChunk:
        return Fail(400, chunked_->reason());
      case ChunkedDecoder::Result::kTooLarge:
        return Fail(
            413, "request body larger than " + std::to_string(limits_.max_body_bytes) + " bytes");
      case ChunkedDecoder::Result::kTrailersTooLarge:
        return Fail(431, chunked_->reason());
    }
  }
  return phase_ == Phase::kComplete ? State::kComplete : State::kNeedMore;
}

HttpRequestParser::State HttpRequestParser::RunHead() {
  while (true) {
    const size_t newline = buffer_.find('\n', scan_pos_);
    if (newline == std::string::npos) {
      scan_pos_ = buffer_.size();
      break;
    }
    const std::string_view line(buffer_.data() + line_start_, newline - line_start_);
    scan_pos_ = newline + 1;
    if (line.empty() || line == "\r") {
      if (line_start_ == 0) {
        // Empty lines before a request line are ignored (RFC 9112 section 2.2).
        buffer_.erase(0, scan_pos_);
        scan_pos_ = 0;
        continue;
      }
      if (line_start_ > limits_.max_header_bytes) break;
      const std::string head = buffer_.substr(0, line_start_);
      buffer_.erase(0, scan_pos_);
      scan_pos_ = 0;
      line_start_ = 0;
      return ParseHead(head);
    }
    line_start_ = scan_pos_;
  }
  if (buffer_.size() > limits_.max_header_bytes || line_start_ > limits_.max_header_bytes) {
    return Fail(
        431, "request header larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
  }
  return State::kNeedMore;
}

HttpRequestParser::State HttpRequestParser::ParseHead(std::string_view head) {
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    const size_t newline = head.find('\n');
    std::string_view line = head.substr(0, newline);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (newline == std::string_view::npos) break;
    head.remove_prefix(newline + 1);
  }
  if (lines.empty()) return Fail(400, "bad request line");
  if (lines.size() - 1 > limits_.max_headers) {
    return Fail(431, "more than " + std::to_string(limits_.max_headers) + " header fields");
  }
  // Request line: method SP request-target SP HTTP-version.
  const std::string_view request_line = lines[0];
  const size_t sp1 = request_line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || request_line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Fail(400, "bad request line");
  }
  const std::string_view method = request_line.substr(0, sp1);
  const std::string_view target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = request_line.substr(sp2 + 1);
  if (method.empty() || method.size() > 20 || !std::all_of(method.begin(), method.end(), IsTchar)) {
    return Fail(400, "bad request line");
  }
  if (target.empty() || target.front() != '/' ||
      std::any_of(target.begin(), target.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == '\x7f'; })) {
    return Fail(400, "bad request target");
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    if (version.substr(0, 5) == "HTTP/") return Fail(505, "HTTP version not supported");
    return Fail(400, "bad request line");
  }
  http10_ = version == "HTTP/1.0";
  request_.method = std::string(method);
  if (!ParseTarget(target, &request_)) return Fail(400, "bad percent-encoding in request target");
  std::string content_length;
  std::string transfer_encoding;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (ParseHeaderLine(lines[i], &content_length, &transfer_encoding) == State::kError) {
      return State::kError;
    }
  }
  return StartBody(content_length, transfer_encoding);
}

HttpRequestParser::State HttpRequestParser::ParseHeaderLine(std::string_view line,
                                                            std::string* content_length,
                                                            std::string* transfer_encoding) {
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    return Fail(400, "obsolete header line folding");
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return Fail(400, "bad header line");
  const std::string_view name = line.substr(0, colon);
  if (!std::all_of(name.begin(), name.end(), IsTchar)) return Fail(400, "bad header name");
  const std::string_view value = TrimOws(line.substr(colon + 1));
  if (std::any_of(value.begin(), value.end(), [](char c) {
        return (static_cast<unsigned char>(c) < ' ' && c != '\t') || c == '\x7f';
      })) {
    return Fail(400, "bad header value");
  }
  std::string lower = Lower(name);
  if (lower == "content-length") {
    // Two different lengths are a smuggling attempt or a broken proxy.
    if (!content_length->empty() && *content_length != value) {
      return Fail(400, "conflicting Content-Length");
    }
    *content_length = std::string(value);
  } else if (lower == "transfer-encoding") {
    if (!transfer_encoding->empty()) transfer_encoding->append(", ");
    transfer_encoding->append(value);
  }
  request_.headers.emplace(std::move(lower), std::string(value));
  return State::kNeedMore;
}

HttpRequestParser::State HttpRequestParser::StartBody(const std::string& content_length,
                                                      const std::string& transfer_encoding) {
  request_.content_type = request_.Header("content-type");
  request_.authorization = request_.Header("authorization");
  request_.if_none_match = request_.Header("if-none-match");
  const std::string connection = request_.Header("connection");
  keep_alive_ = http10_ ? HasToken(connection, "keep-alive") : !HasToken(connection, "close");
  expect_continue_ = !http10_ && Lower(request_.Header("expect")) == "100-continue";

  const std::string encoding = Lower(TrimOws(request_.Header("content-encoding")));
  if (encoding == "gzip" || encoding == "x-gzip") {
    if (!limits_.accept_gzip) return Fail(415, "gzip request bodies are not accepted");
    gzip_ = std::make_unique<GzipInflater>(limits_.max_body_bytes);
    request_.headers.erase("content-encoding");
  } else if (!encoding.empty() && encoding != "identity") {
    return Fail(415, "unsupported Content-Encoding");
  }

  const std::string too_large =
      "request body larger than " + std::to_string(limits_.max_body_bytes) + " bytes";
  if (!transfer_encoding.empty()) {
    if (!content_length.empty()) return Fail(400, "both Content-Length and Transfer-Encoding");
    if (Lower(TrimOws(transfer_encoding)) != "chunked") {
      return Fail(501, "unsupported Transfer-Encoding");
    }
    chunked_.emplace(limits_.max_body_bytes, limits_.max_header_bytes);
    phase_ = Phase::kChunkedBody;
    return State::kNeedMore;
  }
  size_t length = 0;
  if (!content_length.empty() && !ParseDecimal(content_length, &length)) {
    return Fail(400, "bad Content-Length");
  }
  if (length > limits_.max_body_bytes) return Fail(413, too_large);
  if (length == 0) return FinishBody();
  length_remaining_ = length;
  phase_ = Phase::kLengthBody;
  return State::kNeedMore;
}

HttpRequestParser::State HttpRequestParser::OnBodyBytes(std::string_view bytes) {
  if (bytes.empty()) return State::kNeedMore;
  body_wire_bytes_ += bytes.size();
  if (!gzip_) {
    request_.body.append(bytes);
    return State::kNeedMore;
  }
  switch (gzip_->Inflate(bytes, &request_.body)) {
    case GzipInflater::Result::kOk:
      return State::kNeedMore;
    case GzipInflater::Result::kTooLarge:
      return Fail(413, "decompressed request body larger than " +
                           std::to_string(limits_.max_body_bytes) + " bytes");
    case GzipInflater::Result::kCorrupt:
      return Fail(400, "bad gzip request body");
  }
  return State::kNeedMore;
}

HttpRequestParser::State HttpRequestParser::FinishBody() {
  if (gzip_ && body_wire_bytes_ > 0 && !gzip_->finished()) {
    return Fail(400, "truncated gzip request body");
  }
  gzip_.reset();
  chunked_.reset();
  phase_ = Phase::kComplete;
  return State::kComplete;
}

}  // namespace carecast::common
