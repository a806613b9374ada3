#include "services/common/http/websocket_frames.h"

#include <string>

#include <gtest/gtest.h>

namespace carecast::common {
namespace {

constexpr size_t kCap = size_t{1} << 20;

WsFrame Text(std::string payload, bool fin = true) {
  return WsFrame{fin, WsOpcode::kText, std::move(payload)};
}

WsDecodedFrame DecodeWhole(std::string_view wire, bool masked) {
  absl::StatusOr<std::optional<WsDecodedFrame>> decoded = DecodeWsFrame(wire, masked, kCap);
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded.ok() && decoded->has_value());
  return decoded.ok() && decoded->has_value() ? **decoded : WsDecodedFrame{};
}

TEST(WebSocketFramesTest, UnmaskedFrameRoundTrips) {
  std::string wire = EncodeWsFrame(Text("hello"), std::nullopt);
  EXPECT_EQ(wire, std::string("\x81\x05hello", 7));
  WsDecodedFrame decoded = DecodeWhole(wire, /*masked=*/false);
  EXPECT_EQ(decoded.consumed, wire.size());
  EXPECT_TRUE(decoded.frame.fin);
  EXPECT_EQ(decoded.frame.opcode, WsOpcode::kText);
  EXPECT_EQ(decoded.frame.payload, "hello");
}

TEST(WebSocketFramesTest, MaskedFrameHidesThePayloadAndRoundTrips) {
  const WsMask mask = {0x37, 0xfa, 0x21, 0x3d};
  std::string wire = EncodeWsFrame(Text("Hello"), mask);
  // RFC 6455 section 5.7: a single-frame masked text message "Hello".
  EXPECT_EQ(wire, std::string("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
  EXPECT_EQ(DecodeWhole(wire, /*masked=*/true).frame.payload, "Hello");
}

TEST(WebSocketFramesTest, MaskExpectationIsEnforcedBothWays) {
  std::string masked = EncodeWsFrame(Text("x"), NewWsMask());
  std::string unmasked = EncodeWsFrame(Text("x"), std::nullopt);
  EXPECT_EQ(DecodeWsFrame(masked, /*expect_masked=*/false, kCap).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeWsFrame(unmasked, /*expect_masked=*/true, kCap).status().code(),
            absl::StatusCode::kInvalidArgument);
}

class WebSocketFrameLengthTest : public ::testing::TestWithParam<size_t> {};

TEST_P(WebSocketFrameLengthTest, EachLengthFormRoundTripsMaskedAndNot) {
  const size_t size = GetParam();
  std::string payload(size, '\0');
  for (size_t i = 0; i < size; ++i) payload[i] = static_cast<char>(i * 7 + 3);
  const size_t header = size <= 125 ? 2 : size <= 0xFFFF ? 4 : 10;
  for (bool masked : {false, true}) {
    std::optional<WsMask> mask;
    if (masked) mask = NewWsMask();
    std::string wire = EncodeWsFrame(WsFrame{true, WsOpcode::kBinary, payload}, mask);
    EXPECT_EQ(wire.size(), header + (masked ? 4 : 0) + size);
    // One byte short is incomplete, not an error.
    absl::StatusOr<std::optional<WsDecodedFrame>> partial =
        DecodeWsFrame(std::string_view(wire).substr(0, wire.size() - 1), masked, kCap);
    ASSERT_TRUE(partial.ok());
    EXPECT_FALSE(partial->has_value());
    WsDecodedFrame decoded = DecodeWhole(wire + "trailing", masked);
    EXPECT_EQ(decoded.consumed, wire.size());
    EXPECT_EQ(decoded.frame.payload, payload);
  }
}

INSTANTIATE_TEST_SUITE_P(Lengths, WebSocketFrameLengthTest,
                         ::testing::Values(0, 1, 125, 126, 65535, 65536));

TEST(WebSocketFramesTest, HeaderBytesAloneAreIncomplete) {
  std::string wire = EncodeWsFrame(Text(std::string(70000, 'a')), std::nullopt);
  for (size_t cut : {0, 1, 2, 5, 9}) {
    absl::StatusOr<std::optional<WsDecodedFrame>> decoded =
        DecodeWsFrame(std::string_view(wire).substr(0, cut), false, kCap);
    ASSERT_TRUE(decoded.ok()) << cut;
    EXPECT_FALSE(decoded->has_value()) << cut;
  }
}

TEST(WebSocketFramesTest, OversizeIsRefusedFromTheHeaderAlone) {
  std::string wire = EncodeWsFrame(Text(std::string(2000, 'a')), std::nullopt);
  EXPECT_EQ(DecodeWsFrame(std::string_view(wire).substr(0, 4), false, 1999).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(DecodeWsFrame(wire, false, 2000).ok());
}

TEST(WebSocketFramesTest, ProtocolViolationsAreInvalid) {
  // Reserved bit RSV1.
  EXPECT_EQ(DecodeWsFrame(std::string("\xc1\x00", 2), false, kCap).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Opcode 3 is reserved.
  EXPECT_EQ(DecodeWsFrame(std::string("\x83\x00", 2), false, kCap).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A fragmented ping.
  EXPECT_EQ(DecodeWsFrame(std::string("\x09\x00", 2), false, kCap).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A ping over 125 bytes.
  std::string big_ping =
      EncodeWsFrame(WsFrame{true, WsOpcode::kPing, std::string(126, 'p')}, std::nullopt);
  EXPECT_EQ(DecodeWsFrame(big_ping, false, kCap).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A 64-bit length with the top bit set.
  std::string huge("\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", 10);
  EXPECT_EQ(DecodeWsFrame(huge, false, kCap).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(WebSocketFramesTest, FragmentsJoinAroundControlFrames) {
  // text "Hel" + ping + continuation "lo" + pong + final continuation "!".
  std::string wire = EncodeWsFrame(Text("Hel", false), std::nullopt) +
                     EncodeWsFrame(WsFrame{true, WsOpcode::kPing, "p"}, std::nullopt) +
                     EncodeWsFrame(WsFrame{false, WsOpcode::kContinuation, "lo"}, std::nullopt) +
                     EncodeWsFrame(WsFrame{true, WsOpcode::kPong, ""}, std::nullopt) +
                     EncodeWsFrame(WsFrame{true, WsOpcode::kContinuation, "!"}, std::nullopt);
  WsMessageAssembler assembler(kCap);
  std::vector<WsOpcode> controls;
  std::optional<WsMessage> message;
  std::string_view rest = wire;
  while (!rest.empty()) {
    WsDecodedFrame decoded = DecodeWhole(rest, false);
    ASSERT_GT(decoded.consumed, 0u);
    rest.remove_prefix(decoded.consumed);
    if (IsControl(decoded.frame.opcode)) {
      controls.push_back(decoded.frame.opcode);
      continue;
    }
    ASSERT_FALSE(message.has_value()) << "a message completed before its last fragment";
    absl::StatusOr<std::optional<WsMessage>> added = assembler.Add(decoded.frame);
    ASSERT_TRUE(added.ok()) << added.status();
    if (added->has_value()) message = **added;
  }
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->data, "Hello!");
  EXPECT_FALSE(message->binary);
  EXPECT_EQ(controls, (std::vector<WsOpcode>{WsOpcode::kPing, WsOpcode::kPong}));
}

TEST(WebSocketFramesTest, AssemblerRefusesOutOfOrderFragments) {
  WsMessageAssembler assembler(kCap);
  EXPECT_EQ(assembler.Add(WsFrame{true, WsOpcode::kContinuation, "x"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(assembler.Add(Text("a", false)).ok());
  EXPECT_EQ(assembler.Add(Text("b")).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(WebSocketFramesTest, AssemblerCapsTheWholeMessageNotEachFrame) {
  WsMessageAssembler assembler(10);
  ASSERT_TRUE(assembler.Add(Text("123456", false)).ok());
  EXPECT_EQ(assembler.Add(WsFrame{true, WsOpcode::kContinuation, "7890a"}).status().code(),
            absl::StatusCode::kResourceExhausted);
  // A message exactly at the cap passes.
  absl::StatusOr<std::optional<WsMessage>> exact = assembler.Add(Text("1234567890"));
  ASSERT_TRUE(exact.ok());
  ASSERT_TRUE(exact->has_value());
  EXPECT_EQ((*exact)->data, "1234567890");
}

TEST(WebSocketFramesTest, ClosePayloadCarriesTheCode) {
  std::string payload = EncodeWsClosePayload(kWsCloseGoingAway, "restart");
  EXPECT_EQ(WsCloseCode(payload), 1001);
  EXPECT_EQ(payload.substr(2), "restart");
  EXPECT_EQ(WsCloseCode(""), 1005);
}

TEST(WebSocketHandshakeTest, AcceptMatchesTheRfcExample) {
  // RFC 6455 section 1.3.
  EXPECT_EQ(WsAcceptFor("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_NE(NewWsKey(), NewWsKey());
  EXPECT_EQ(NewWsKey().size(), 24u);
}

TEST(WebSocketHandshakeTest, UpgradeAnswerIsChecked) {
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  const std::string good =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
  EXPECT_TRUE(CheckWsUpgradeAnswer(good, key).ok());
  EXPECT_EQ(CheckWsUpgradeAnswer(good, "AAAAAAAAAAAAAAAAAAAAAA==").code(),
            absl::StatusCode::kInvalidArgument);
  std::string no_upgrade = good;
  no_upgrade.replace(no_upgrade.find("websocket"), 9, "h2c");
  EXPECT_EQ(CheckWsUpgradeAnswer(no_upgrade, key).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckWsUpgradeAnswer("HTTP/1.1 403 Forbidden\r\nContent-Length: 0", key).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckWsUpgradeAnswer("SSH-2.0-OpenSSH", key).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace carecast::common
