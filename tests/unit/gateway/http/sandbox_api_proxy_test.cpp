// The sandbox API listener's forward proxy to agent servers (issue 14) over real loopback
// sockets: a TestUpstream plays the sandbox's agent server (its echo route shows what arrived),
// and the app-server lookup names the loopback peer Alice's app server. What is relayed and
// how (target, Host, the keys), what is refused and counted, and the bounds (sizes, timeouts,
// framing a caller cannot smuggle past).

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "http/sandbox_api_server.h"
#include "sandbox/sandbox_routes.h"
#include "support/raw_client.h"
#include "support/test_upstream.h"

namespace oh::gateway {
namespace {

using testing::RawClient;
using testing::TestUpstream;

constexpr std::string_view kAlice = "alice-key";
constexpr std::string_view kBob = "bob-key";

class FixedRoutes final : public control::SandboxRouteSource {
public:
  explicit FixedRoutes(control::SandboxRoutesPtr routes) : routes_(std::move(routes)) {}
  control::SandboxRoutesPtr routes() const override { return routes_; }
  void noteConversation(std::string_view, std::string_view) override {}

private:
  control::SandboxRoutesPtr routes_;
};

class SandboxApiProxyTest : public ::testing::Test {
protected:
  void SetUp() override { startServer([](AgentProxyOptions&) {}); }

  void startServer(const std::function<void(AgentProxyOptions&)>& adjust) {
    server_.reset();
    auto route = [this](std::string id, std::string_view owner) {
      auto r = std::make_shared<control::SandboxRoute>();
      r->sandbox_id = std::move(id);
      r->owner = std::string(owner);
      r->address = "127.0.0.1";
      r->agent_port = agent_.port();
      return r;
    };
    auto routes = std::make_shared<const control::SandboxRoutes>(
        std::vector<control::SandboxRoutePtr>{route("AliceSandbox0001", kAlice), route("BobSandbox000001", kBob)},
        std::unordered_map<std::string, std::string>{});
    AgentProxyOptions proxy;
    proxy.sandboxes = std::make_shared<FixedRoutes>(routes);
    proxy.limits.runtime.host_suffixes = {"runtime.localhost"};
    proxy.exchange_timeout = std::chrono::seconds(5);
    adjust(proxy);
    server_ = std::make_unique<SandboxApiServer>(
        SandboxApiServerOptions{.listen_address = "127.0.0.1",
                                .access_log = false,
                                .app_server_user = [this](std::string_view ip) -> std::optional<std::string> {
                                  return ip == "127.0.0.1" && peer_user_ ? peer_user_ : std::nullopt;
                                },
                                .agent_proxy = std::move(proxy)},
        [](const control::ApiRequest&) {
          control::ApiResponse response;
          response.body = R"({"api":true})";
          response.endpoint = "list";
          return response;
        },
        metrics_);
    ASSERT_EQ(server_->start(), std::nullopt);
  }

  std::string agentHost(std::string_view sandbox = "alicesandbox0001") const {
    return std::to_string(agent_.port()) + "-" + std::string(sandbox) + ".runtime.localhost";
  }

