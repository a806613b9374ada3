#include "services/common/http/websocket_client.h"

#include <poll.h>

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include <curl/curl.h>

#include "services/common/base/strings.h"

namespace carecast::common {
namespace {

constexpr size_t kMaxAnswerHead = size_t{16} * 1024;
constexpr size_t kReadChunk = size_t{64} * 1024;

void GlobalInitOnce() {
  static const bool done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
}

struct ParsedUrl {
  bool tls = false;
  std::string host_port;
  std::string target;  // path and query, at least "/"
};

std::optional<ParsedUrl> ParseWsUrl(std::string_view url) {
  ParsedUrl parsed;
  std::string_view rest;
  if (url.starts_with("ws://")) {
    rest = url.substr(5);
  } else if (url.starts_with("wss://")) {
    parsed.tls = true;
    rest = url.substr(6);
  } else {
    return std::nullopt;
  }
  size_t end = rest.find_first_of("/?#");
  parsed.host_port = std::string(rest.substr(0, end));
  if (parsed.host_port.empty()) return std::nullopt;
  std::string_view target = end == std::string_view::npos ? "" : rest.substr(end);
  target = target.substr(0, target.find('#'));
  parsed.target = (target.empty() || target[0] != '/') ? absl::StrCat("/", AsAbsl(target))
                                                       : std::string(target);
  return parsed;
}

// Milliseconds from now to `deadline`, at least 0, rounded up so a poll does
// not wake just before it.
int PollTimeoutMs(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 60'000));
}

}  // namespace

struct WebSocketClient::Handle {
  CURL* curl = nullptr;
  curl_socket_t fd = CURL_SOCKET_BAD;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }

  // Waits until the socket is ready for `events` or `deadline` passes.
  void Wait(short events, absl::Time deadline) const {
    pollfd entry{fd, events, 0};
    poll(&entry, 1, PollTimeoutMs(deadline));
  }
};

WebSocketClient::WebSocketClient(std::unique_ptr<Handle> handle, std::string host,
                                 size_t max_message_bytes, absl::Duration send_timeout)
    : handle_(std::move(handle)),
      host_(std::move(host)),
      send_timeout_(send_timeout),
      assembler_(max_message_bytes),
      max_message_bytes_(max_message_bytes) {}

