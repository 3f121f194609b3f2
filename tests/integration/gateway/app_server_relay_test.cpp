// Per-user routing through the real data plane (issue 14): a GatewayServer in this process,
// with the GatewayGate routing to users' app servers, two plain HTTP upstreams standing in for
// alice's and bob's servers, and a WebSocket echo server. The directory is a fake that the
// test sets and that counts activity; sign-in is a stand-in that reads one test cookie (the
// sign-in itself is tested elsewhere): what is tested is that the relay goes where the session
// says, over pooled and keep-alive connections, and reports touches and tunnel lifetimes.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "auth/cookies.h"
#include "http/gateway_server.h"
#include "routing/gateway_gate.h"
#include "sandbox/user_key.h"
#include "support/raw_client.h"
#include "support/test_upstream.h"
#include "support/websocket_peers.h"
#include "support/fake_app_servers.h"

namespace oh::gateway {
namespace {

using namespace std::chrono_literals;
using oh::testing::RawClient;
using oh::testing::RawResponse;

const std::string kAlice = control::userKeyForSubject("alice");
const std::string kBob = control::userKeyForSubject("bob");

// The session is the value of one test cookie, "who=NAME"; a request without it gets 401.
class CookieSignIn final : public SignIn {
public:
  void authenticate(const GateRequest& request, HostRole, bool, Done done) override {
    const auto found = auth::findCookies(request.cookie, "who");
    AuthOutcome outcome;
    if (found.size() != 1) {
      ErrorReply reply;
      reply.status = 401;
      reply.content_type = "application/json";
      reply.body = R"({"error":"unauthenticated"})";
      outcome.decision = GateDecision::answer(std::move(reply), "test: no session");
      return done(std::move(outcome));
    }
    outcome.identity = Identity{std::string(found.front()), "", false};
    outcome.plan.user = outcome.identity->sub;
    done(std::move(outcome));
  }
};

bool eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 200; ++i) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(25ms);
  }
  return condition();
}

class AppServerRelayTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto settings = std::make_shared<Settings>();
    settings->server.listen_address = "127.0.0.1";
    settings->server.listen_port = 0;
    settings->server.threads = 2;
    settings->origin.enabled = false;
    settings->rate_limit.enabled = false;
    settings->admin.enabled = false;
    settings->log.access_log = false;
    settings->auth.provider = AuthProvider::local;
    settings->upstream.url = "http://127.0.0.1:1";  // never used: every request has a user's server
    settings->upstream.host = "127.0.0.1";
    settings->upstream.port = 1;
    servers_->setReady(kAlice, "127.0.0.1", alice_.port());
    servers_->setReady(kBob, "127.0.0.1", bob_.port());
    auto router = std::make_shared<const AppServerRouter>(servers_, nullptr);
    auto gate = std::make_shared<GatewayGate>(settings, std::make_shared<CookieSignIn>(), nullptr, nullptr, router);
    auto built = buildSnapshot(settings, nullptr, [gate](const SettingsPtr&) { return RequestGatePtr(gate); });
    ASSERT_TRUE(std::holds_alternative<SnapshotPtr>(built)) << std::get<std::string>(built);
    server_ = std::make_unique<GatewayServer>(std::get<SnapshotPtr>(built), metrics_);
    ASSERT_EQ(server_->start(), std::nullopt);
    port_ = server_->listenAddress().port;
  }
  void TearDown() override {
    if (server_) {
      server_->stop();
    }
  }

  std::optional<RawResponse> get(std::string_view target, const oh::testing::Headers& headers) const {
    return oh::testing::simpleRequest(port_, "GET", target, headers, "", "oh.example.com");
  }

  Metrics metrics_;
  oh::testing::TestUpstream alice_;
  oh::testing::TestUpstream bob_;
  std::shared_ptr<testing::FakeAppServers> servers_ = std::make_shared<testing::FakeAppServers>();
  std::unique_ptr<GatewayServer> server_;
  std::uint16_t port_ = 0;
};

// This test verifies each user's request reaches their own server only, and that every relayed
// exchange is one touch of that user's server.
TEST_F(AppServerRelayTest, EachUserReachesOwnServer) {
  for (int i = 0; i < 3; ++i) {
    auto response = get("/api/conversations", {{"Cookie", "who=alice"}});
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
  }
  auto for_bob = get("/api/conversations", {{"Cookie", "who=bob"}});
  ASSERT_TRUE(for_bob);
  EXPECT_EQ(for_bob->status, 200);
  EXPECT_EQ(alice_.requests().size(), 3U);
  EXPECT_EQ(bob_.requests().size(), 1U);
  EXPECT_TRUE(eventually([&] { return servers_->touches(kAlice) == 3 && servers_->touches(kBob) == 1; }))
      << servers_->touches(kAlice) << " " << servers_->touches(kBob);
  auto unsigned_request = get("/api/conversations", {});
  ASSERT_TRUE(unsigned_request);
  EXPECT_EQ(unsigned_request->status, 401);
}

