// Request policy through the real oh-gateway: origin check and its rotation on SIGHUP, rate
// limiting with trusted proxies, header and body limits.
#include <signal.h>

#include <thread>

#include "gateway_fixture.h"
#include "support/websocket_peers.h"

namespace oh::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kSecretA = "secret-A-0123456789abcdef0123456789abcdef";
constexpr std::string_view kSecretB = "secret-B-fedcba9876543210fedcba9876543210";
constexpr std::string_view kSecretC = "secret-C-00112233445566778899aabbccddeeff";

class PolicyTest : public GatewayTest {
protected:
  // The origin check on, as in aws mode: current = A, previous = B. (Local mode, so that no
  // sign-in stands between the check and the upstream; the check itself is the same code.)
  GatewayConfig originConfig() {
    gateway_ = std::make_unique<GatewayProcess>(GatewayProcess::defaultBinary());
    auto config = baseConfig();
    config.origin_enabled = true;
    config.origin_current_file = gateway_->writeFile("origin-current", std::string(kSecretA) + "\n").string();
    config.origin_previous_file = gateway_->writeFile("origin-previous", std::string(kSecretB) + "\n").string();
    return config;
  }

  static std::string requestWithOrigin(std::string_view secret, std::string_view target = "/echo") {
    Headers headers;
    if (!secret.empty()) {
      headers.push_back({"X-Origin-Verify", std::string(secret)});
    }
    return buildRequest("GET", target, headers, {});
  }
};

// Missing or wrong X-Origin-Verify gives 403 and never reaches the upstream; the current and
// the previous secret are both accepted.
TEST_F(PolicyTest, OriginCheck) {
  OH_START_GATEWAY(originConfig());
  const auto missing = get("/echo?case=missing");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 403);
  EXPECT_NE(missing->body.find(kOriginDenied), std::string::npos) << missing->body;

  const std::vector<std::string> wrongs{"wrong", std::string(kSecretA) + "x", std::string(kSecretA).substr(0, 20), ""};
  for (const auto& wrong : wrongs) {
    const auto response = get("/echo?case=wrong", {{"X-Origin-Verify", wrong}});
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 403) << "secret '" << wrong << "'";
  }
  for (const auto& request : upstream_.requests()) {
    ADD_FAILURE() << "rejected request reached the upstream: " << request.target;
  }

  const auto current = get("/echo?case=current", {{"X-Origin-Verify", std::string(kSecretA)}});
  ASSERT_TRUE(current.has_value());
  EXPECT_EQ(current->status, 200);
  const auto previous = get("/echo?case=previous", {{"X-Origin-Verify", std::string(kSecretB)}});
  ASSERT_TRUE(previous.has_value());
  EXPECT_EQ(previous->status, 200);
  // The secret is not forwarded to the app.
  const auto echoed = parseEcho(current->body);
  ASSERT_TRUE(echoed.has_value());
  const auto forwarded = findHeader(echoed->headers, "X-Origin-Verify");
  EXPECT_TRUE(!forwarded || *forwarded != kSecretA) << "origin secret forwarded upstream";
}

// The WebSocket upgrade is subject to the origin check too.
TEST_F(PolicyTest, OriginCheckOnWebSocketUpgrade) {
  OH_START_GATEWAY(originConfig());
  WebSocketClient client;
  EXPECT_TRUE(client.connect(port(), "app.example.test", "/socket.io/").has_value());
  EXPECT_EQ(client.handshakeStatus(), 403u);
}

