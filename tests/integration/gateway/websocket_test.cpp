// WebSocket through the real oh-gateway to an echo server: upgrade forwarded, frames relayed
// both ways, ping/pong and close codes carried through.
#include "gateway_fixture.h"
#include "support/websocket_peers.h"

namespace oh::testing {
namespace {

using namespace std::chrono_literals;

class WebSocketTest : public GatewayTest {
protected:
  void startWithEchoServer() {
    auto config = baseConfig();
    config.upstream_url = echo_.url();
    startGateway(config);
  }
  WebSocketEchoServer echo_;
};

// Text and binary messages (small and 1 MB) are echoed through the gateway; the upgrade
// request reaches the upstream with its path, query and Host.
TEST_F(WebSocketTest, EchoTextAndBinary) {
  startWithEchoServer();
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  WebSocketClient client;
  const auto failure = client.connect(port(), "app.example.test", "/socket.io/?EIO=4&transport=websocket");
  ASSERT_FALSE(failure.has_value()) << *failure << " (status " << client.handshakeStatus() << ")";
  EXPECT_EQ(client.handshakeStatus(), 101u);
  ASSERT_TRUE(client.sendText("hello through the gateway"));
  auto message = client.read();
  ASSERT_TRUE(message.has_value());
  EXPECT_TRUE(message->text);
  EXPECT_EQ(message->data, "hello through the gateway");

  std::string binary(1024 * 1024, '\0');
  fillPattern(binary.data(), binary.size(), 7);
  binary[0] = '\0';
  binary[1] = '\xff';
  ASSERT_TRUE(client.sendBinary(binary));
  message = client.read();
  ASSERT_TRUE(message.has_value());
  EXPECT_FALSE(message->text);
  EXPECT_EQ(message->data.size(), binary.size());
  EXPECT_TRUE(message->data == binary);

  ASSERT_EQ(echo_.handshakes().size(), 1u);
  EXPECT_EQ(echo_.handshakes()[0].target, "/socket.io/?EIO=4&transport=websocket");
  EXPECT_EQ(findHeader(echo_.handshakes()[0].headers, "Host"), "app.example.test");
  EXPECT_EQ(findHeader(echo_.handshakes()[0].headers, "X-Real-IP"), "127.0.0.1");
  ASSERT_TRUE(client.close(1000));
}

// A client ping reaches the upstream and its pong comes back; a server ping reaches the client.
TEST_F(WebSocketTest, PingPongCarriedThrough) {
  startWithEchoServer();
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  WebSocketClient client;
  ASSERT_FALSE(client.connect(port(), "app.example.test", "/sockets/events/conv1").has_value());
  ASSERT_TRUE(client.ping("client-ping-1"));
  ASSERT_TRUE(client.sendText("after-ping"));
  const auto message = client.read();  // the pong is processed before this message
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->data, "after-ping");
  EXPECT_EQ(client.pongsReceived(), std::vector<std::string>{"client-ping-1"});
  EXPECT_EQ(echo_.pingsReceived(), std::vector<std::string>{"client-ping-1"});

  ASSERT_TRUE(client.sendText("ping:server-ping-1"));
  ASSERT_TRUE(client.sendText("after-server-ping"));
  const auto second = client.read();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(client.pingsReceived(), std::vector<std::string>{"server-ping-1"});
  ASSERT_TRUE(echo_.waitForPongs(1, 5s)) << "the client's pong did not reach the upstream";
  EXPECT_EQ(echo_.pongsReceived(), std::vector<std::string>{"server-ping-1"});
  ASSERT_TRUE(client.close(1000));
}

// Close codes travel both ways: client-initiated and upstream-initiated.
TEST_F(WebSocketTest, CloseCodesCarriedThrough) {
  startWithEchoServer();
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  {
    WebSocketClient client;
    ASSERT_FALSE(client.connect(port(), "app.example.test", "/sockets/events/conv2").has_value());
    ASSERT_TRUE(client.close(4001));
    ASSERT_TRUE(echo_.waitForCloseCodes(1, 10s));
    EXPECT_EQ(echo_.closeCodes()[0], 4001);
  }
  {
    WebSocketClient client;
    ASSERT_FALSE(client.connect(port(), "app.example.test", "/sockets/events/conv3").has_value());
    ASSERT_TRUE(client.sendText("close:4002"));
    EXPECT_FALSE(client.read().has_value());
    EXPECT_EQ(client.closeCode(), std::optional<std::uint16_t>{4002});
  }
}

// A silent tunnel is closed after websocket.idle_timeout_seconds, on both sides.
TEST_F(WebSocketTest, IdleTunnelIsClosed) {
  auto config = baseConfig();
  config.upstream_url = echo_.url();
  config.websocket_idle_timeout_seconds = 1;
  OH_START_GATEWAY(config);
  WebSocketClient client;
  ASSERT_FALSE(client.connect(port(), "app.example.test", "/sockets/events/idle").has_value());
  ASSERT_TRUE(client.sendText("one"));
  ASSERT_TRUE(client.read().has_value());
  // Then silence: the gateway must end the tunnel well before this read gives up.
  EXPECT_FALSE(client.read(std::chrono::seconds(20)).has_value());
  EXPECT_FALSE(client.timedOut()) << "idle tunnel still open after 20 s with a 1 s idle timeout";
  EXPECT_TRUE(echo_.waitForCloseCodes(1, 10s)) << "the upstream side of the idle tunnel was not closed";
}

// A client message over websocket.max_message_bytes closes the tunnel before it reaches the
// upstream; messages up to the limit pass, fragmented or not.
TEST_F(WebSocketTest, OversizedClientMessageClosesTunnel) {
  auto config = baseConfig();
  config.upstream_url = echo_.url();
  config.websocket_max_message_bytes = 1024;
  OH_START_GATEWAY(config);
  WebSocketClient client;
  ASSERT_FALSE(client.connect(port(), "app.example.test", "/sockets/events/big").has_value());
  const std::string at_limit(1024, 'a');
  ASSERT_TRUE(client.sendBinary(at_limit));
  const auto echoed = client.read();
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->data.size(), at_limit.size());
  client.sendBinary(std::string(1025, 'b'));  // may already fail: the gateway closes at the header
  EXPECT_FALSE(client.read(std::chrono::seconds(10)).has_value());
  EXPECT_FALSE(client.timedOut()) << "the tunnel stayed open after an oversized message";
}

// Many WebSockets at once are independent tunnels; metrics count them.
TEST_F(WebSocketTest, ConcurrentTunnels) {
  startWithEchoServer();
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  constexpr int kClients = 20;
  std::vector<std::unique_ptr<WebSocketClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<WebSocketClient>());
    ASSERT_FALSE(clients.back()->connect(port(), "app.example.test", "/socket.io/?n=" + std::to_string(i)).has_value());
  }
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(clients[static_cast<std::size_t>(i)]->sendText("message " + std::to_string(i)));
  }
  for (int i = 0; i < kClients; ++i) {
    const auto message = clients[static_cast<std::size_t>(i)]->read();
    ASSERT_TRUE(message.has_value());
    EXPECT_EQ(message->data, "message " + std::to_string(i));
  }
  const auto metrics = simpleRequest(gateway_->adminPort(), "GET", "/metrics", {}, {}, "127.0.0.1");
  ASSERT_TRUE(metrics.has_value());
  EXPECT_NE(metrics->body.find("websocket"), std::string::npos) << metrics->body;
  for (auto& client : clients) {
    EXPECT_TRUE(client->close(1000));
  }
}

}  // namespace
}  // namespace oh::testing
