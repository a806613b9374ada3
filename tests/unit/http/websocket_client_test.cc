#include "services/common/http/websocket_client.h"

#include <atomic>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/websocket_test_server.h"

namespace carecast::common {
namespace {

using testing::WebSocketTestServer;
using testing::WebSocketTestServerOptions;
using testing::WsServerConnection;

// Echoes every message until the client leaves.
void Echo(WsServerConnection& connection) {
  while (true) {
    absl::StatusOr<std::optional<std::string>> message = connection.Receive(absl::Seconds(10));
    if (!message.ok() || !message->has_value()) return;
    if (!connection.SendText(**message).ok()) return;
  }
}

absl::StatusOr<std::unique_ptr<WebSocketClient>> ConnectTo(const WebSocketTestServer& server,
                                                           size_t max_message = 1 << 20) {
  WebSocketOptions options;
  options.connect_timeout = absl::Seconds(5);
  options.max_message_bytes = max_message;
  return WebSocketClient::Connect(server.url("/echo?x=1"), options);
}

std::string ReceiveOrFail(WebSocketClient& client) {
  absl::StatusOr<std::optional<std::string>> message = client.Receive(absl::Seconds(5));
  EXPECT_TRUE(message.ok()) << message.status();
  EXPECT_TRUE(message.ok() && message->has_value());
  return message.ok() && message->has_value() ? **message : "";
}

TEST(WebSocketClientTest, EchoesSmallAndLargeMessages) {
  WebSocketTestServer server(Echo);
  ASSERT_TRUE(server.Start().ok());
  auto client = ConnectTo(server);
  ASSERT_TRUE(client.ok()) << client.status();
  for (size_t size : {size_t{0}, size_t{5}, size_t{126}, size_t{65536}, size_t{300000}}) {
    std::string text(size, 'x');
    for (size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + i % 26);
    ASSERT_TRUE((*client)->SendText(text).ok());
    EXPECT_EQ(ReceiveOrFail(**client), text) << size;
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(WebSocketClientTest, SendsPathQueryAndHeaders) {
  std::atomic<bool> seen{false};
  WebSocketTestServer server([&](WsServerConnection& connection) {
    const auto& request = connection.request();
    bool agent = false;
    for (const auto& [name, value] : request.headers) agent |= name == "user-agent" && value == "t";
    seen = request.path == "/subscribe" && request.QueryValues("wantedDids").size() == 2 && agent;
    (void)connection.SendText("hi");
    (void)connection.Receive(absl::Seconds(5));
  });
  ASSERT_TRUE(server.Start().ok());
  WebSocketOptions options;
  options.headers = {{"User-Agent", "t"}};
  auto client = WebSocketClient::Connect(
      server.url("/subscribe?wantedDids=did:plc:a&wantedDids=did%3Aplc%3Ab"), options);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(ReceiveOrFail(**client), "hi");
  EXPECT_TRUE(seen.load());
}

TEST(WebSocketClientTest, QuietConnectionGivesNulloptAndStaysUsable) {
  WebSocketTestServer server(Echo);
  ASSERT_TRUE(server.Start().ok());
  auto client = ConnectTo(server);
  ASSERT_TRUE(client.ok());
  absl::Time start = absl::Now();
  absl::StatusOr<std::optional<std::string>> nothing = (*client)->Receive(absl::Milliseconds(100));
  ASSERT_TRUE(nothing.ok()) << nothing.status();
  EXPECT_FALSE(nothing->has_value());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(95));
  ASSERT_TRUE((*client)->SendText("after").ok());
  EXPECT_EQ(ReceiveOrFail(**client), "after");
}

TEST(WebSocketClientTest, PartialMessageWaitsForTheRestAcrossCalls) {
  std::atomic<bool> send_rest{false};
  WebSocketTestServer server([&](WsServerConnection& connection) {
    (void)connection.SendFrame(WsFrame{false, WsOpcode::kText, "par"});
    (void)connection.SendFrame(WsFrame{true, WsOpcode::kPing, "are you there"});
    while (!send_rest.load()) {
      if (!connection.Receive(absl::Milliseconds(10)).ok()) return;
    }
    (void)connection.SendFrame(WsFrame{true, WsOpcode::kContinuation, "tial"});
    (void)connection.Receive(absl::Seconds(5));
  });
  ASSERT_TRUE(server.Start().ok());
  auto client = ConnectTo(server);
  ASSERT_TRUE(client.ok());
  absl::StatusOr<std::optional<std::string>> first = (*client)->Receive(absl::Milliseconds(200));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->has_value());
  send_rest = true;
  EXPECT_EQ(ReceiveOrFail(**client), "partial");
}

TEST(WebSocketClientTest, PingIsAnsweredWithItsPayload) {
  std::atomic<bool> ponged{false};
  WebSocketTestServer server([&](WsServerConnection& connection) {
    (void)connection.SendFrame(WsFrame{true, WsOpcode::kPing, "p1"});
    (void)connection.SendText("after ping");
    // The client answers the ping before it reads on, so the pong comes first.
    absl::StatusOr<std::optional<std::string>> message = connection.Receive(absl::Seconds(5));
    ponged = message.ok() && message->has_value() && **message == "got it" &&
             connection.pongs() == std::vector<std::string>{"p1"};
  });
  ASSERT_TRUE(server.Start().ok());
  auto client = ConnectTo(server);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(ReceiveOrFail(**client), "after ping");
  ASSERT_TRUE((*client)->SendText("got it").ok());
  server.Stop();
  EXPECT_TRUE(ponged.load());
}

TEST(WebSocketClientTest, OversizeMessageIsResourceExhaustedAndCloses) {
  WebSocketTestServer server([](WsServerConnection& connection) {
    (void)connection.SendText(std::string(2048, 'z'));
    (void)connection.Receive(absl::Seconds(5));
  });
  ASSERT_TRUE(server.Start().ok());
  auto client = ConnectTo(server, /*max_message=*/1024);
  ASSERT_TRUE(client.ok());
  absl::StatusOr<std::optional<std::string>> message = (*client)->Receive(absl::Seconds(5));
  EXPECT_EQ(message.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE((*client)->open());
  EXPECT_EQ((*client)->SendText("x").code(), absl::StatusCode::kUnavailable);
}

TEST(WebSocketClientTest, MaskedServerFrameIsAProtocolError) {
  WebSocketTestServer server([](WsServerConnection& connection) {
    (void)connection.SendRaw(EncodeWsFrame(WsFrame{true, WsOpcode::kText, "m"}, NewWsMask()));
    (void)connection.Receive(absl::Seconds(5));
  });
  ASSERT_TRUE(server.Start().ok());
  auto client = ConnectTo(server);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->Receive(absl::Seconds(5)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(WebSocketClientTest, ServerCloseIsUnavailableWithItsCode) {
  WebSocketTestServer server([](WsServerConnection& connection) {
    (void)connection.SendText("last");
    connection.Close(kWsCloseGoingAway);
    (void)connection.Receive(absl::Seconds(5));
  });
  ASSERT_TRUE(server.Start().ok());
  auto client = ConnectTo(server);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(ReceiveOrFail(**client), "last");
  absl::StatusOr<std::optional<std::string>> closed = (*client)->Receive(absl::Seconds(5));
  EXPECT_EQ(closed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(closed.status().message().find("1001"), absl::string_view::npos);
  EXPECT_FALSE((*client)->open());
}

TEST(WebSocketClientTest, DroppedConnectionIsUnavailable) {
  WebSocketTestServer server(Echo);
  ASSERT_TRUE(server.Start().ok());
  auto client = ConnectTo(server);
  ASSERT_TRUE(client.ok());
  server.DropConnections();
  EXPECT_EQ((*client)->Receive(absl::Seconds(5)).status().code(), absl::StatusCode::kUnavailable);
}

TEST(WebSocketClientTest, WrongAcceptIsRefused) {
  WebSocketTestServerOptions options;
  options.wrong_accept = true;
  WebSocketTestServer server(Echo, options);
  ASSERT_TRUE(server.Start().ok());
  absl::StatusOr<std::unique_ptr<WebSocketClient>> client = ConnectTo(server);
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(client.status().message().find("Accept"), absl::string_view::npos);
}

TEST(WebSocketClientTest, RefusedUpgradeIsUnavailableWithTheStatus) {
  WebSocketTestServerOptions options;
  options.refuse_status = 400;
  WebSocketTestServer server(Echo, options);
  ASSERT_TRUE(server.Start().ok());
  absl::StatusOr<std::unique_ptr<WebSocketClient>> client = ConnectTo(server);
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(client.status().message().find("400"), absl::string_view::npos);
}

TEST(WebSocketClientTest, ConnectFailuresAreClassified) {
  EXPECT_EQ(WebSocketClient::Connect("http://127.0.0.1:1/", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  WebSocketTestServer server(Echo);
  ASSERT_TRUE(server.Start().ok());
  std::string url = server.url("/");
  server.Stop();
  EXPECT_EQ(WebSocketClient::Connect(url, {}).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace carecast::common
