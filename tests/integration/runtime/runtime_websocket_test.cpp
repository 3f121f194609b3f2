// WebSockets to runtime apps through the real oh-gateway, to real containers (Podman) running
// ws-echo (ws_echo/ws_echo_server.cpp): the echo through the host form (the path form opens none), the
// owner policy applied to the upgrade, websocket.max_message_bytes through a runtime app, and
// the OpenHands 1.x agent-server flow as docs/instance.md ("Sandbox URLs") describes what stock
// OpenHands 1.3 does: a container named oh-agent-server-{base62 id} with only the
// sandbox_spec_id label, its port 8000 published on a random host port; the app server's
// health check without a cookie, the browser's /sockets/events/{id}?session_api_key=... with
// the main host's Origin, the key never in the gateway's log, other containers' published
// ports unreachable, and the route gone once the container stops.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "runtime_gateway_fixture.h"
#include "support/websocket_peers.h"

namespace oh::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::uint16_t kWsPort = PodmanService::kWebSocketPort;

// Every byte value, so a binary frame that is not relayed byte for byte shows.
std::string allBytes() {
  std::string out;
  for (int i = 0; i < 256; ++i) {
    out.push_back(static_cast<char>(i));
  }
  return out;
}

// Sends text and binary messages, interleaved, and checks each comes back as sent (same type,
// same bytes, same order).
void expectEchoes(WebSocketClient& client) {
  const std::vector<WebSocketMessage> messages = {{true, "hello"},
                                                  {false, allBytes()},
                                                  {true, "{\"action\":\"message\",\"args\":{\"content\":\"é ✓\"}}"},
                                                  {false, std::string(40000, '\x7f')},
                                                  {true, std::string(3000, 'x')}};
  for (const WebSocketMessage& m : messages) {
    ASSERT_TRUE(m.text ? client.sendText(m.data) : client.sendBinary(m.data));
  }
  for (const WebSocketMessage& m : messages) {
    const auto echoed = client.read();
    ASSERT_TRUE(echoed.has_value()) << "no echo for a " << (m.text ? "text" : "binary") << " message of "
                                    << m.data.size() << " bytes";
    EXPECT_EQ(echoed->text, m.text);
    EXPECT_EQ(echoed->data, m.data);
  }
}

// The upgrade request as the app in the container saw it (ws-echo's "!request"): the target,
// then one "name: value" line per header field.
std::string requestSeenByApp(WebSocketClient& client) {
  if (!client.sendText("!request")) {
    return {};
  }
  const auto answer = client.read();
  return answer ? answer->data : std::string();
}

// runtime.access = "public", auth.provider = "none": WebSocket routing alone.
// Each test starts the gateway itself (some with extra settings); SetUp's skip or failure
// keeps the test body from running.
class RuntimeWebSocketTest : public RuntimeGatewayBase {
protected:
  void SetUp() override { prepare(); }
};

// This test verifies a WebSocket to {port}-{convId}.runtime.{suffix} reaches that container's
// app on that port with the path and query unchanged, echoes text and binary messages, and
// closes cleanly.
TEST_F(RuntimeWebSocketTest, EchoThroughHostForm) {
  ASSERT_NO_FATAL_FAILURE(startPublicGateway());
  WebSocketClient client;
  const auto failure = client.connect(gateway_->port(), host(kWsPort, alice_), "/ws/chat?room=1");
  ASSERT_FALSE(failure.has_value()) << *failure << " status " << client.handshakeStatus() << "\n"
                                    << gateway_->stdoutText();
  EXPECT_EQ(client.handshakeStatus(), 101u);
  expectEchoes(client);
  const std::string seen = requestSeenByApp(client);
  EXPECT_EQ(seen.substr(0, seen.find('\n')), "/ws/chat?room=1") << seen;
  EXPECT_TRUE(client.close(1000));
  // Bob's container is another app: its own tunnel, its own echo.
  WebSocketClient bob;
  ASSERT_FALSE(bob.connect(gateway_->port(), host(kWsPort, bob_), "/").has_value());
  ASSERT_TRUE(bob.sendText("bob's"));
  const auto echoed = bob.read();
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->data, "bob's");
  EXPECT_TRUE(bob.close(1000));
}

