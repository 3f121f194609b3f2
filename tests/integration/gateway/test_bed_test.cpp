// The test bed checked on its own, without the gateway: if these fail, a gateway test failure
// says nothing about the gateway.
#include <gtest/gtest.h>

#include <thread>

#include "support/gateway_process.h"
#include "support/raw_client.h"
#include "support/test_upstream.h"
#include "support/websocket_peers.h"

namespace oh::testing {
namespace {

// The echo route reports method, target, headers and the body's length and hash.
TEST(TestBed, UpstreamEchoesRequest) {
  TestUpstream upstream;
  const auto response = simpleRequest(upstream.port(), "POST", "/echo?x=1", {{"X-Test", "yes"}}, "hello");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Server"), std::string(kUpstreamServerHeader));
  const auto echoed = parseEcho(response->body);
  ASSERT_TRUE(echoed.has_value()) << response->body;
  EXPECT_EQ(echoed->method, "POST");
  EXPECT_EQ(echoed->target, "/echo?x=1");
  EXPECT_EQ(findHeader(echoed->headers, "x-test"), "yes");
  EXPECT_EQ(echoed->body_bytes, 5u);
  EXPECT_EQ(echoed->body_sha256, sha256Hex("hello"));
  ASSERT_EQ(upstream.requests().size(), 1u);
  EXPECT_TRUE(upstream.requests()[0].complete);
}

// Generated bodies, sized and chunked, arrive intact and match the pattern.
TEST(TestBed, UpstreamGeneratesSizedAndChunkedBodies) {
  TestUpstream upstream;
  for (const std::string path : {"/bytes/100000", "/chunked/100000"}) {
    const auto response = simpleRequest(upstream.port(), "GET", path);
    ASSERT_TRUE(response.has_value()) << path;
    EXPECT_EQ(response->body_bytes, 100000u);
    EXPECT_TRUE(response->body_matches_pattern);
    EXPECT_EQ(response->body_sha256, patternSha256Hex(100000));
  }
  const auto chunked = simpleRequest(upstream.port(), "GET", "/chunked/10");
  ASSERT_TRUE(chunked.has_value());
  EXPECT_EQ(chunked->header("Transfer-Encoding"), "chunked");
}

// A chunked upload is hashed by the upstream as it streams in; keep-alive reuses the connection.
TEST(TestBed, RawClientChunkedUploadAndKeepAlive) {
  TestUpstream upstream;
  RawClient client{upstream.port()};
  ASSERT_TRUE(client.connected()) << client.error();
  ASSERT_TRUE(client.send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"));
  ASSERT_TRUE(client.sendChunkedPattern(300000, 7000));
  auto response = client.readResponse();
  ASSERT_TRUE(response.has_value()) << client.error();
  auto echoed = parseEcho(response->body);
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->body_bytes, 300000u);
  EXPECT_EQ(echoed->body_sha256, patternSha256Hex(300000));
  ASSERT_TRUE(client.send(buildRequest("GET", "/echo", {}, {})));
  response = client.readResponse();
  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(upstream.connectionsAccepted(), 1u);
}

// The WebSocket echo server echoes both kinds, answers pings and reports close codes.
TEST(TestBed, WebSocketEchoServerAndClient) {
  WebSocketEchoServer server;
  WebSocketClient client;
  const auto failure = client.connect(server.port(), "ws.test", "/socket.io/?EIO=4&transport=websocket");
  ASSERT_FALSE(failure.has_value()) << *failure;
  EXPECT_EQ(client.handshakeStatus(), 101u);
  ASSERT_TRUE(client.sendText("hello"));
  auto message = client.read();
  ASSERT_TRUE(message.has_value());
  EXPECT_TRUE(message->text);
  EXPECT_EQ(message->data, "hello");
  ASSERT_TRUE(client.sendBinary(std::string("\x00\x01\xff", 3)));
  message = client.read();
  ASSERT_TRUE(message.has_value());
  EXPECT_FALSE(message->text);
  EXPECT_EQ(message->data, std::string("\x00\x01\xff", 3));
  ASSERT_TRUE(client.ping("p1"));
  ASSERT_TRUE(client.sendText("after-ping"));
  ASSERT_TRUE(client.read().has_value());
  EXPECT_EQ(client.pongsReceived(), std::vector<std::string>{"p1"});
  ASSERT_TRUE(client.close(4001));
  ASSERT_TRUE(server.waitForCloseCodes(1, std::chrono::seconds(5)));
  EXPECT_EQ(server.closeCodes()[0], 4001);
  ASSERT_EQ(server.handshakes().size(), 1u);
  EXPECT_EQ(server.handshakes()[0].target, "/socket.io/?EIO=4&transport=websocket");
}

// A server-initiated close carries its code to the client.
TEST(TestBed, WebSocketServerClose) {
  WebSocketEchoServer server;
  WebSocketClient client;
  ASSERT_FALSE(client.connect(server.port(), "ws.test", "/sockets/events/abc").has_value());
  ASSERT_TRUE(client.sendText("close:4002"));
  EXPECT_FALSE(client.read().has_value());
  EXPECT_EQ(client.closeCode(), std::optional<std::uint16_t>{4002});
}

// The ready-line parser accepts the contract's format and rejects others.
TEST(TestBed, ParsesListeningLine) {
  std::uint16_t port = 0;
  std::uint16_t admin = 0;
  EXPECT_TRUE(parseListeningLine("oh-gateway listening on 127.0.0.1:4321 admin 127.0.0.1:9876", port, admin));
  EXPECT_EQ(port, 4321);
  EXPECT_EQ(admin, 9876);
  EXPECT_TRUE(parseListeningLine("oh-gateway listening on [::1]:80", port, admin));
  EXPECT_EQ(port, 80);
  EXPECT_EQ(admin, 0);
  EXPECT_FALSE(parseListeningLine("starting", port, admin));
  EXPECT_FALSE(parseListeningLine("oh-gateway listening on nowhere", port, admin));
}

// GatewayProcess reports a binary that exits before it is ready, with its output.
TEST(TestBed, GatewayProcessReportsEarlyExit) {
  GatewayProcess process{"/bin/false"};
  const auto failure = process.start("mode = \"local\"\n", std::chrono::seconds(5));
  ASSERT_TRUE(failure.has_value());
  EXPECT_NE(failure->find("exited with code 1"), std::string::npos) << *failure;
}

// Memory figures come from /proc/PID/status.
TEST(TestBed, ReadsOwnMemoryUsage) {
  const auto usage = readMemoryUsage(::getpid());
  ASSERT_TRUE(usage.has_value());
  EXPECT_GT(usage->rss_kb, 0u);
  EXPECT_GE(usage->hwm_kb, usage->rss_kb);
}

// A request to a closed port fails cleanly.
TEST(TestBed, RawClientReportsRefusedConnection) {
  RawClient client{unusedPort()};
  EXPECT_FALSE(client.connected());
  EXPECT_NE(client.error().find("connect"), std::string::npos);
}

}  // namespace
}  // namespace oh::testing
