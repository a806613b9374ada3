// WebSocket (RFC 6455) framing and handshake as pure functions over bytes, so
// the client (websocket_client.h) and the test server share them and both can be
// tested without a socket. Nothing here does I/O; everything is thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace carecast::common {

enum class WsOpcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close, ping and pong.
bool IsControl(WsOpcode opcode);

struct WsFrame {
  bool fin = true;
  WsOpcode opcode = WsOpcode::kText;
  std::string payload;  // unmasked
};

using WsMask = std::array<uint8_t, 4>;

// The frame on the wire: masked with `mask` when given (a client must mask
// every frame with a fresh mask; a server never masks). Lengths use the
// shortest of the 7-, 16- and 64-bit forms.
std::string EncodeWsFrame(const WsFrame& frame, const std::optional<WsMask>& mask);

struct WsDecodedFrame {
  WsFrame frame;
  size_t consumed = 0;  // bytes of `buffer` the frame took
};

// Decodes the first frame in `buffer`. nullopt: the frame is not complete yet
// (read more). Errors: INVALID_ARGUMENT for a protocol violation (reserved
// bits, unknown opcode, a control frame fragmented or over 125 bytes, a mask
// present when `expect_masked` is false or absent when it is true, a 64-bit
// length with the top bit set); RESOURCE_EXHAUSTED when the declared payload
// is over `max_payload` (checked from the header, before the payload arrives).
absl::StatusOr<std::optional<WsDecodedFrame>> DecodeWsFrame(std::string_view buffer,
                                                            bool expect_masked, size_t max_payload);

struct WsMessage {
  bool binary = false;
  std::string data;
};

// Joins data frames (text or binary, then continuations) into messages.
// Control frames are not given to it: they may arrive between fragments and
// are handled by the caller. Thread-compatible.
class WsMessageAssembler {
 public:
  explicit WsMessageAssembler(size_t max_message) : max_message_(max_message) {}

  // A whole message when `frame` finished one, nullopt while it continues.
  // Errors: INVALID_ARGUMENT (a continuation with no message started, or a new
  // message before the previous one finished), RESOURCE_EXHAUSTED (the message
  // grew over max_message).
  absl::StatusOr<std::optional<WsMessage>> Add(const WsFrame& frame);

 private:
  const size_t max_message_;
  bool in_message_ = false;
  WsMessage partial_;
};

// Close payloads: a 2-byte status code then an optional UTF-8 reason.
inline constexpr uint16_t kWsCloseNormal = 1000;
inline constexpr uint16_t kWsCloseGoingAway = 1001;
inline constexpr uint16_t kWsCloseProtocolError = 1002;
inline constexpr uint16_t kWsCloseTooBig = 1009;
std::string EncodeWsClosePayload(uint16_t code, std::string_view reason);
// 1005 (no status) for an empty payload.
uint16_t WsCloseCode(std::string_view payload);

// --- handshake ---------------------------------------------------------------
// A fresh Sec-WebSocket-Key: 16 random bytes, base64.
std::string NewWsKey();
// A fresh random mask for one client frame.
WsMask NewWsMask();
// base64(SHA-1(key + the RFC 6455 GUID)): the Sec-WebSocket-Accept for `key`.
std::string WsAcceptFor(std::string_view key);

// Checks the server's answer head (status line and headers, without the blank
// line) to an upgrade sent with `key`: 101, Upgrade: websocket, Connection
// containing upgrade, and the right Sec-WebSocket-Accept. Errors:
// FAILED_PRECONDITION with the HTTP status when it was not 101, INVALID_ARGUMENT
// for a 101 that is not a valid WebSocket accept.
absl::Status CheckWsUpgradeAnswer(std::string_view head, std::string_view key);

// The value of header `name` (any case) in an HTTP head; nullopt when absent.
std::optional<std::string> HttpHeadValue(std::string_view head, std::string_view name);

}  // namespace carecast::common