// Rewriting the secret files then SIGHUP rotates the secrets without dropping an open
// keep-alive connection: C becomes current, A previous, B is no longer accepted.
TEST_F(PolicyTest, SighupRotatesSecretsKeepingConnections) {
  OH_START_GATEWAY(originConfig());
  RawClient kept{port()};
  ASSERT_TRUE(kept.connected());
  ASSERT_TRUE(kept.send(requestWithOrigin(kSecretA)));
  auto response = kept.readResponse();
  ASSERT_TRUE(response.has_value());
  ASSERT_EQ(response->status, 200);

  gateway_->writeFile("origin-current", std::string(kSecretC) + "\n");
  gateway_->writeFile("origin-previous", std::string(kSecretA) + "\n");
  ASSERT_TRUE(gateway_->signal(SIGHUP));
  // Reload is asynchronous: poll on fresh connections until C is accepted.
  bool rotated = false;
  for (int attempt = 0; attempt < 100 && !rotated; ++attempt) {
    const auto probe = get("/echo?probe", {{"X-Origin-Verify", std::string(kSecretC)}});
    rotated = probe && probe->status == 200;
    if (!rotated) {
      std::this_thread::sleep_for(100ms);
    }
  }
  ASSERT_TRUE(rotated) << "new secret not accepted after SIGHUP\nstderr:\n" << gateway_->stderrText();
  EXPECT_TRUE(gateway_->running());

  // The connection opened before the reload still works, under the new secrets.
  ASSERT_TRUE(kept.send(requestWithOrigin(kSecretC)));
  response = kept.readResponse();
  ASSERT_TRUE(response.has_value()) << "keep-alive connection dropped by SIGHUP: " << kept.error();
  EXPECT_EQ(response->status, 200);
  ASSERT_TRUE(kept.send(requestWithOrigin(kSecretA)));
  response = kept.readResponse();
  ASSERT_TRUE(response.has_value()) << kept.error();
  EXPECT_EQ(response->status, 200);
  const auto old_previous = get("/echo", {{"X-Origin-Verify", std::string(kSecretB)}});
  ASSERT_TRUE(old_previous.has_value());
  EXPECT_EQ(old_previous->status, 403);
}

// A client over its bucket gets 429 with Retry-After; the request does not reach the upstream.
TEST_F(PolicyTest, RateLimitGives429WithRetryAfter) {
  auto config = baseConfig();
  config.rate_limit_enabled = true;
  config.requests_per_second = 0.01;  // effectively no refill during the test
  config.burst = 3;
  OH_START_GATEWAY(config);
  std::vector<int> statuses;
  std::optional<RawResponse> limited;
  for (int i = 0; i < 6; ++i) {
    auto response = get("/echo?n=" + std::to_string(i));
    ASSERT_TRUE(response.has_value());
    statuses.push_back(response->status);
    if (response->status == 429 && !limited) {
      limited = response;
    }
  }
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 200, 429, 429, 429}));
  ASSERT_TRUE(limited.has_value());
  const auto retry_after = limited->header("Retry-After");
  ASSERT_TRUE(retry_after.has_value()) << "429 without Retry-After";
  EXPECT_GT(std::atoi(retry_after->c_str()), 0) << *retry_after;
  EXPECT_EQ(upstream_.requests().size(), 3u);
}

// Connections over server.max_connections are closed as they are accepted; the open ones keep
// working, and a slot freed by a closing client is used again.
TEST_F(PolicyTest, ConnectionsOverMaxConnectionsAreClosed) {
  auto config = baseConfig();
  config.max_connections = 2;
  OH_START_GATEWAY(config);
  const std::string request = "GET /echo HTTP/1.1\r\nHost: gateway.test\r\n\r\n";
  auto expectServed = [&](RawClient& client) {
    ASSERT_TRUE(client.connected()) << client.error();
    ASSERT_TRUE(client.send(request)) << client.error();
    const auto response = client.readResponse();
    ASSERT_TRUE(response.has_value()) << client.error();
    EXPECT_EQ(response->status, 200);
  };
  RawClient first(port());
  RawClient second(port());
  expectServed(first);
  expectServed(second);

  // The kernel completes the handshake before the gateway accepts, so the refusal is a close.
  RawClient third(port());
  ASSERT_TRUE(third.connected()) << third.error();
  EXPECT_TRUE(third.waitForClose(5s)) << "a third connection was kept over max_connections = 2";
  expectServed(first);

  // The gateway frees the slot when it sees the close; poll until a new client is served.
  second.close();
  bool served_again = false;
  for (int attempt = 0; attempt < 50 && !served_again; ++attempt) {
    RawClient next(port());
    if (next.connected() && next.send(request)) {
      const auto response = next.readResponse();
      served_again = response.has_value() && response->status == 200;
    }
    if (!served_again) {
      std::this_thread::sleep_for(100ms);
    }
  }
  EXPECT_TRUE(served_again) << "no connection accepted after one of the two closed";
}