// This test verifies the path form /runtime/{convId}/{port}/... on the main host opens no tunnel:
// it answers the upgrade with the redirect to the runtime host, and nothing reaches the app.
TEST_F(RuntimeWebSocketTest, PathFormOpensNoTunnel) {
  ASSERT_NO_FATAL_FAILURE(startPublicGateway());
  WebSocketClient client;
  const auto failure =
      client.connect(gateway_->port(), std::string(kMainHost), "/runtime/" + alice_ + "/" + std::to_string(kWsPort) +
                                                                   "/socket?transport=websocket",
                     {{"Cookie", "oh_session=secret-session; app=1; oh_runtime=secret-runtime"},
                      {"X-Cognito-User-Id", "evil"}});
  // No app is ever served on a main host (issue 16): the upgrade is answered with the redirect.
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(client.handshakeStatus(), 302u);
}

// This test verifies an upgrade to a conversation nobody runs gets 404, and to a port where the
// app does not listen a 502, without the gateway giving up on later upgrades.
TEST_F(RuntimeWebSocketTest, UnknownConversationAndClosedPort) {
  ASSERT_NO_FATAL_FAILURE(startPublicGateway());
  WebSocketClient unknown;
  EXPECT_TRUE(unknown.connect(gateway_->port(), host(kWsPort, randomConversationId()), "/").has_value());
  EXPECT_EQ(unknown.handshakeStatus(), 404u);
  WebSocketClient closed;
  EXPECT_TRUE(closed.connect(gateway_->port(), host(kWsPort + 1, alice_), "/").has_value());
  EXPECT_EQ(closed.handshakeStatus(), 502u);
  WebSocketClient fine;
  ASSERT_FALSE(fine.connect(gateway_->port(), host(kWsPort, alice_), "/").has_value());
  ASSERT_TRUE(fine.sendText("still here"));
  const auto echoed = fine.read();
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->data, "still here");
}

// This test verifies websocket.max_message_bytes applies to a runtime app's tunnel: a message
// at the limit echoes, a larger one closes the tunnel (not left hanging), and the gateway goes
// on serving HTTP and new tunnels to the same app.
TEST_F(RuntimeWebSocketTest, OversizedMessageClosesRuntimeTunnel) {
  ASSERT_NO_FATAL_FAILURE(startPublicGateway("[websocket]\nmax_message_bytes = 1024\n"));
  WebSocketClient client;
  ASSERT_FALSE(client.connect(gateway_->port(), host(kWsPort, alice_), "/big").has_value());
  const std::string at_limit(1024, 'a');
  ASSERT_TRUE(client.sendBinary(at_limit));
  const auto echoed = client.read();
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->data, at_limit);
  client.sendBinary(std::string(1025, 'b'));  // may already fail: the gateway closes at the frame header
  EXPECT_FALSE(client.read(20s).has_value());
  EXPECT_FALSE(client.timedOut()) << "the runtime tunnel stayed open after an oversized message";

  auto page = get(host(80, alice_), "/add");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->body, "the add route\n");
  WebSocketClient again;
  ASSERT_FALSE(again.connect(gateway_->port(), host(kWsPort, alice_), "/").has_value());
  ASSERT_TRUE(again.sendText("small"));
  const auto small = again.read();
  ASSERT_TRUE(small.has_value());
  EXPECT_EQ(small->data, "small");
  EXPECT_TRUE(again.close(1000));
}

// The oh_gateway_websocket_tunnels gauge from the admin listener, or -1.
long openTunnels(GatewayProcess& gateway) {
  const auto metrics = simpleRequest(gateway.adminPort(), "GET", "/metrics", {}, {}, "127.0.0.1");
  if (!metrics || metrics->status != 200) {
    return -1;
  }
  const std::string name = "\noh_gateway_websocket_tunnels ";
  const std::size_t at = metrics->body.find(name);
  return at == std::string::npos ? -1 : std::strtol(metrics->body.c_str() + at + name.size(), nullptr, 10);
}