  // An absolute-form request for host+path as httpx sends it through HTTP_PROXY.
  std::string proxied(std::string_view method, const std::string& host, std::string_view path,
                      std::string_view extra = {}, std::string_view body = {}) const {
    std::string out = std::string(method) + " http://" + host + std::string(path) + " HTTP/1.1\r\nHost: " + host +
                      "\r\n" + std::string(extra);
    if (!body.empty()) {
      out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    return out + "\r\n" + std::string(body);
  }

  std::optional<testing::RawResponse> exchange(const std::string& request) {
    RawClient client(server_->address().port);
    if (!client.send(request)) {
      return std::nullopt;
    }
    return client.readResponse();
  }

  bool counted(unsigned status, int times) const {
    const std::string line = R"(oh_sandbox_api_requests_total{endpoint="agent_proxy",code=")" + std::to_string(status) +
                             "\"} " + std::to_string(times);
    // Counted once the reply is written: the caller may read it a moment before.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (metrics_.renderPrometheus().find(line + "\n") == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  TestUpstream agent_;
  SandboxApiMetrics metrics_;
  std::optional<std::string> peer_user_ = std::string(kAlice);
  std::unique_ptr<SandboxApiServer> server_;
};

// httpx's call reaches the agent server in origin form with the runtime Host and its session
// key, without the sandbox API key or proxy headers; the connection then serves an API call.
TEST_F(SandboxApiProxyTest, RelaysTheOwnersCallAndKeepsTheConnection) {
  RawClient client(server_->address().port);
  ASSERT_TRUE(client.send(proxied("POST", agentHost("AliceSandbox0001"), "/api/conversations?x=1",
                                  "X-Session-API-Key: session-1\r\nX-API-Key: sandbox-api-key\r\n"
                                  "Proxy-Authorization: Basic eA==\r\nProxy-Connection: keep-alive\r\n"
                                  "Content-Type: application/json\r\n",
                                  R"({"agent":{}})")));
  auto response = client.readResponse();
  ASSERT_TRUE(response) << client.error();
  ASSERT_EQ(response->status, 200) << response->body;
  const auto echoed = testing::parseEcho(response->body);
  ASSERT_TRUE(echoed) << response->body;
  EXPECT_EQ(echoed->method, "POST");
  EXPECT_EQ(echoed->target, "/api/conversations?x=1");
  EXPECT_EQ(testing::findHeader(echoed->headers, "Host"), agentHost());
  EXPECT_EQ(testing::findHeader(echoed->headers, "X-Session-API-Key"), "session-1");
  EXPECT_EQ(testing::findHeader(echoed->headers, "X-API-Key"), std::nullopt);
  EXPECT_EQ(testing::findHeader(echoed->headers, "Proxy-Authorization"), std::nullopt);
  EXPECT_EQ(testing::findHeader(echoed->headers, "Proxy-Connection"), std::nullopt);
  EXPECT_EQ(echoed->body_bytes, 12u);
  EXPECT_EQ(response->header("Server"), std::string(testing::kUpstreamServerHeader));

  ASSERT_TRUE(client.send("GET /list HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\n\r\n"));
  response = client.readResponse();
  ASSERT_TRUE(response) << client.error();
  EXPECT_EQ(response->body, R"({"api":true})");
  EXPECT_TRUE(counted(200, 1));

  // Large answers are relayed whole; the agent's hop-by-hop fields stay behind.
  response = exchange(proxied("GET", agentHost(), "/bytes/1000000"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body_bytes, 1000000u);
  EXPECT_TRUE(response->body_matches_pattern);
  response = exchange(proxied("GET", agentHost(), "/hop"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header("Keep-Alive"), std::nullopt);
  EXPECT_EQ(response->header("X-Upstream-Hop"), std::nullopt);
}

TEST_F(SandboxApiProxyTest, RefusesOtherUsersSandboxesAndOtherPeersAndCountsThem) {
  auto response = exchange(proxied("GET", agentHost("bobsandbox000001"), "/alive"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 403);
  EXPECT_NE(response->body.find("another user's sandbox"), std::string::npos);
  response = exchange(proxied("GET", "127.0.0.1:" + std::to_string(agent_.port()), "/alive"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 403);
  peer_user_.reset();  // loopback, but no app server: a tool on the host
  response = exchange(proxied("GET", agentHost(), "/alive"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 403);
  EXPECT_NE(response->body.find("only app servers"), std::string::npos);
  EXPECT_TRUE(counted(403, 3));
  EXPECT_TRUE(agent_.requests().empty());
}

TEST_F(SandboxApiProxyTest, RefusesConnectHttpsAndUpgrades) {
  RawClient client(server_->address().port);
  ASSERT_TRUE(client.send("CONNECT " + agentHost() + ":443 HTTP/1.1\r\nHost: " + agentHost() + ":443\r\n\r\n"));
  auto response = client.readResponse();
  ASSERT_TRUE(response) << client.error();
  EXPECT_EQ(response->status, 405);
  EXPECT_TRUE(client.waitForClose());
  response = exchange("GET https://" + agentHost() + "/alive HTTP/1.1\r\nHost: " + agentHost() + "\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  response = exchange(proxied("GET", agentHost(), "/sockets/events/x",
                              "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 501);
  EXPECT_TRUE(agent_.requests().empty());
}

// Content-Length with Transfer-Encoding, or two lengths, never reach the agent server; a
// request hidden in a chunked body stays a body.
TEST_F(SandboxApiProxyTest, NoRequestSmuggling) {
  const std::string host = agentHost();
  auto response = exchange("POST http://" + host + "/a HTTP/1.1\r\nHost: " + host +
                           "\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  response = exchange("POST http://" + host + "/a HTTP/1.1\r\nHost: " + host +
                      "\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_TRUE(agent_.requests().empty());
  const std::string hidden = "GET /hidden HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", hidden.size());
  response = exchange("POST http://" + host + "/a HTTP/1.1\r\nHost: " + host + "\r\nTransfer-Encoding: chunked\r\n\r\n" +
                      size + "\r\n" + hidden + "\r\n0\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  ASSERT_TRUE(agent_.waitForRequests(1, std::chrono::seconds(5)));
  const auto requests = agent_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/a");
  EXPECT_EQ(requests[0].body_bytes, hidden.size());
  EXPECT_EQ(testing::findHeader(requests[0].headers, "Transfer-Encoding"), std::nullopt);
}

TEST_F(SandboxApiProxyTest, BoundsSizesAndTime) {
  startServer([](AgentProxyOptions& proxy) {
    proxy.max_request_bytes = 1000;
    proxy.max_response_bytes = 5000;
    proxy.exchange_timeout = std::chrono::seconds(1);
  });
  auto response = exchange(proxied("POST", agentHost(), "/a", {}, std::string(1001, 'x')));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  response = exchange(proxied("POST", agentHost(), "/a", {}, std::string(1000, 'x')));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  response = exchange(proxied("GET", agentHost(), "/bytes/5001"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 502);
  response = exchange(proxied("GET", agentHost(), "/slow/3000"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 504);
  response = exchange(proxied("GET", agentHost(), "/truncated/100"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 502);
  EXPECT_TRUE(counted(502, 2));
  EXPECT_TRUE(counted(504, 1));
}

TEST_F(SandboxApiProxyTest, OffWithoutRoutes) {
  startServer([](AgentProxyOptions& proxy) { proxy.sandboxes = nullptr; });
  auto response = exchange(proxied("GET", agentHost(), "/alive"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 403);
  EXPECT_TRUE(agent_.requests().empty());
}

}  // namespace
}  // namespace oh::gateway