// X-Forwarded-For is believed from a trusted proxy: the upstream sees the client's address and
// each client gets its own bucket.
TEST_F(PolicyTest, TrustedProxyForwardedFor) {
  auto config = baseConfig();
  config.rate_limit_enabled = true;
  config.requests_per_second = 0.01;
  config.burst = 2;
  config.trusted_proxies = {"127.0.0.0/8"};
  OH_START_GATEWAY(config);
  const Headers client_a{{"X-Forwarded-For", "203.0.113.7"}, {"X-Forwarded-Proto", "https"}};
  const Headers client_b{{"X-Forwarded-For", "198.51.100.4"}};
  auto response = get("/echo", client_a);
  ASSERT_TRUE(response.has_value());
  ASSERT_EQ(response->status, 200);
  const auto echoed = parseEcho(response->body);
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(findHeader(echoed->headers, "X-Real-IP"), "203.0.113.7");
  const auto chain = findHeader(echoed->headers, "X-Forwarded-For").value_or("");
  EXPECT_EQ(chain.rfind("203.0.113.7", 0), 0u) << chain;
  // Behind the ALB the scheme the browser used comes from the trusted proxy.
  EXPECT_EQ(findHeader(echoed->headers, "X-Forwarded-Proto"), "https");
  EXPECT_EQ(get("/echo", client_a)->status, 200);
  EXPECT_EQ(get("/echo", client_a)->status, 429);
  EXPECT_EQ(get("/echo", client_b)->status, 200);
}

// Issue 16: an origin secret sent twice was decided by its first copy; now any repeat is 403,
// whichever copy is right, and never reaches the upstream.
TEST_F(PolicyTest, OriginSecretSentTwiceIsRefused) {
  OH_START_GATEWAY(originConfig());
  for (const Headers& headers : {Headers{{"X-Origin-Verify", std::string(kSecretA)}, {"X-Origin-Verify", "wrong"}},
                                 Headers{{"X-Origin-Verify", "wrong"}, {"X-Origin-Verify", std::string(kSecretA)}},
                                 Headers{{"X-Origin-Verify", std::string(kSecretA)}, {"x-origin-verify", std::string(kSecretA)}}}) {
    const auto response = get("/echo?case=twice", headers);
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 403);
  }
  EXPECT_TRUE(upstream_.requests().empty());
  EXPECT_EQ(get("/echo", {{"X-Origin-Verify", std::string(kSecretA)}})->status, 200);
}

// Issue 16: behind CloudFront every viewer shared the edge's address (one rate-limit bucket,
// one login lockout). With the origin secret, CloudFront-Viewer-Address names the client: the
// upstream sees it and each viewer has its own bucket. Without the origin check (nothing proves
// CloudFront sent it) the header is ignored.
TEST_F(PolicyTest, ViewerAddressBelievedOnlyWithTheOriginSecret) {
  auto config = originConfig();
  config.rate_limit_enabled = true;
  config.requests_per_second = 0.01;
  config.burst = 2;
  OH_START_GATEWAY(config);
  const Headers viewer_a{{"X-Origin-Verify", std::string(kSecretA)}, {"CloudFront-Viewer-Address", "203.0.113.7:50123"}};
  const Headers viewer_b{{"X-Origin-Verify", std::string(kSecretA)},
                         {"CloudFront-Viewer-Address", "2001:db8::7:443"}};
  auto response = get("/echo", viewer_a);
  ASSERT_TRUE(response.has_value());
  ASSERT_EQ(response->status, 200);
  const auto echoed = parseEcho(response->body);
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(findHeader(echoed->headers, "X-Real-IP"), "203.0.113.7");
  EXPECT_EQ(get("/echo", viewer_a)->status, 200);
  EXPECT_EQ(get("/echo", viewer_a)->status, 429);
  EXPECT_EQ(get("/echo", viewer_b)->status, 200);
  // A repeated header is no viewer address: the request counts as the TCP peer's (fresh bucket).
  const Headers doubled{{"X-Origin-Verify", std::string(kSecretA)},
                        {"CloudFront-Viewer-Address", "203.0.113.7:1"},
                        {"CloudFront-Viewer-Address", "198.51.100.1:1"}};
  auto peer = get("/echo", doubled);
  ASSERT_TRUE(peer.has_value());
  ASSERT_EQ(peer->status, 200);
  EXPECT_EQ(findHeader(parseEcho(peer->body)->headers, "X-Real-IP"), "127.0.0.1");
}

TEST_F(PolicyTest, ViewerAddressIgnoredWithoutTheOriginCheck) {
  OH_START_GATEWAY(baseConfig());
  auto response = get("/echo", {{"CloudFront-Viewer-Address", "203.0.113.7:50123"}});
  ASSERT_TRUE(response.has_value());
  ASSERT_EQ(response->status, 200);
  EXPECT_EQ(findHeader(parseEcho(response->body)->headers, "X-Real-IP"), "127.0.0.1");
}