// This test verifies a tunnel to a runtime app ends, for the browser too, when the app's
// container stops (not only after websocket.idle_timeout_seconds, set far beyond the wait here),
// and that the gateway's tunnel gauge goes back to zero.
TEST_F(RuntimeWebSocketTest, TunnelEndsWhenContainerStops) {
  ASSERT_NO_FATAL_FAILURE(startPublicGateway("[websocket]\nidle_timeout_seconds = 3600\n"));
  WebSocketClient client;
  ASSERT_FALSE(client.connect(gateway_->port(), host(kWsPort, alice_), "/").has_value());
  ASSERT_TRUE(client.sendText("before"));
  ASSERT_TRUE(client.read().has_value());
  EXPECT_EQ(openTunnels(*gateway_), 1);
  ASSERT_TRUE(podman_->stopContainer(containerName(alice_)));
  EXPECT_FALSE(client.read(30s).has_value());
  EXPECT_FALSE(client.timedOut()) << "the tunnel outlived its container by 30 s";
  EXPECT_TRUE(eventually([&] { return openTunnels(*gateway_) == 0; })) << openTunnels(*gateway_);
}

// This test verifies control frames and fragmented messages cross a runtime tunnel untouched: the
// app's pong answers the browser's ping, and a text message sent in five frames (one of them
// empty) comes back whole, between ordinary messages.
TEST_F(RuntimeWebSocketTest, PingAndFragmentsThroughRuntimeTunnel) {
  ASSERT_NO_FATAL_FAILURE(startPublicGateway());
  WebSocketClient client;
  ASSERT_FALSE(client.connect(gateway_->port(), host(kWsPort, alice_), "/").has_value());
  ASSERT_TRUE(client.ping("heartbeat-1"));
  ASSERT_TRUE(client.sendText("after the ping"));
  auto echoed = client.read();
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->data, "after the ping");
  // The app answers the ping before it echoes what followed it: the pong came in this read.
  EXPECT_EQ(client.pongsReceived(), std::vector<std::string>{"heartbeat-1"});
  const std::vector<std::string> pieces = {"{\"action\":", "", "\"message\",\"args\":{\"content\":\"", std::string(5000, 'f'),
                                           "\"}}"};
  std::string whole;
  for (const auto& piece : pieces) {
    whole += piece;
  }
  ASSERT_TRUE(client.sendTextFragments(pieces));
  ASSERT_TRUE(client.sendText("next"));
  echoed = client.read();
  ASSERT_TRUE(echoed.has_value());
  EXPECT_TRUE(echoed->text);
  EXPECT_EQ(echoed->data, whole);
  echoed = client.read();
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->data, "next");
  EXPECT_TRUE(client.close(1000));
}

// runtime.access = "owner" with local accounts alice and bob.
class RuntimeWebSocketOwnerTest : public RuntimeGatewayBase {
protected:
  void SetUp() override {
    prepare();
    startOwnerGateway();
  }

  std::string pathTarget(const std::string& conversation) const {
    return "/runtime/" + conversation + "/" + std::to_string(kWsPort) + "/events";
  }
};

// This test verifies no one gets a tunnel through the path form, signed in or not.
TEST_F(RuntimeWebSocketOwnerTest, PathFormUpgradeOpensNoTunnel) {
  const std::string alice = signIn("alice");
  const std::string bob = signIn("bob");
  ASSERT_FALSE(alice.empty());
  ASSERT_FALSE(bob.empty());
  // Not the owner, not anyone: the path form only redirects (issue 16); HostFormUpgradeOwnerOnly
  // covers the owner policy where apps are served.
  for (const std::string& cookie : {alice, bob, std::string()}) {
    WebSocketClient client;
    EXPECT_TRUE(client.connect(gateway_->port(), std::string(kMainHost), pathTarget(alice_), {{"Cookie", cookie}})
                    .has_value());
    EXPECT_EQ(client.handshakeStatus(), 302u);
  }
}

