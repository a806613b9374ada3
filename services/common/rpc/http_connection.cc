#include "services/common/rpc/http_connection.h"

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <utility>

namespace carecast::common {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr size_t kReadSlice = size_t{16} * 1024;
// After refusing a request the rest of what the client sends is read and
// dropped for a moment, so it sees the response instead of a reset; bounded in
// bytes and time, and never kept.
constexpr size_t kLingerBytes = size_t{1} << 20;
constexpr auto kLingerTime = std::chrono::seconds(1);

SteadyClock::duration ToSteady(absl::Duration d) {
  return std::chrono::duration_cast<SteadyClock::duration>(absl::ToChronoNanoseconds(d));
}

// Waits until `fd` has `events` or `deadline` passes; false on timeout.
bool WaitFor(int fd, short events, SteadyClock::time_point deadline) {
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int rc = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count() + 1, 60'000)));
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return true;  // let recv/send report the error
  }
}

enum class ReadResult { kData, kClosed, kTimeout };

ReadResult ReadSome(int fd, SteadyClock::time_point deadline, std::array<char, kReadSlice>& buf,
                    size_t* n) {
  while (true) {
    if (!WaitFor(fd, POLLIN, deadline)) return ReadResult::kTimeout;
    const ssize_t got = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (got > 0) {
      *n = static_cast<size_t>(got);
      return ReadResult::kData;
    }
    if (got < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    return ReadResult::kClosed;
  }
}

bool WriteAll(int fd, std::string_view data, SteadyClock::time_point deadline) {
  while (!data.empty()) {
    const ssize_t sent = send(fd, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent > 0) {
      data.remove_prefix(static_cast<size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WaitFor(fd, POLLOUT, deadline)) return false;
      continue;
    }
    return false;
  }
  return true;
}

std::string_view StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Status";
  }
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// Answers a refused request, then reads and drops what the client still sends
// (bounded) so the response is not lost to a reset.
void RefuseAndLinger(int fd, const HttpError& error, SteadyClock::duration write_timeout) {
  HttpResponse response{error.status, "application/json", HttpErrorJson(error.reason), {}};
  const auto now = SteadyClock::now();
  if (!WriteAll(fd, SerializeHttpResponse(response, false, false), now + write_timeout)) return;
  shutdown(fd, SHUT_WR);
  const auto deadline = SteadyClock::now() + kLingerTime;
  std::array<char, kReadSlice> buf;
  size_t dropped = 0;
  size_t n = 0;
  while (dropped < kLingerBytes && ReadSome(fd, deadline, buf, &n) == ReadResult::kData) {
    dropped += n;
  }
}

// Reads until the parser has a whole request, an error, or a deadline passes.
// `first` marks the connection's first request (its header deadline runs from
// the accept).
HttpRequestParser::State ReadRequest(int fd, const HttpConnectionOptions& options, bool first,
                                     HttpRequestParser::State state, HttpRequestParser& parser,
                                     HttpError* timeout_error) {
  const auto header_timeout = ToSteady(options.header_timeout);
  const auto now = SteadyClock::now();
  auto request_start = now;
  auto idle_deadline = now + (first ? header_timeout : ToSteady(options.idle_timeout));
  auto body_deadline = SteadyClock::time_point::max();
  std::array<char, kReadSlice> buf;
  while (state == HttpRequestParser::State::kNeedMore) {
    const auto deadline = !parser.started()        ? idle_deadline
                          : !parser.headers_done() ? request_start + header_timeout
                                                   : body_deadline;
    size_t n = 0;
    const ReadResult read = ReadSome(fd, deadline, buf, &n);
    if (read == ReadResult::kClosed) return HttpRequestParser::State::kNeedMore;
    if (read == ReadResult::kTimeout) {
      if (parser.started()) {
        *timeout_error =
            HttpError{408, parser.headers_done() ? "request body not received in time"
                                                 : "request header not received in time"};
      }
      return HttpRequestParser::State::kNeedMore;
    }
    const bool was_started = parser.started();
    const bool had_headers = parser.headers_done();
    state = parser.Feed(std::string_view(buf.data(), n));
    const auto at = SteadyClock::now();
    if (!was_started && !first) request_start = at;
    if (!had_headers && parser.headers_done()) body_deadline = at + ToSteady(options.body_timeout);
    if (parser.TakeContinue() &&
        !WriteAll(fd, "HTTP/1.1 100 Continue\r\n\r\n", at + ToSteady(options.write_timeout))) {
      return HttpRequestParser::State::kNeedMore;
    }
  }
  return state;
}

}  // namespace

std::string SerializeHttpResponse(const HttpResponse& response, bool keep_alive, bool head_only) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " ";
  out.append(StatusText(response.status));
  out += "\r\n";
  const bool no_body = response.status == 204 || response.status == 304;
  if (!no_body) {
    if (!HasLineBreak(response.content_type)) {
      out += "Content-Type: " + response.content_type + "\r\n";
    }
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  }
  out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  for (const auto& [name, value] : response.headers) {
    if (HasLineBreak(name) || HasLineBreak(value) || name.find(':') != std::string::npos) continue;
    out.append(name).append(": ").append(value).append("\r\n");
  }
  out += "\r\n";
  if (!no_body && !head_only) out += response.body;
  return out;
}

void RefuseHttpConnection(int fd) {
  const std::string bytes = SerializeHttpResponse(
      HttpResponse{503, "application/json", HttpErrorJson("too many connections"), {}}, false,
      false);
  (void)send(fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  shutdown(fd, SHUT_WR);
}

void ServeHttpConnection(int fd, const HttpConnectionOptions& options, const HttpDispatch& dispatch,
                         const std::atomic<bool>& stopping) {
  HttpRequestParser parser(options.limits);
  auto state = HttpRequestParser::State::kNeedMore;
  bool first = true;
  while (!stopping.load()) {
    HttpError timeout_error;
    state = ReadRequest(fd, options, first, state, parser, &timeout_error);
    if (state == HttpRequestParser::State::kNeedMore) {
      // Closed by the client, or a deadline: 408 only when a request was under way.
      if (timeout_error.status != 0) {
        if (options.on_refused) options.on_refused(timeout_error.status);
        RefuseAndLinger(fd, timeout_error, ToSteady(options.write_timeout));
      }
      return;
    }
    if (state == HttpRequestParser::State::kError) {
      if (options.on_refused) options.on_refused(parser.error().status);
      RefuseAndLinger(fd, parser.error(), ToSteady(options.write_timeout));
      return;
    }
    HttpRequest& request = parser.request();
    const bool head_only = request.method == "HEAD";
    const HttpResponse response = dispatch(request);
    const bool keep_alive = parser.keep_alive() && !stopping.load();
    const auto deadline = SteadyClock::now() + ToSteady(options.write_timeout);
    if (!WriteAll(fd, SerializeHttpResponse(response, keep_alive, head_only), deadline) ||
        !keep_alive) {
      return;
    }
    first = false;
    state = parser.Reset();
  }
}

}  // namespace carecast::common