WebSocketClient::~WebSocketClient() { Close(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<WebSocketClient>> WebSocketClient::Connect(
    std::string_view url, const WebSocketOptions& options) {
  std::optional<ParsedUrl> parsed = ParseWsUrl(url);
  if (!parsed) return absl::InvalidArgumentError("websocket: not a ws:// or wss:// URL");
  GlobalInitOnce();
  const absl::Time deadline = absl::Now() + options.connect_timeout;
  auto handle = std::make_unique<Handle>();
  handle->curl = curl_easy_init();
  if (handle->curl == nullptr) return absl::InternalError("websocket: curl_easy_init failed");
  const std::string http_url =
      absl::StrCat(parsed->tls ? "https://" : "http://", parsed->host_port, "/");
  const long timeout_ms =  // NOLINT(google-runtime-int): curl takes long
      static_cast<long>(std::max<int64_t>(1, absl::ToInt64Milliseconds(options.connect_timeout)));
  CURL* curl = handle->curl;
  curl_easy_setopt(curl, CURLOPT_URL, http_url.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECT_ONLY, 1L);
  // Through an HTTP proxy, ws:// too must be a CONNECT tunnel: the upgrade is
  // ours to send, end to end.
  curl_easy_setopt(curl, CURLOPT_HTTPPROXYTUNNEL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  if (CURLcode code = curl_easy_perform(curl); code != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("websocket: ", parsed->host_port, ": ", curl_easy_strerror(code)));
  }
  if (curl_easy_getinfo(curl, CURLINFO_ACTIVESOCKET, &handle->fd) != CURLE_OK ||
      handle->fd == CURL_SOCKET_BAD) {
    return absl::UnavailableError(
        absl::StrCat("websocket: ", parsed->host_port, ": no socket after connect"));
  }

  const std::string key = NewWsKey();
  std::string request =
      absl::StrCat("GET ", parsed->target, " HTTP/1.1\r\nHost: ", parsed->host_port,
                   "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: ",
                   key, "\r\nSec-WebSocket-Version: 13\r\n");
  for (const auto& [name, value] : options.headers)
    absl::StrAppend(&request, name, ": ", value, "\r\n");
  request.append("\r\n");

  std::unique_ptr<WebSocketClient> client(new WebSocketClient(
      std::move(handle), parsed->host_port, options.max_message_bytes, options.send_timeout));
  size_t sent = 0;
  while (sent < request.size()) {
    size_t n = 0;
    CURLcode code =
        curl_easy_send(client->handle_->curl, request.data() + sent, request.size() - sent, &n);
    if (code == CURLE_AGAIN) {
      if (absl::Now() >= deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("websocket: ", client->host_, ": upgrade request not sent in time"));
      }
      client->handle_->Wait(POLLOUT, deadline);
      continue;
    }
    if (code != CURLE_OK) {
      return absl::UnavailableError(
          absl::StrCat("websocket: ", client->host_, ": ", curl_easy_strerror(code)));
    }
    sent += n;
  }
  size_t head_end = std::string::npos;
  while ((head_end = client->buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (client->buffer_.size() > kMaxAnswerHead) {
      return absl::UnavailableError(
          absl::StrCat("websocket: ", client->host_, ": upgrade answer head too large"));
    }
    absl::StatusOr<bool> got = client->ReadSome(deadline);
    if (!got.ok()) return got.status();
    if (!*got) {
      return absl::DeadlineExceededError(
          absl::StrCat("websocket: ", client->host_, ": no upgrade answer in time"));
    }
  }
  std::string head = client->buffer_.substr(0, head_end);
  client->buffer_.erase(0, head_end + 4);
  if (absl::Status checked = CheckWsUpgradeAnswer(head, key); !checked.ok()) {
    return absl::UnavailableError(absl::StrCat(client->host_, ": ", checked.message()));
  }
  return client;
}

absl::StatusOr<bool> WebSocketClient::ReadSome(absl::Time deadline) {
  char chunk[kReadChunk];
  while (true) {
    size_t n = 0;
    // Try before polling: TLS may hold decrypted bytes the socket no longer shows.
    CURLcode code = curl_easy_recv(handle_->curl, chunk, sizeof(chunk), &n);
    if (code == CURLE_OK) {
      if (n == 0) {
        return absl::UnavailableError(
            absl::StrCat("websocket: ", host_, ": connection closed without a close frame"));
      }
      buffer_.append(chunk, n);
      return true;
    }
    if (code != CURLE_AGAIN) {
      return absl::UnavailableError(
          absl::StrCat("websocket: ", host_, ": ", curl_easy_strerror(code)));
    }
    if (absl::Now() >= deadline) return false;
    handle_->Wait(POLLIN, deadline);
  }
}

absl::Status WebSocketClient::Fail(absl::Status status) {
  open_ = false;
  handle_.reset();
  return status;
}

absl::Status WebSocketClient::SendFrame(WsOpcode opcode, std::string_view payload,
                                        absl::Time deadline) {
  if (!handle_) return absl::UnavailableError(absl::StrCat("websocket: ", host_, ": closed"));
  const std::string wire = EncodeWsFrame(WsFrame{true, opcode, std::string(payload)}, NewWsMask());
  size_t sent = 0;
  while (sent < wire.size()) {
    size_t n = 0;
    CURLcode code = curl_easy_send(handle_->curl, wire.data() + sent, wire.size() - sent, &n);
    if (code == CURLE_AGAIN) {
      if (absl::Now() >= deadline) {
        // Part of a frame may be out: nothing else can follow it.
        return Fail(absl::DeadlineExceededError(
            absl::StrCat("websocket: ", host_, ": send did not finish in time")));
      }
      handle_->Wait(POLLOUT, deadline);
      continue;
    }
    if (code != CURLE_OK) {
      return Fail(absl::UnavailableError(
          absl::StrCat("websocket: ", host_, ": ", curl_easy_strerror(code))));
    }
    sent += n;
  }
  if (opcode == WsOpcode::kClose) close_sent_ = true;
  return absl::OkStatus();
}

absl::Status WebSocketClient::SendText(std::string_view text) {
  if (!open_) return absl::UnavailableError(absl::StrCat("websocket: ", host_, ": closed"));
  return SendFrame(WsOpcode::kText, text, absl::Now() + send_timeout_);
}

absl::StatusOr<std::optional<std::string>> WebSocketClient::Receive(absl::Duration wait) {
  if (!open_) return absl::UnavailableError(absl::StrCat("websocket: ", host_, ": closed"));
  const absl::Time deadline = absl::Now() + wait;
  while (true) {
    absl::StatusOr<std::optional<WsDecodedFrame>> decoded =
        DecodeWsFrame(buffer_, /*expect_masked=*/false, max_message_bytes_);
    if (!decoded.ok()) {
      const bool too_big = absl::IsResourceExhausted(decoded.status());
      (void)SendFrame(WsOpcode::kClose,
                      EncodeWsClosePayload(too_big ? kWsCloseTooBig : kWsCloseProtocolError, ""),
                      absl::Now() + absl::Milliseconds(200));
      return Fail(decoded.status());
    }
    if (!decoded->has_value()) {
      absl::StatusOr<bool> got = ReadSome(deadline);
      if (!got.ok()) return Fail(got.status());
      if (!*got) return std::nullopt;
      continue;
    }
    WsFrame frame = std::move((*decoded)->frame);
    buffer_.erase(0, (*decoded)->consumed);
    switch (frame.opcode) {
      case WsOpcode::kPing:
        if (absl::Status pong =
                SendFrame(WsOpcode::kPong, frame.payload, absl::Now() + send_timeout_);
            !pong.ok()) {
          return pong;
        }
        continue;
      case WsOpcode::kPong:
        continue;
      case WsOpcode::kClose: {
        const uint16_t code = WsCloseCode(frame.payload);
        if (!close_sent_) {
          (void)SendFrame(WsOpcode::kClose, frame.payload.substr(0, 2),
                          absl::Now() + absl::Milliseconds(200));
        }
        return Fail(absl::UnavailableError(
            absl::StrCat("websocket: ", host_, ": closed by the server with code ", code)));
      }
      case WsOpcode::kContinuation:
      case WsOpcode::kText:
      case WsOpcode::kBinary: {
        absl::StatusOr<std::optional<WsMessage>> message = assembler_.Add(frame);
        if (!message.ok()) {
          const bool too_big = absl::IsResourceExhausted(message.status());
          (void)SendFrame(
              WsOpcode::kClose,
              EncodeWsClosePayload(too_big ? kWsCloseTooBig : kWsCloseProtocolError, ""),
              absl::Now() + absl::Milliseconds(200));
          return Fail(message.status());
        }
        if (message->has_value()) return std::move((*message)->data);
        continue;
      }
    }
  }
}

void WebSocketClient::Close(absl::Duration wait) {
  if (!handle_) return;
  const absl::Time deadline = absl::Now() + wait;
  if (open_ && !close_sent_) {
    (void)SendFrame(WsOpcode::kClose, EncodeWsClosePayload(kWsCloseNormal, ""),
                    absl::Now() + absl::Milliseconds(200));
  }
  // Wait for the server's close so it, not us, holds TIME_WAIT.
  while (handle_) {
    absl::StatusOr<std::optional<WsDecodedFrame>> decoded =
        DecodeWsFrame(buffer_, /*expect_masked=*/false, max_message_bytes_);
    if (!decoded.ok()) break;
    if (decoded->has_value()) {
      bool closing = (*decoded)->frame.opcode == WsOpcode::kClose;
      buffer_.erase(0, (*decoded)->consumed);
      if (closing) break;
      continue;
    }
    absl::StatusOr<bool> got = ReadSome(deadline);
    if (!got.ok() || !*got) break;
  }
  open_ = false;
  handle_.reset();
}

}  // namespace carecast::common