// This test verifies the owner policy on the host form: after the hand-off the owner's runtime
// cookie opens a tunnel on her app's host; bob (whose hand-off to alice's app ends in 403) gets
// no tunnel there, neither with nothing nor with the runtime cookie of his own app's host; no
// cookie at all gets none either.
TEST_F(RuntimeWebSocketOwnerTest, HostFormUpgradeOwnerOnly) {
  const std::string alice = signIn("alice");
  const std::string bob = signIn("bob");
  ASSERT_FALSE(alice.empty());
  ASSERT_FALSE(bob.empty());
  const std::string alice_host = host(kWsPort, alice_);
  // ws-echo answers a plain GET on /health: the hand-off's last hop lands there.
  const Visit own = visit(alice, alice_host, "/health");
  ASSERT_EQ(own.status, 200) << own.body;
  ASSERT_FALSE(own.runtime_cookie.empty());
  WebSocketClient client;
  const auto failure = client.connect(gateway_->port(), alice_host, "/sockets/events/x",
                                      {{"Cookie", own.runtime_cookie}, {"Origin", "https://" + alice_host}});
  ASSERT_FALSE(failure.has_value()) << *failure << " status " << client.handshakeStatus();
  expectEchoes(client);
  const std::string seen = requestSeenByApp(client);
  EXPECT_EQ(seen.find("oh_runtime"), std::string::npos) << seen;
  EXPECT_TRUE(client.close(1000));

  const Visit others = visit(bob, alice_host, "/health");
  EXPECT_EQ(others.status, 403);
  WebSocketClient bob_with_his_cookie;
  const Visit bobs_own = visit(bob, host(kWsPort, bob_), "/health");
  ASSERT_EQ(bobs_own.status, 200);
  ASSERT_FALSE(bobs_own.runtime_cookie.empty());
  EXPECT_TRUE(bob_with_his_cookie.connect(gateway_->port(), alice_host, "/sockets/events/x",
                                          {{"Cookie", bobs_own.runtime_cookie}})
                  .has_value());
  const unsigned status = bob_with_his_cookie.handshakeStatus();
  EXPECT_TRUE(status == 401 || status == 403) << status;
  if (!others.runtime_cookie.empty()) {
    WebSocketClient bob_after_handoff;
    EXPECT_TRUE(
        bob_after_handoff.connect(gateway_->port(), alice_host, "/", {{"Cookie", others.runtime_cookie}}).has_value());
    EXPECT_EQ(bob_after_handoff.handshakeStatus(), 403u);
  }
  WebSocketClient anonymous;
  EXPECT_TRUE(anonymous.connect(gateway_->port(), alice_host, "/sockets/events/x").has_value());
  EXPECT_EQ(anonymous.handshakeStatus(), 401u);
}

// This test verifies an upgrade on the owner's app host with a runtime cookie that was tampered
// with (one character changed), forged (the right length, made up), cut short or empty, or with
// the main site's session cookie instead, opens no tunnel (401), while the owner's own runtime
// cookie still opens one.
TEST_F(RuntimeWebSocketOwnerTest, ForgedRuntimeCookieOpensNoTunnel) {
  const std::string alice = signIn("alice");
  ASSERT_FALSE(alice.empty());
  const std::string alice_host = host(kWsPort, alice_);
  const Visit own = visit(alice, alice_host, "/health");
  ASSERT_EQ(own.status, 200) << own.body;
  const auto equals = own.runtime_cookie.find('=');
  ASSERT_NE(equals, std::string::npos) << own.runtime_cookie;
  const std::string name = own.runtime_cookie.substr(0, equals + 1);
  const std::string value = own.runtime_cookie.substr(equals + 1);
  ASSERT_GT(value.size(), 16u);
  std::string tampered = value;
  tampered[value.size() / 2] = tampered[value.size() / 2] == 'A' ? 'B' : 'A';
  for (const std::string& cookie : {name + tampered, name + std::string(value.size(), 'A'),
                                    name + value.substr(0, value.size() / 2), name, alice}) {
    WebSocketClient client;
    EXPECT_TRUE(client.connect(gateway_->port(), alice_host, "/sockets/events/x", {{"Cookie", cookie}}).has_value())
        << cookie;
    EXPECT_EQ(client.handshakeStatus(), 401u) << cookie;
  }
  WebSocketClient genuine;
  const auto failure = genuine.connect(gateway_->port(), alice_host, "/sockets/events/x", {{"Cookie", own.runtime_cookie}});
  ASSERT_FALSE(failure.has_value()) << *failure << " status " << genuine.handshakeStatus();
  ASSERT_TRUE(genuine.sendText("still mine"));
  const auto echoed = genuine.read();
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->data, "still mine");
}