// This test verifies alice's crafted requests (bob's key in path and query, forwarding and
// identity headers naming bob, extra cookies) reach only alice's server, and that alice and
// bob taking turns on one keep-alive connection each reach their own (the upstream pool never
// hands one user's connection to the other).
TEST_F(AppServerRelayTest, CraftedAndInterleavedRequestsStayWithTheirUser) {
  RawClient client(port_);
  ASSERT_TRUE(client.connected());
  const std::string crafted_targets[] = {"/" + kBob + "/api/settings", "/api/settings?user_key=" + kBob,
                                         "/_gateway/appserver/../api/settings"};
  for (const std::string& target : crafted_targets) {
    const std::string request = "GET " + target +
                                " HTTP/1.1\r\nHost: oh.example.com\r\nCookie: who=alice; user=" + kBob +
                                "\r\nX-Forwarded-Host: bob.example.com\r\nX-Cognito-User-Id: bob\r\n\r\n";
    ASSERT_TRUE(client.send(request));
    auto response = client.readResponse();
    ASSERT_TRUE(response) << client.error();
    EXPECT_EQ(response->status, 200);
  }
  for (const std::string who : {"bob", "alice", "bob", "alice"}) {
    ASSERT_TRUE(client.send("GET /api/options HTTP/1.1\r\nHost: oh.example.com\r\nCookie: who=" + who + "\r\n\r\n"));
    auto response = client.readResponse();
    ASSERT_TRUE(response) << client.error();
    EXPECT_EQ(response->status, 200);
  }
  const auto to_alice = alice_.requests();
  const auto to_bob = bob_.requests();
  EXPECT_EQ(to_alice.size(), 5U);
  EXPECT_EQ(to_bob.size(), 2U);
  for (const auto& request : to_alice) {
    EXPECT_EQ(oh::testing::findHeader(request.headers, "X-Cognito-User-Id"), std::nullopt) << "spoofed identity removed";
  }
  for (const auto& request : to_bob) {
    EXPECT_EQ(request.target, "/api/options");
  }
}

// This test verifies a browser whose server is starting gets the start page and a script the
// JSON 503, from the real listener.
TEST_F(AppServerRelayTest, StartPageAndJson503WhileStarting) {
  control::AppServerView starting;
  starting.phase = control::AppServerPhase::starting;
  servers_->set(kAlice, starting);
  auto page = get("/", {{"Cookie", "who=alice"}, {"Accept", "text/html"}, {"Sec-Fetch-Mode", "navigate"}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 503);
  EXPECT_NE(page->body.find("Starting your OpenHands"), std::string::npos);
  EXPECT_EQ(page->header("Retry-After"), "2");
  auto json = get("/api/settings", {{"Cookie", "who=alice"}, {"Accept", "application/json"}});
  ASSERT_TRUE(json);
  EXPECT_EQ(json->status, 503);
  EXPECT_NE(json->body.find("\"phase\":\"starting\""), std::string::npos);
  auto status = get("/_gateway/appserver/status", {{"Cookie", "who=alice"}});
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 200);
  EXPECT_NE(status->body.find("\"phase\":\"starting\""), std::string::npos);
  EXPECT_TRUE(alice_.requests().empty());
}

// This test verifies a WebSocket to a user's server is one connectionOpened while the tunnel
// lives and exactly one connectionClosed when it ends, whichever side ends it; an upgrade the
// server refuses opens nothing.
TEST_F(AppServerRelayTest, WebSocketTunnelOpensAndClosesOnce) {
  oh::testing::WebSocketEchoServer echo;
  servers_->setReady(kAlice, "127.0.0.1", echo.port());
  {
    oh::testing::WebSocketClient client;
    ASSERT_EQ(client.connect(port_, "oh.example.com", "/sockets/events/abc", {{"Cookie", "who=alice"}}), std::nullopt);
    ASSERT_TRUE(client.sendText("hello"));
    EXPECT_TRUE(eventually([&] { return servers_->opened(kAlice) == 1; }));
    EXPECT_EQ(servers_->closed(kAlice), 0) << "open while the tunnel lives";
    ASSERT_TRUE(client.sendText("close:1000"));  // the server ends this one
  }
  EXPECT_TRUE(eventually([&] { return servers_->closed(kAlice) == 1; }));
  {
    oh::testing::WebSocketClient client;
    ASSERT_EQ(client.connect(port_, "oh.example.com", "/sockets/events/def", {{"Cookie", "who=alice"}}), std::nullopt);
    EXPECT_TRUE(eventually([&] { return servers_->opened(kAlice) == 2; }));
  }  // the client goes away without a close frame
  EXPECT_TRUE(eventually([&] { return servers_->closed(kAlice) == 2; }));

  // Bob's server is a plain HTTP server: it answers the upgrade with 200, no tunnel opens.
  oh::testing::WebSocketClient refused;
  EXPECT_NE(refused.connect(port_, "oh.example.com", "/sockets/events/x", {{"Cookie", "who=bob"}}), std::nullopt);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(servers_->opened(kBob), 0);
  EXPECT_EQ(servers_->closed(kBob), 0);
  EXPECT_EQ(servers_->opened(kAlice), 2);
  EXPECT_EQ(servers_->closed(kAlice), 2);
}

}  // namespace
}  // namespace oh::gateway
