// The sandbox API's listener over real loopback sockets, with a handler that records what it
// was given: what reaches the handler (method, target, X-API-Key, body), what the caller gets
// (status, JSON, Retry-After, keep-alive), and the limits the listener enforces itself.

#include "http/sandbox_api_server.h"

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/raw_client.h"

namespace oh::gateway {
namespace {

using testing::RawClient;

struct Seen {
  std::string method, target, api_key, body;
};

class SandboxApiServerTest : public ::testing::Test {
protected:
  void SetUp() override {
    server_ = std::make_unique<SandboxApiServer>(
        SandboxApiServerOptions{.listen_address = "127.0.0.1", .listen_port = 0, .access_log = false},
        [this](const control::ApiRequest& request) {
          std::lock_guard lock(mutex_);
          seen_.push_back({std::string(request.method), std::string(request.target), std::string(request.api_key),
                           std::string(request.body)});
          if (request.target == "/throw") {
            throw std::runtime_error("boom");
          }
          control::ApiResponse response;
          response.status = request.target == "/busy" ? 503 : 200;
          response.body = R"({"runtimes":[]})";
          if (response.status == 503) {
            response.headers.emplace_back("Retry-After", "5");
          }
          response.owner = "0123456789abcdef0123456789abcdef";
          response.endpoint = "list";
          return response;
        },
        metrics_);
    ASSERT_EQ(server_->start(), std::nullopt);
    port_ = server_->address().port;
    ASSERT_NE(port_, 0);
  }

  std::vector<Seen> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

  SandboxApiMetrics metrics_;
  std::unique_ptr<SandboxApiServer> server_;
  std::uint16_t port_ = 0;
  std::mutex mutex_;
  std::vector<Seen> seen_;
};

// A call as httpx sends it reaches the handler whole; the reply is JSON, not cached, and the
// connection stays open for the next call (httpx pools connections).
TEST_F(SandboxApiServerTest, CallReachesHandlerAndKeepsAlive) {
  RawClient client(port_);
  ASSERT_TRUE(client.connected());
  const std::string body = R"({"runtime_id":"abc"})";
  ASSERT_TRUE(client.send("POST /pause HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: k1\r\nContent-Type: application/json\r\n"
                          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
  auto response = client.readResponse();
  ASSERT_TRUE(response) << client.error();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("Content-Type"), "application/json");
  EXPECT_EQ(response->header("Cache-Control"), "no-store");
  EXPECT_EQ(response->body, R"({"runtimes":[]})");
  ASSERT_TRUE(client.send("GET /list HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: k2\r\n\r\n"));
  ASSERT_TRUE(client.readResponse());
  const auto calls = seen();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].method, "POST");
  EXPECT_EQ(calls[0].target, "/pause");
  EXPECT_EQ(calls[0].api_key, "k1");
  EXPECT_EQ(calls[0].body, body);
  EXPECT_EQ(calls[1].api_key, "k2");
  EXPECT_EQ(calls[1].body, "");
}

// The handler's extra headers (Retry-After on a 503) are sent.
TEST_F(SandboxApiServerTest, RetryAfterIsSent) {
  RawClient client(port_);
  ASSERT_TRUE(client.send("GET /busy HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\n\r\n"));
  auto response = client.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->header("Retry-After"), "5");
}

// Two X-API-Key fields are ambiguous: refused before the handler sees them.
TEST_F(SandboxApiServerTest, TwoApiKeysRefused) {
  RawClient client(port_);
  ASSERT_TRUE(client.send("GET /list HTTP/1.1\r\nHost: x\r\nX-API-Key: a\r\nx-api-key: b\r\n\r\n"));
  auto response = client.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_TRUE(seen().empty());
}

// A body over kMaxApiBodyBytes is refused from its Content-Length (413) without being read,
// and the connection is closed; a head over the limit is 431.
TEST_F(SandboxApiServerTest, OversizedBodyAndHeadRefused) {
  {
    RawClient client(port_);
    ASSERT_TRUE(client.send("POST /start HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\nContent-Length: " +
                            std::to_string(control::kMaxApiBodyBytes + 1) + "\r\n\r\n{"));
    auto response = client.readResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);
    EXPECT_NE(response->body.find("\"error\""), std::string::npos);
    EXPECT_TRUE(client.waitForClose());
  }
  {
    RawClient client(port_);
    ASSERT_TRUE(client.send("GET /list HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n"));
    auto response = client.readResponse();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 431);
  }
  EXPECT_TRUE(seen().empty());
}

// Bytes that are not HTTP get a 400 and a closed connection, never a crash.
TEST_F(SandboxApiServerTest, GarbageIsRefused) {
  RawClient client(port_);
  static constexpr char kGarbage[] = "\x16\x03\x01\x02\x00 garbage\r\n\r\n";  // a TLS hello's start
  ASSERT_TRUE(client.send(std::string(kGarbage, sizeof kGarbage - 1)));
  auto response = client.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_TRUE(client.waitForClose());
}