// What stock OpenHands 1.3 creates for a sandbox (docs/instance.md "Sandbox URLs").
constexpr std::string_view kSandboxSpecId = "ghcr.io/openhands/agent-server:1.3.0-python";
constexpr std::uint16_t kAgentServerPort = 8000;
constexpr std::string_view kSessionKey = "SECRETVALUE";

// The agent-server flow under runtime.access = "owner" (the deployment's default).
class RuntimeAgentServerTest : public RuntimeWebSocketOwnerTest {
protected:
  // An agent server as OpenHands 1.3 creates it: named oh-agent-server-{22 base62}, only the
  // sandbox_spec_id label, port 8000 published on a host port Podman picks. Returns that port.
  // allowed_origin: the one CORS origin it answers for (OpenHands sets OH_WEB_URL).
  std::uint16_t createAgentServer(const std::string& name, const std::string& allowed_origin = {}) {
    PodmanService::ContainerSpec spec;
    spec.name = name;
    spec.labels = {{"sandbox_spec_id", std::string(kSandboxSpecId)}};
    spec.command = PodmanService::webSocketEchoCommand(kAgentServerPort, allowed_origin);
    spec.publish = {{kAgentServerPort, 0}};
    if (podman_->createContainer(spec).empty()) {
      ADD_FAILURE() << "cannot create " << name;
      return 0;
    }
    const auto port = podman_->publishedHostPort(name, kAgentServerPort);
    if (!port) {
      ADD_FAILURE() << "no host port published for " << name << ": " << podman_->api("GET", "/containers/" + name + "/json").body;
      return 0;
    }
    return *port;
  }

  static std::string sandboxHost(std::uint16_t host_port) {
    return std::to_string(host_port) + "-sandbox." + std::string(kRuntimeSuffix);
  }
};

