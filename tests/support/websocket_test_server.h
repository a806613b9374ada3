// A WebSocket (RFC 6455) server for tests: plain TCP on 127.0.0.1, port 0, one
// thread per connection running the test's handler. It checks the client's
// upgrade, answers with the right (or, on request, a wrong) accept, unmasks
// client frames and refuses unmasked ones. Framing is websocket_frames.h.
// Thread-safe; DropConnections() plays a server that vanishes mid-stream.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "services/common/http/websocket_frames.h"

namespace carecast::testing {

struct WsUpgradeRequest {
  std::string path;   // "/subscribe"
  std::string query;  // after '?', undecoded; empty when none
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased

  // Every value of query parameter `name`, percent-decoded, in order.
  std::vector<std::string> QueryValues(std::string_view name) const;
};

// One accepted connection, as its handler sees it. Used from its handler's
// thread only.
class WsServerConnection {
 public:
  WsServerConnection(int fd, WsUpgradeRequest request, std::string buffered)
      : fd_(fd), request_(std::move(request)), buffer_(std::move(buffered)) {}

  const WsUpgradeRequest& request() const { return request_; }

  // One unmasked frame. UNAVAILABLE when the socket is gone.
  absl::Status SendText(std::string_view text);
  absl::Status SendFrame(const common::WsFrame& frame);
  // Bytes as given (to play a server that breaks the protocol).
  absl::Status SendRaw(std::string_view bytes);
  // Sends close `code` unless already sent.
  void Close(uint16_t code = common::kWsCloseNormal);

  // The client's next whole message; nullopt when none within `wait`. Pings are
  // answered. Errors: the client closed (its close is answered) or the socket
  // broke, or the client broke the protocol.
  absl::StatusOr<std::optional<std::string>> Receive(absl::Duration wait);

  bool close_sent() const { return close_sent_; }
  // Payloads of the pongs Receive has seen, in order.
  const std::vector<std::string>& pongs() const { return pongs_; }

 private:
  int fd_;
  WsUpgradeRequest request_;
  std::string buffer_;
  common::WsMessageAssembler assembler_{size_t{1} << 24};
  bool close_sent_ = false;
  std::vector<std::string> pongs_;
};

struct WebSocketTestServerOptions {
  // Answer the upgrade with a Sec-WebSocket-Accept that does not match.
  bool wrong_accept = false;
  // Answer the upgrade with this HTTP status instead of 101 (0: accept).
  int refuse_status = 0;
};

class WebSocketTestServer {
 public:
  // Runs on the connection's own thread after the upgrade; the connection is
  // closed (close 1000 unless the handler sent one) when it returns. It must
  // return once its connection fails (Stop and DropConnections break them).
  using Handler = std::function<void(WsServerConnection&)>;

  explicit WebSocketTestServer(Handler handler, WebSocketTestServerOptions options = {});
  ~WebSocketTestServer();
  WebSocketTestServer(const WebSocketTestServer&) = delete;
  WebSocketTestServer& operator=(const WebSocketTestServer&) = delete;

  absl::Status Start();
  void Stop();  // breaks every connection and joins every thread
  int port() const { return port_; }
  // "ws://127.0.0.1:<port><target>"
  std::string url(std::string_view target = "/") const;

  // Shuts every open connection's socket down at once, without a close frame.
  void DropConnections();
  // Upgrades accepted since Start.
  int connections() const { return connections_.load(); }

 private:
  void AcceptLoop();
  void Serve(int fd);

  const Handler handler_;
  const WebSocketTestServerOptions options_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::set<int> open_fds_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace carecast::testing