// Issue 16, DNS rebinding: with hosts configured, any other Host gets 421 before anything else
// (the upstream never sees it); the probes answer whatever the Host. The admin listener serves
// loopback names only.
TEST_F(PolicyTest, UnknownHostsGet421) {
  auto config = baseConfig();
  config.allowed_hosts = {"gateway.test", "origin.gateway.test:8443"};
  OH_START_GATEWAY(config);
  EXPECT_EQ(get("/echo")->status, 200);  // Host: gateway.test
  EXPECT_EQ(simpleRequest(port(), "GET", "/echo", {}, {}, "GATEWAY.test:1234")->status, 200);
  EXPECT_EQ(simpleRequest(port(), "GET", "/echo", {}, {}, "origin.gateway.test:8443")->status, 200);
  const std::size_t seen = upstream_.requests().size();
  for (const char* host : {"rebound.evil.test", "origin.gateway.test", "127.0.0.1", "gateway.test.evil.test"}) {
    const auto refused = simpleRequest(port(), "GET", "/echo", {}, {}, host);
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->status, 421) << host;
  }
  EXPECT_EQ(upstream_.requests().size(), seen);
  EXPECT_EQ(simpleRequest(port(), "GET", "/_gateway/health", {}, {}, "10.0.0.5")->status, 200);
  ASSERT_NE(gateway_->adminPort(), 0);
  EXPECT_EQ(simpleRequest(gateway_->adminPort(), "GET", "/metrics", {}, {}, "rebound.evil.test:9090")->status, 421);
  EXPECT_EQ(simpleRequest(gateway_->adminPort(), "GET", "/metrics", {}, {}, "127.0.0.1:9090")->status, 200);
  EXPECT_EQ(simpleRequest(gateway_->adminPort(), "GET", "/metrics", {}, {}, "localhost")->status, 200);
}

// A header block over limits.max_header_bytes gives 431 and the connection is closed.
TEST_F(PolicyTest, OversizedHeaderGives431) {
  auto config = baseConfig();
  config.max_header_bytes = 4096;
  OH_START_GATEWAY(config);
  RawClient client{port()};
  ASSERT_TRUE(client.send(buildRequest("GET", "/echo", {{"X-Big", std::string(8000, 'a')}}, {})));
  const auto response = client.readResponse();
  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->status, 431);
  EXPECT_TRUE(client.waitForClose());
  EXPECT_TRUE(upstream_.requests().empty());
  // Just under the limit passes.
  const auto fine = get("/echo", {{"X-Big", std::string(2000, 'a')}});
  ASSERT_TRUE(fine.has_value());
  EXPECT_EQ(fine->status, 200);
}

// A body over the route's limit gives 413, whether announced by Content-Length or chunked.
TEST_F(PolicyTest, OversizedBodyGives413) {
  auto config = baseConfig();
  config.max_body_bytes = 1024 * 1024;
  config.body_rules.push_back({"/api/small", 1024});
  OH_START_GATEWAY(config);
  {
    RawClient client{port()};
    ASSERT_TRUE(client.send("POST /api/small/upload HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 2048\r\n\r\n"));
    const auto response = client.readResponse();
    ASSERT_TRUE(response.has_value()) << client.error();
    EXPECT_EQ(response->status, 413);
  }
  {
    RawClient client{port()};
    ASSERT_TRUE(client.send("POST /api/small/upload HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: chunked\r\n\r\n"));
    client.sendChunkedPattern(4096, 512);  // the gateway may stop reading once it has decided
    const auto response = client.readResponse();
    ASSERT_TRUE(response.has_value()) << client.error();
    EXPECT_EQ(response->status, 413);
  }
  {
    RawClient client{port()};
    ASSERT_TRUE(client.send("POST /other HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 2097152\r\n\r\n"));
    const auto response = client.readResponse();
    ASSERT_TRUE(response.has_value()) << client.error();
    EXPECT_EQ(response->status, 413);
  }
  for (const auto& request : upstream_.requests()) {
    EXPECT_FALSE(request.complete) << "over-limit body fully delivered upstream: " << request.target;
  }
  // Under the limit passes, on the longest matching prefix.
  const auto fine = simpleRequest(port(), "POST", "/api/small/upload", {}, std::string(1000, 'x'));
  ASSERT_TRUE(fine.has_value());
  EXPECT_EQ(fine->status, 200);
  const auto elsewhere = simpleRequest(port(), "POST", "/other", {}, std::string(4096, 'x'));
  ASSERT_TRUE(elsewhere.has_value());
  EXPECT_EQ(elsewhere->status, 200);
}

}  // namespace
}  // namespace oh::testing
