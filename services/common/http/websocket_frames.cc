#include "services/common/http/websocket_frames.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "services/common/base/strings.h"

namespace carecast::common {
namespace {

constexpr std::string_view kWsGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr size_t kMaxControlPayload = 125;

bool KnownOpcode(uint8_t value) {
  switch (value) {
    case 0x0:
    case 0x1:
    case 0x2:
    case 0x8:
    case 0x9:
    case 0xA:
      return true;
    default:
      return false;
  }
}

void RandomBytes(unsigned char* out, int size) {
  // RAND_bytes fails only when the generator cannot be seeded; the kernel
  // source makes that unreachable on Linux, and a mask needs no secrecy.
  if (RAND_bytes(out, size) != 1) {
    for (int i = 0; i < size; ++i) out[i] = static_cast<unsigned char>(i * 131 + 7);
  }
}

}  // namespace

bool IsControl(WsOpcode opcode) { return (static_cast<uint8_t>(opcode) & 0x8) != 0; }

std::string EncodeWsFrame(const WsFrame& frame, const std::optional<WsMask>& mask) {
  std::string out;
  const size_t size = frame.payload.size();
  out.reserve(size + 14);
  out.push_back(static_cast<char>((frame.fin ? 0x80 : 0x00) | static_cast<uint8_t>(frame.opcode)));
  const uint8_t mask_bit = mask ? 0x80 : 0x00;
  if (size <= 125) {
    out.push_back(static_cast<char>(mask_bit | size));
  } else if (size <= 0xFFFF) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>((size >> 8) & 0xFF));
    out.push_back(static_cast<char>(size & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((static_cast<uint64_t>(size) >> shift) & 0xFF));
    }
  }
  if (!mask) return out.append(frame.payload);
  for (uint8_t byte : *mask) out.push_back(static_cast<char>(byte));
  size_t start = out.size();
  out.append(frame.payload);
  for (size_t i = 0; i < size; ++i)
    out[start + i] = static_cast<char>(out[start + i] ^ (*mask)[i % 4]);
  return out;
}

absl::StatusOr<std::optional<WsDecodedFrame>> DecodeWsFrame(std::string_view buffer,
                                                            bool expect_masked,
                                                            size_t max_payload) {
  if (buffer.size() < 2) return std::nullopt;
  const auto b0 = static_cast<uint8_t>(buffer[0]);
  const auto b1 = static_cast<uint8_t>(buffer[1]);
  if ((b0 & 0x70) != 0) return absl::InvalidArgumentError("websocket: reserved bits set");
  const uint8_t opcode = b0 & 0x0F;
  if (!KnownOpcode(opcode)) {
    return absl::InvalidArgumentError(absl::StrCat("websocket: unknown opcode ", opcode));
  }
  const bool fin = (b0 & 0x80) != 0;
  const bool masked = (b1 & 0x80) != 0;
  if (masked != expect_masked) {
    return absl::InvalidArgumentError(masked ? "websocket: a server frame was masked"
                                             : "websocket: a client frame was not masked");
  }
  size_t header = 2;
  uint64_t length = b1 & 0x7F;
  if (length == 126) {
    if (buffer.size() < 4) return std::nullopt;
    length = (static_cast<uint64_t>(static_cast<uint8_t>(buffer[2])) << 8) |
             static_cast<uint8_t>(buffer[3]);
    header = 4;
  } else if (length == 127) {
    if (buffer.size() < 10) return std::nullopt;
    length = 0;
    for (size_t i = 2; i < 10; ++i) length = (length << 8) | static_cast<uint8_t>(buffer[i]);
    if ((length >> 63) != 0) return absl::InvalidArgumentError("websocket: length top bit set");
    header = 10;
  }
  const auto op = static_cast<WsOpcode>(opcode);
  if (IsControl(op) && (!fin || length > kMaxControlPayload)) {
    return absl::InvalidArgumentError("websocket: control frame fragmented or over 125 bytes");
  }
  if (length > max_payload) {
    return absl::ResourceExhaustedError(
        absl::StrCat("websocket: frame of ", length, " bytes is over the cap of ", max_payload));
  }
  WsMask mask{};
  if (masked) {
    if (buffer.size() < header + 4) return std::nullopt;
    for (size_t i = 0; i < 4; ++i) mask[i] = static_cast<uint8_t>(buffer[header + i]);
    header += 4;
  }
  if (buffer.size() - header < length) return std::nullopt;
  WsDecodedFrame decoded;
  decoded.frame.fin = fin;
  decoded.frame.opcode = op;
  decoded.frame.payload.assign(buffer.substr(header, static_cast<size_t>(length)));
  if (masked) {
    std::string& payload = decoded.frame.payload;
    for (size_t i = 0; i < payload.size(); ++i) {
      payload[i] = static_cast<char>(payload[i] ^ mask[i % 4]);
    }
  }
  decoded.consumed = header + static_cast<size_t>(length);
  return decoded;
}