// This test verifies the whole agent-server flow: (a) the app server's health check without a
// cookie reaches the container; (b) the browser's WebSocket to /sockets/events/{id} with the
// session key in the query and the main host's Origin echoes, and the app sees the key and the
// Origin unchanged; (c) the gateway's output never contains the key; (d) a container that is not
// named as an agent server is not reachable by its published port, even with a conversation
// label (anonymous callers are sent to sign in, signed-in ones get 404); (e) once the agent
// server stops, its URL stops routing (401 once the index has dropped it, 404 or 502 before).
TEST_F(RuntimeAgentServerTest, StockOpenHandsSandbox) {
  const std::string agent_name = "oh-agent-server-" + randomSandboxId();
  const std::uint16_t agent_port = createAgentServer(agent_name);
  ASSERT_NE(agent_port, 0);
  // (d)'s container: indexed (it has a conversation label and an owner) and publishes 8000 too.
  PodmanService::ContainerSpec other;
  other.name = "oh-rt-plain-" + randomConversationId().substr(0, 12);
  other.labels = {{"conversation_id", randomConversationId()}, {"user_id", "alice"}};
  other.command = PodmanService::webSocketEchoCommand(kAgentServerPort);
  other.publish = {{kAgentServerPort, 0}};
  ASSERT_FALSE(podman_->createContainer(other).empty());
  const auto other_port = podman_->publishedHostPort(other.name, kAgentServerPort);
  ASSERT_TRUE(other_port.has_value());

  // (a) The app server's health check: no cookie, no Origin.
  const std::string agent_host = sandboxHost(agent_port);
  ASSERT_TRUE(eventually([&] {
    auto r = get(agent_host, "/health");
    return r && r->status == 200;
  })) << gateway_->stdoutText() << gateway_->stderrText();
  auto health = get(agent_host, "/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->body, "{\"status\":\"ok\"}\n");

  // (b) The browser's event socket.
  const std::string conversation = randomConversationId();
  const std::string events = "/sockets/events/" + conversation + "?session_api_key=" + std::string(kSessionKey);
  WebSocketClient browser;
  const auto failure = browser.connect(gateway_->port(), agent_host, events, {{"Origin", "https://oh.test"}});
  ASSERT_FALSE(failure.has_value()) << *failure << " status " << browser.handshakeStatus() << "\n"
                                    << gateway_->stdoutText();
  expectEchoes(browser);
  const std::string seen = requestSeenByApp(browser);
  EXPECT_EQ(seen.substr(0, seen.find('\n')), events) << seen;
  EXPECT_NE(seen.find("\nOrigin: https://oh.test\n"), std::string::npos) << seen;
  EXPECT_TRUE(browser.close(1000));
  // The key also travels in plain requests' queries (e.g. a download link).
  auto keyed = get(agent_host, "/health?session_api_key=" + std::string(kSessionKey));
  ASSERT_TRUE(keyed);
  EXPECT_EQ(keyed->status, 200);

  // (c) The tunnel's access-log line is written when it ends; then the whole output is checked.
  ASSERT_TRUE(gateway_->waitForStdout(
      [&](std::string_view line) { return line.find("/sockets/events/" + conversation) != std::string_view::npos; },
      10s))
      << gateway_->stdoutText();
  EXPECT_EQ(gateway_->stdoutText().find(kSessionKey), std::string::npos) << gateway_->stdoutText();
  EXPECT_EQ(gateway_->stderrText().find(kSessionKey), std::string::npos) << gateway_->stderrText();
  EXPECT_NE(gateway_->stdoutText().find("session_api_key=REDACTED"), std::string::npos) << gateway_->stdoutText();

  // (d) Another container's published port: not served. Anonymous callers are sent to sign in
  // (as for a worker port: only an agent server's own API and VS Code open without a session);
  // signed in, it is 404, for a plain request and for an upgrade.
  const std::string other_host = sandboxHost(*other_port);
  auto refused = get(other_host, "/health");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  WebSocketClient sneaky;
  EXPECT_TRUE(sneaky.connect(gateway_->port(), other_host, events, {{"Origin", "https://oh.test"}}).has_value());
  EXPECT_EQ(sneaky.handshakeStatus(), 401u);
  const std::string alice = signIn("alice");
  ASSERT_FALSE(alice.empty());
  EXPECT_EQ(visit(alice, other_host, "/health").status, 404);

  // (e) The agent server stops: its URL stops routing (events, no Docker call per request).
  const auto stopped_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(podman_->stopContainer(agent_name));
  int last_status = 0;
  // A deadline for a hung test, not a timing assertion; the time taken is recorded.
  EXPECT_TRUE(eventually(
      [&] {
        auto r = get(agent_host, "/health");
        last_status = r ? r->status : 0;
        // 401: the port no longer belongs to a running agent server, so it is not served
        // without a session any more; 404 or 502 while the index still knows the container.
        return last_status == 401 || last_status == 404 || last_status == 502;
      },
      20s))
      << "last status " << last_status;
  RecordProperty("agent_server_gone_ms",
                 static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - stopped_at)
                                      .count()));
  WebSocketClient late;
  EXPECT_TRUE(late.connect(gateway_->port(), agent_host, events).has_value());
  EXPECT_TRUE(late.handshakeStatus() == 401 || late.handshakeStatus() == 404 || late.handshakeStatus() == 502)
      << late.handshakeStatus();
}