// A handler that throws costs one 500, and the listener keeps serving.
TEST_F(SandboxApiServerTest, ThrowingHandlerIsOne500) {
  RawClient client(port_);
  ASSERT_TRUE(client.send("GET /throw HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\n\r\n"));
  auto response = client.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  RawClient again(port_);
  ASSERT_TRUE(again.send("GET /list HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\n\r\n"));
  auto next = again.readResponse();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

// Every answered call is counted under the endpoint the handler named.
TEST_F(SandboxApiServerTest, CallsAreCounted) {
  RawClient client(port_);
  ASSERT_TRUE(client.send("GET /list HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\nConnection: close\r\n\r\n"));
  ASSERT_TRUE(client.readResponse());
  EXPECT_TRUE(client.waitForClose());
  const std::string text = metrics_.renderPrometheus();
  EXPECT_NE(text.find(R"(oh_sandbox_api_requests_total{endpoint="list",code="200"} 1)"), std::string::npos) << text;
}

// stop() closes the listener: no further connection is accepted.
TEST_F(SandboxApiServerTest, StopClosesTheListener) {
  server_->stop();
  RawClient client(port_, std::chrono::milliseconds(500));
  EXPECT_FALSE(client.connected() && client.send("GET /list HTTP/1.1\r\nHost: x\r\n\r\n") && client.readResponse());
}

// Who may call (issue 15): loopback in every spelling, else only what the app-server predicate
// admits; without a predicate, loopback only; garbage is refused. The predicate sees IPv4-mapped
// peers in their IPv4 form. (Refusal on real sockets from a sandbox's network: the host
// isolation test, tests/integration/instance/sandbox_isolation_test.cpp.)
TEST(SandboxApiPeers, LoopbackAndAppServersOnly) {
  std::vector<std::string> asked;
  const AppServerUserLookup app_servers = [&asked](std::string_view ip) -> std::optional<std::string> {
    asked.emplace_back(ip);
    if (ip == "10.89.0.7" || ip == "fd00::7") {
      return "user-" + std::string(ip);
    }
    return std::nullopt;
  };
  for (const char* ip : {"127.0.0.1", "127.5.6.7", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(admitsSandboxApiPeer(ip, app_servers)) << ip;
    EXPECT_TRUE(admitsSandboxApiPeer(ip, nullptr)) << ip;
  }
  EXPECT_TRUE(asked.empty());  // loopback never needs the pool
  EXPECT_TRUE(admitsSandboxApiPeer("10.89.0.7", app_servers));
  EXPECT_TRUE(admitsSandboxApiPeer("::ffff:10.89.0.7", app_servers));
  EXPECT_EQ(asked.back(), "10.89.0.7");
  EXPECT_TRUE(admitsSandboxApiPeer("fd00::7", app_servers));
  for (const char* ip : {"10.89.0.8", "169.254.170.2", "0.0.0.0", "::", "fd00::8", "", "localhost", "10.89.0.7 ",
                         "::ffff:10.89.0.8", "999.1.1.1"}) {
    EXPECT_FALSE(admitsSandboxApiPeer(ip, app_servers)) << ip;
  }
  EXPECT_FALSE(admitsSandboxApiPeer(std::string_view("10.89.0.7\0x", 11), app_servers));
  EXPECT_FALSE(admitsSandboxApiPeer(std::string_view("127.0.0.1\0x", 11), nullptr));
  EXPECT_FALSE(admitsSandboxApiPeer("10.89.0.7", nullptr));
  // Whose app server a peer is, by the same address rules.
  EXPECT_EQ(appServerUserOf("::ffff:10.89.0.7", app_servers), std::optional<std::string>("user-10.89.0.7"));
  EXPECT_EQ(appServerUserOf("10.89.0.8", app_servers), std::nullopt);
  EXPECT_EQ(appServerUserOf(std::string_view("10.89.0.7\0x", 11), app_servers), std::nullopt);
  EXPECT_EQ(appServerUserOf("10.89.0.7", nullptr), std::nullopt);
}

// A loopback caller is served whatever the predicate says (the tests above all call from
// loopback), and the predicate is never asked about it.
TEST(SandboxApiPeers, LoopbackServedWithARefusingPredicate) {
  SandboxApiMetrics metrics;
  std::atomic<int> asked{0};
  SandboxApiServer server(
      SandboxApiServerOptions{.listen_address = "127.0.0.1", .access_log = false,
                              .app_server_user = [&asked](std::string_view) -> std::optional<std::string> {
                                return ++asked, std::nullopt;
                              }},
      [](const control::ApiRequest&) {
        control::ApiResponse response;
        response.status = 200;
        response.body = "{}";
        return response;
      },
      metrics);
  ASSERT_EQ(server.start(), std::nullopt);
  RawClient client(server.address().port);
  ASSERT_TRUE(client.send("GET /list HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\n\r\n"));
  auto response = client.readResponse();
  ASSERT_TRUE(response) << client.error();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(asked.load(), 0);
  EXPECT_EQ(metrics.refusedPeers(), 0u);
}

}  // namespace
}  // namespace oh::gateway