absl::StatusOr<std::optional<WsMessage>> WsMessageAssembler::Add(const WsFrame& frame) {
  if (frame.opcode == WsOpcode::kContinuation) {
    if (!in_message_) return absl::InvalidArgumentError("websocket: continuation with no message");
  } else {
    if (in_message_) {
      return absl::InvalidArgumentError("websocket: new message before the last one finished");
    }
    in_message_ = true;
    partial_ = WsMessage{frame.opcode == WsOpcode::kBinary, ""};
  }
  if (partial_.data.size() + frame.payload.size() > max_message_) {
    in_message_ = false;
    partial_ = WsMessage{};
    return absl::ResourceExhaustedError(
        absl::StrCat("websocket: message over the cap of ", max_message_, " bytes"));
  }
  partial_.data.append(frame.payload);
  if (!frame.fin) return std::nullopt;
  in_message_ = false;
  return std::exchange(partial_, WsMessage{});
}

std::string EncodeWsClosePayload(uint16_t code, std::string_view reason) {
  std::string out;
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  out.append(reason.substr(0, kMaxControlPayload - 2));
  return out;
}

uint16_t WsCloseCode(std::string_view payload) {
  if (payload.size() < 2) return 1005;
  return static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                               static_cast<uint8_t>(payload[1]));
}

std::string NewWsKey() {
  unsigned char bytes[16];
  RandomBytes(bytes, sizeof(bytes));
  return absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

WsMask NewWsMask() {
  WsMask mask{};
  RandomBytes(mask.data(), static_cast<int>(mask.size()));
  return mask;
}

std::string WsAcceptFor(std::string_view key) {
  std::string input = absl::StrCat(AsAbsl(key), AsAbsl(kWsGuid));
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::optional<std::string> HttpHeadValue(std::string_view head, std::string_view name) {
  std::vector<absl::string_view> lines = absl::StrSplit(AsAbsl(head), "\r\n");
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) continue;
    if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(lines[i].substr(0, colon)),
                                AsAbsl(name))) {
      continue;
    }
    return std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  return std::nullopt;
}

absl::Status CheckWsUpgradeAnswer(std::string_view head, std::string_view key) {
  std::string_view status_line = head.substr(0, head.find("\r\n"));
  std::vector<absl::string_view> parts =
      absl::StrSplit(AsAbsl(status_line), absl::MaxSplits(' ', 2), absl::SkipEmpty());
  int status = 0;
  if (parts.size() < 2 || !absl::StartsWith(parts[0], "HTTP/1.") ||
      !absl::SimpleAtoi(parts[1], &status)) {
    return absl::InvalidArgumentError("websocket: the upgrade answer is not HTTP");
  }
  if (status != 101) {
    return absl::FailedPreconditionError(
        absl::StrCat("websocket: the server answered the upgrade with HTTP ", status));
  }
  std::optional<std::string> upgrade = HttpHeadValue(head, "upgrade");
  if (!upgrade || !absl::EqualsIgnoreCase(*upgrade, "websocket")) {
    return absl::InvalidArgumentError("websocket: the 101 answer has no Upgrade: websocket");
  }
  std::optional<std::string> connection = HttpHeadValue(head, "connection");
  if (!connection || !absl::StrContains(absl::AsciiStrToLower(*connection), "upgrade")) {
    return absl::InvalidArgumentError("websocket: the 101 answer has no Connection: upgrade");
  }
  std::optional<std::string> accept = HttpHeadValue(head, "sec-websocket-accept");
  if (!accept || *accept != WsAcceptFor(key)) {
    return absl::InvalidArgumentError("websocket: wrong Sec-WebSocket-Accept");
  }
  return absl::OkStatus();
}

}  // namespace carecast::common