// This test verifies the agent-server form never uses the gateway's cookies: a signed-in
// browser's session is removed before the agent server sees the upgrade.
TEST_F(RuntimeAgentServerTest, SessionCookieNeverReachesAgentServer) {
  const std::string agent_name = "oh-agent-server-" + randomSandboxId();
  const std::uint16_t agent_port = createAgentServer(agent_name);
  ASSERT_NE(agent_port, 0);
  const std::string alice = signIn("alice");
  ASSERT_FALSE(alice.empty());
  const std::string agent_host = sandboxHost(agent_port);
  ASSERT_TRUE(eventually([&] {
    auto r = get(agent_host, "/health");
    return r && r->status == 200;
  }));
  WebSocketClient browser;
  ASSERT_FALSE(browser
                   .connect(gateway_->port(), agent_host, "/sockets/events/x",
                            {{"Origin", "https://oh.test"}, {"Cookie", alice + "; oh_runtime=r"}})
                   .has_value())
      << browser.handshakeStatus();
  const std::string seen = requestSeenByApp(browser);
  EXPECT_NE(seen.find("/sockets/events/x"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("oh_session"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("oh_runtime"), std::string::npos) << seen;
  EXPECT_TRUE(browser.close(1000));
}

// One OpenHands behind several domains: its agent servers allow one origin (OH_WEB_URL, here
// https://primary.test), and oh.test is another main host of the deployment.
class RuntimeAgentServerOriginTest : public RuntimeAgentServerTest {
protected:
  void SetUp() override {
    prepare();
    startOwnerGateway("agent_server_origin = \"https://primary.test\"\n");
  }
};

// This test verifies a browser on another main host reaches the agent server presented with the
// origin it knows (its CORS check passes, and the browser is told its own origin back, for a
// request and for a preflight), that a foreign origin is passed through for the agent server to
// judge (and refuse), and that every main host may frame the agent server's pages (VS Code).
TEST_F(RuntimeAgentServerOriginTest, SecondDomainPresentedWithKnownOrigin) {
  const std::string agent_name = "oh-agent-server-" + randomSandboxId();
  const std::uint16_t agent_port = createAgentServer(agent_name, "https://primary.test");
  ASSERT_NE(agent_port, 0);
  const std::string agent_host = sandboxHost(agent_port);
  ASSERT_TRUE(eventually([&] {
    auto r = get(agent_host, "/health");
    return r && r->status == 200;
  })) << gateway_->stderrText();

  WebSocketClient browser;
  ASSERT_FALSE(browser.connect(gateway_->port(), agent_host, "/sockets/events/x", {{"Origin", "https://oh.test"}})
                   .has_value())
      << browser.handshakeStatus();
  std::string seen = requestSeenByApp(browser);
  EXPECT_NE(seen.find("\nOrigin: https://primary.test\n"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("https://oh.test"), std::string::npos) << seen;
  EXPECT_TRUE(browser.close(1000));

  WebSocketClient foreign;
  ASSERT_FALSE(foreign.connect(gateway_->port(), agent_host, "/sockets/events/x", {{"Origin", "https://evil.test"}})
                   .has_value())
      << foreign.handshakeStatus();
  seen = requestSeenByApp(foreign);
  EXPECT_NE(seen.find("\nOrigin: https://evil.test\n"), std::string::npos) << seen;
  EXPECT_TRUE(foreign.close(1000));

  auto page = get(agent_host, "/health", {{"Origin", "https://oh.test"}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->header("Access-Control-Allow-Origin"), "https://oh.test");
  EXPECT_EQ(page->header("Vary"), "Origin");
  EXPECT_EQ(page->header("Content-Security-Policy"), "frame-ancestors 'self' https://oh.test");

  const Headers preflight_headers{{"Origin", "https://oh.test"},
                                  {"Access-Control-Request-Method", "POST"},
                                  {"Access-Control-Request-Headers", "x-session-api-key"}};
  auto preflight = simpleRequest(gateway_->port(), "OPTIONS", "/api/conversations", preflight_headers, {}, agent_host);
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 200) << preflight->body;
  EXPECT_EQ(preflight->header("Access-Control-Allow-Origin"), "https://oh.test");

  const Headers foreign_headers{{"Origin", "https://evil.test"}, {"Access-Control-Request-Method", "POST"}};
  auto foreign_preflight =
      simpleRequest(gateway_->port(), "OPTIONS", "/api/conversations", foreign_headers, {}, agent_host);
  ASSERT_TRUE(foreign_preflight);
  EXPECT_EQ(foreign_preflight->status, 400);
  EXPECT_FALSE(foreign_preflight->header("Access-Control-Allow-Origin").has_value());
}

}  // namespace
}  // namespace oh::testing
