#include "tests/support/websocket_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

#include "services/common/base/strings.h"

namespace carecast::testing {
namespace {

using common::WsFrame;
using common::WsOpcode;

int PollMs(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(absl::ToInt64Milliseconds(left) + 1);
}

// Appends what arrives by `deadline`. false: nothing did. Error: closed/broken.
absl::StatusOr<bool> ReadSome(int fd, std::string& buffer, absl::Time deadline) {
  while (true) {
    pollfd entry{fd, POLLIN, 0};
    int ready = poll(&entry, 1, PollMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    char chunk[16384];
    ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return absl::UnavailableError("websocket test server: connection closed");
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  }
}

absl::Status SendAll(int fd, std::string_view bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError("websocket test server: send failed");
    sent += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> WsUpgradeRequest::QueryValues(std::string_view name) const {
  std::vector<std::string> values;
  std::string_view rest = query;
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? "" : rest.substr(amp + 1);
    size_t eq = pair.find('=');
    if (PercentDecode(pair.substr(0, eq)) != name) continue;
    values.push_back(eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1)));
  }
  return values;
}

absl::Status WsServerConnection::SendRaw(std::string_view bytes) { return SendAll(fd_, bytes); }

absl::Status WsServerConnection::SendFrame(const WsFrame& frame) {
  if (frame.opcode == WsOpcode::kClose) close_sent_ = true;
  return SendAll(fd_, common::EncodeWsFrame(frame, std::nullopt));
}

absl::Status WsServerConnection::SendText(std::string_view text) {
  return SendFrame(WsFrame{true, WsOpcode::kText, std::string(text)});
}

void WsServerConnection::Close(uint16_t code) {
  if (close_sent_) return;
  (void)SendFrame(WsFrame{true, WsOpcode::kClose, common::EncodeWsClosePayload(code, "")});
}

absl::StatusOr<std::optional<std::string>> WsServerConnection::Receive(absl::Duration wait) {
  const absl::Time deadline = absl::Now() + wait;
  while (true) {
    absl::StatusOr<std::optional<common::WsDecodedFrame>> decoded =
        common::DecodeWsFrame(buffer_, /*expect_masked=*/true, size_t{1} << 24);
    if (!decoded.ok()) {
      Close(common::kWsCloseProtocolError);
      return decoded.status();
    }
    if (!decoded->has_value()) {
      absl::StatusOr<bool> got = ReadSome(fd_, buffer_, deadline);
      if (!got.ok()) return got.status();
      if (!*got) return std::nullopt;
      continue;
    }
    WsFrame frame = std::move((*decoded)->frame);
    buffer_.erase(0, (*decoded)->consumed);
    switch (frame.opcode) {
      case WsOpcode::kPing:
        if (absl::Status sent = SendFrame(WsFrame{true, WsOpcode::kPong, frame.payload});
            !sent.ok()) {
          return sent;
        }
        continue;
      case WsOpcode::kPong:
        pongs_.push_back(std::move(frame.payload));
        continue;
      case WsOpcode::kClose:
        Close(common::WsCloseCode(frame.payload));
        return absl::UnavailableError(absl::StrCat("websocket test server: client closed with ",
                                                   common::WsCloseCode(frame.payload)));
      case WsOpcode::kContinuation:
      case WsOpcode::kText:
      case WsOpcode::kBinary: {
        absl::StatusOr<std::optional<common::WsMessage>> message = assembler_.Add(frame);
        if (!message.ok()) return message.status();
        if (message->has_value()) return std::move((*message)->data);
        continue;
      }
    }
  }
}

WebSocketTestServer::WebSocketTestServer(Handler handler, WebSocketTestServerOptions options)
    : handler_(std::move(handler)), options_(options) {}

WebSocketTestServer::~WebSocketTestServer() { Stop(); }

std::string WebSocketTestServer::url(std::string_view target) const {
  return absl::StrCat("ws://127.0.0.1:", port_, common::AsAbsl(target));
}

absl::Status WebSocketTestServer::Start() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) return absl::InternalError("websocket test server: socket failed");
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(listen_fd_, 64) != 0) {
    return absl::InternalError(absl::StrCat("websocket test server: bind: ", strerror(errno)));
  }
  socklen_t length = sizeof(address);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void WebSocketTestServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
  DropConnections();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
  }
  for (std::thread& thread : threads) thread.join();
}

void WebSocketTestServer::DropConnections() {
  std::lock_guard<std::mutex> lock(mu_);
  for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
}

void WebSocketTestServer::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd entry{listen_fd_, POLLIN, 0};
    if (poll(&entry, 1, 50) <= 0) continue;
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_.load()) {
      close(fd);
      return;
    }
    open_fds_.insert(fd);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

void WebSocketTestServer::Serve(int fd) {
  std::string buffer;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  size_t head_end = std::string::npos;
  while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos && buffer.size() < 65536) {
    absl::StatusOr<bool> got = ReadSome(fd, buffer, deadline);
    if (!got.ok() || !*got) break;
  }
  bool upgraded = false;
  if (head_end != std::string::npos) {
    std::string head = buffer.substr(0, head_end);
    buffer.erase(0, head_end + 4);
    WsUpgradeRequest request;
    size_t line_end = head.find("\r\n");
    std::string request_line = head.substr(0, line_end);
    size_t first_space = request_line.find(' ');
    size_t second_space = request_line.find(' ', first_space + 1);
    std::string target = first_space == std::string::npos
                             ? ""
                             : request_line.substr(first_space + 1, second_space - first_space - 1);
    size_t question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos) request.query = target.substr(question + 1);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      std::string line = head.substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        request.headers.emplace_back(
            absl::AsciiStrToLower(line.substr(0, colon)),
            std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
      }
      pos = end + 2;
    }
    std::optional<std::string> key = common::HttpHeadValue(head, "sec-websocket-key");
    std::optional<std::string> upgrade = common::HttpHeadValue(head, "upgrade");
    const bool valid = request_line.starts_with("GET ") && key.has_value() && upgrade.has_value() &&
                       absl::AsciiStrToLower(*upgrade) == "websocket";
    if (!valid || options_.refuse_status != 0) {
      int status = valid ? options_.refuse_status : 400;
      (void)SendAll(fd, absl::StrCat("HTTP/1.1 ", status,
                                     " Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
    } else {
      std::string accept = common::WsAcceptFor(*key);
      if (options_.wrong_accept) accept = common::WsAcceptFor("not the key");
      upgraded = SendAll(fd, absl::StrCat("HTTP/1.1 101 Switching Protocols\r\n"
                                          "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                          "Sec-WebSocket-Accept: ",
                                          accept, "\r\n\r\n"))
                     .ok();
      if (upgraded) {
        connections_.fetch_add(1);
        WsServerConnection connection(fd, std::move(request), std::move(buffer));
        handler_(connection);
        connection.Close(common::kWsCloseNormal);
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.erase(fd);
  shutdown(fd, SHUT_RDWR);
  close(fd);
}

}  // namespace carecast::testing
