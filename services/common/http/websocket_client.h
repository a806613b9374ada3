// A WebSocket (RFC 6455) client over libcurl's connect-only mode: libcurl
// opens the TCP or TLS connection (proxy and CA settings as for every other
// request), this class sends the upgrade and speaks the framing
// (websocket_frames.h). Debian's libcurl has no ws:// support of its own.
// Thread-compatible: one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/http/websocket_frames.h"

namespace carecast::common {

struct WebSocketOptions {
  // Extra headers sent with the upgrade request (e.g. User-Agent).
  std::vector<std::pair<std::string, std::string>> headers;
  // Connect, TLS and the upgrade answer must finish within this.
  absl::Duration connect_timeout = absl::Seconds(10);
  // Each send (a whole frame) must finish within this.
  absl::Duration send_timeout = absl::Seconds(10);
  // A message (all its fragments) over this closes the connection (1009).
  size_t max_message_bytes = size_t{1} << 20;
};

class WebSocketClient {
 public:
  // Connects to `url` (ws:// or wss://; the path and query are sent as is).
  // Errors: INVALID_ARGUMENT (not a ws(s) URL), UNAVAILABLE (connect, TLS,
  // proxy, the server refused the upgrade, a bad Sec-WebSocket-Accept),
  // DEADLINE_EXCEEDED (no upgrade answer within connect_timeout). Messages name
  // the host, never the query or headers.
  static absl::StatusOr<std::unique_ptr<WebSocketClient>> Connect(std::string_view url,
                                                                  const WebSocketOptions& options);

  ~WebSocketClient();
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  // The next whole text or binary message. nullopt when none completed within
  // `wait` (a partial message stays buffered; the connection stays usable).
  // Pings are answered and pongs dropped on the way. Errors (the connection is
  // unusable afterwards): UNAVAILABLE (closed by the server, with its close
  // code, or broken), INVALID_ARGUMENT (the server broke the protocol; the
  // client sent close 1002), RESOURCE_EXHAUSTED (a message over
  // max_message_bytes; the client sent close 1009).
  absl::StatusOr<std::optional<std::string>> Receive(absl::Duration wait);

  // Sends one text message in a single masked frame. Errors: UNAVAILABLE (closed
  // or broken), DEADLINE_EXCEEDED (send_timeout ran out; the connection is
  // unusable afterwards).
  absl::Status SendText(std::string_view text);

  // Sends close 1000, waits up to `wait` for the server's close, and releases
  // the connection. Idempotent.
  void Close(absl::Duration wait = absl::Milliseconds(500));

  // False once closed or broken.
  bool open() const { return open_; }

 private:
  struct Handle;
  WebSocketClient(std::unique_ptr<Handle> handle, std::string host, size_t max_message_bytes,
                  absl::Duration send_timeout);

  absl::Status SendFrame(WsOpcode opcode, std::string_view payload, absl::Time deadline);
  // Appends what arrived by `deadline` to buffer_; false when nothing did.
  absl::StatusOr<bool> ReadSome(absl::Time deadline);
  absl::Status Fail(absl::Status status);

  std::unique_ptr<Handle> handle_;
  std::string host_;  // for messages
  absl::Duration send_timeout_;
  std::string buffer_;  // received, not yet decoded
  WsMessageAssembler assembler_;
  size_t max_message_bytes_;
  bool open_ = true;
  bool close_sent_ = false;
};

}  // namespace carecast::common
