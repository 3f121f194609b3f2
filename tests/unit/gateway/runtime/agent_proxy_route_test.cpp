// The sandbox API's forward proxy decision (issue 14): which absolute-form requests from an app
// server reach an agent server, and the refusal for everything else, as an attacker would try.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <variant>

#include "runtime/agent_proxy_route.h"
#include "sandbox/sandbox_routes.h"

namespace oh::gateway {
namespace {

constexpr std::string_view kAlice = "alice-key";
constexpr std::string_view kBob = "bob-key";

class AgentProxyRouteTest : public ::testing::Test {
protected:
  AgentProxyRouteTest() {
    limits_.runtime.host_suffixes = {"runtime.localhost"};
    limits_.public_port = 8080;
    auto route = [](std::string id, std::string owner, std::string address) {
      auto r = std::make_shared<control::SandboxRoute>();
      r->sandbox_id = std::move(id);
      r->owner = std::move(owner);
      r->address = std::move(address);
      r->agent_port = 60000;
      r->vscode_port = 60001;
      return r;
    };
    routes_ = control::SandboxRoutes(
        {route("AliceSandbox0001", std::string(kAlice), "10.89.1.5"), route("BobSandbox000001", std::string(kBob), "10.89.2.5"),
         route("AliceStopped0001", std::string(kAlice), "")},
        {{"0123456789abcdef0123456789abcdef", "AliceSandbox0001"}});
  }

  AgentProxyDecision decide(std::string_view target, std::optional<std::string_view> user = kAlice,
                            std::string_view method = "POST") {
    std::string_view host = target;
    if (const std::size_t scheme = host.find("://"); scheme != std::string_view::npos) {
      host.remove_prefix(scheme + 3);
    }
    host = host.substr(0, host.find_first_of("/?#"));
    return routeAgentProxy(AgentProxyRequest{method, target, host, user}, routes_, limits_);
  }

  // The refusal's status, or 0 when the request is relayed.
  unsigned refused(std::string_view target, std::optional<std::string_view> user = kAlice) {
    const auto decision = decide(target, user);
    const auto* refusal = std::get_if<AgentProxyRefusal>(&decision);
    return refusal == nullptr ? 0 : refusal->status;
  }

  AgentProxyLimits limits_;
  control::SandboxRoutes routes_;
};

TEST_F(AgentProxyRouteTest, RelaysTheOwnersAgentServerCall) {
  const auto decision = decide("http://60000-alicesandbox0001.runtime.localhost:8080/api/conversations?x=1");
  const auto* forward = std::get_if<AgentProxyForward>(&decision);
  ASSERT_NE(forward, nullptr) << std::get<AgentProxyRefusal>(decision).reason;
  EXPECT_EQ(forward->address, "10.89.1.5");
  EXPECT_EQ(forward->port, 60000);
  EXPECT_EQ(forward->target, "/api/conversations?x=1");
  EXPECT_EQ(forward->host, "60000-alicesandbox0001.runtime.localhost:8080");
  EXPECT_EQ(forward->owner, kAlice);
  EXPECT_EQ(forward->sandbox_id, "AliceSandbox0001");
  // Host names are case-insensitive; no path is "/"; no port is the scheme's default.
  const auto upper = decide("HTTP://60000-ALICESANDBOX0001.RUNTIME.LOCALHOST:8080");
  ASSERT_TRUE(std::holds_alternative<AgentProxyForward>(upper));
  EXPECT_EQ(std::get<AgentProxyForward>(upper).target, "/");
  EXPECT_EQ(std::get<AgentProxyForward>(upper).host, "60000-alicesandbox0001.runtime.localhost:8080");
  EXPECT_EQ(refused("http://60000-alicesandbox0001.runtime.localhost/alive"), 0u);
  EXPECT_EQ(std::get<AgentProxyForward>(decide("http://60000-alicesandbox0001.runtime.localhost?q")).target, "/?q");
}

TEST_F(AgentProxyRouteTest, RefusesOtherUsersAndOtherPeers) {
  EXPECT_EQ(refused("http://60000-bobsandbox000001.runtime.localhost:8080/alive"), 403u);
  EXPECT_EQ(refused("http://60000-bobsandbox000001.runtime.localhost:8080/alive", kBob), 0u);
  EXPECT_EQ(refused("http://60000-alicesandbox0001.runtime.localhost:8080/alive", std::nullopt), 403u);  // not an app server
  EXPECT_EQ(refused("http://60000-alicesandbox0001.runtime.localhost:8080/alive", ""), 403u);
  EXPECT_EQ(refused("http://60000-unknownsandbox01.runtime.localhost:8080/alive"), 404u);
  EXPECT_EQ(refused("http://60000-alicestopped0001.runtime.localhost:8080/alive"), 502u);
  // A conversation id finds the sandbox in the router, but the proxy takes the url the API gave.
  EXPECT_EQ(refused("http://60000-0123456789abcdef0123456789abcdef.runtime.localhost:8080/alive"), 404u);
}

TEST_F(AgentProxyRouteTest, OnlyTheAgentServerOnThePublicPort) {
  EXPECT_EQ(refused("http://60001-alicesandbox0001.runtime.localhost:8080/"), 403u);  // VS Code's port
  EXPECT_EQ(refused("http://22-alicesandbox0001.runtime.localhost:8080/"), 403u);
  EXPECT_EQ(refused("http://vscode-60000-alicesandbox0001.runtime.localhost:8080/"), 403u);
  EXPECT_EQ(refused("http://work-1-60000-alicesandbox0001.runtime.localhost:8080/"), 403u);
  EXPECT_EQ(refused("http://60000-sandbox.runtime.localhost:8080/"), 403u);  // stock OpenHands' form
  EXPECT_EQ(refused("http://localhost:8080/runtime/alicesandbox0001/60000/"), 403u);
  for (const char* port : {":22", ":80", ":8081", ":08080", ":0", ":65536", ":", ":8080:8080", ":+8080"}) {
    const std::string target = std::string("http://60000-alicesandbox0001.runtime.localhost") + port + "/alive";
    EXPECT_NE(refused(target), 0u) << target;
  }
  limits_.public_port = 0;
  EXPECT_EQ(refused("http://60000-alicesandbox0001.runtime.localhost:8080/alive"), 403u);
  EXPECT_EQ(refused("http://60000-alicesandbox0001.runtime.localhost/alive"), 0u);
}

TEST_F(AgentProxyRouteTest, RefusesHostsThatAreNotRuntimeHosts) {
  for (const char* target : {
           "http://169.254.169.254/latest/meta-data/",       // IMDS
           "http://127.0.0.1:8090/sandboxes",                 // the sandbox API itself
           "http://10.89.1.5:60000/alive",                    // the sandbox by address
           "http://[::1]:60000/alive",                        // IPv6 literal
           "http://[fd00::1]/",
           "http://runtime.localhost:8080/",                  // the bare suffix
           "http://x.60000-alicesandbox0001.runtime.localhost:8080/",  // extra labels
           "http://60000-alicesandbox0001.runtime.localhost.:8080/",   // trailing dot
           "http://60000-alicesandbox0001.runtime.localhost.evil.test/",
           "http://60000-alicesandbox0001.runtime.localhostx/",
           "http://example.com/",
       }) {
    const unsigned status = refused(target);
    EXPECT_TRUE(status == 403 || status == 400 || status == 404) << target << " " << status;
  }
}

TEST_F(AgentProxyRouteTest, RefusesMalformedAndHostileTargets) {
  for (const char* target : {
           "https://60000-alicesandbox0001.runtime.localhost:8080/alive",  // no TLS here
           "ftp://60000-alicesandbox0001.runtime.localhost/",
           "http:/60000-alicesandbox0001.runtime.localhost/",
           "http://",
           "http:///alive",
           "60000-alicesandbox0001.runtime.localhost:8080",                 // authority-form
           "*",
           "http://bob@60000-alicesandbox0001.runtime.localhost:8080/",      // userinfo
           "http://60000-alicesandbox0001.runtime.localhost:8080@10.0.0.1/",
           "http://60000-alicesandbox0001%2eruntime.localhost:8080/",        // encoded dot
           "http://60000-alicesandbox0001.runtime%2Elocalhost:8080/",
           "http://60000-alicesandbox0001\xef\xbc\x8eruntime.localhost:8080/",  // full-width dot
           "http://60000-alicesandbox0001.runtime.localhost:8080/a#frag",
           "http://60000-alicesandbox0001.runtime.localhost:8080/../admin",
           "http://60000-alicesandbox0001.runtime.localhost:8080/%2e%2e/admin",
           "http://60000-alicesandbox0001.runtime.localhost:8080/a%2fb",
           "http://60000-alicesandbox0001.runtime.localhost:8080/a\\b",
           "http://60000-alicesandbox0001.runtime.localhost:8080/a b",
           "http://60000-alicesandbox0001.runtime.localhost:8080/\x01",
           "http://60000-alice_sandbox01.runtime.localhost:8080/",
           "http://60000-short.runtime.localhost:8080/",
       }) {
    const unsigned status = refused(target);
    EXPECT_TRUE(status == 400 || status == 403) << target << " " << status;
  }
  // Oversized: a 64-character label, a host past 253 characters.
  EXPECT_EQ(refused("http://60000-" + std::string(58, 'a') + ".runtime.localhost:8080/"), 400u);
  EXPECT_NE(refused("http://60000-alicesandbox0001." + std::string(300, 'a') + ".runtime.localhost/"), 0u);
}

TEST_F(AgentProxyRouteTest, RefusesConnectAndAHostThatDisagrees) {
  EXPECT_EQ(std::get<AgentProxyRefusal>(decide("60000-alicesandbox0001.runtime.localhost:8080", kAlice, "CONNECT")).status,
            405u);
  EXPECT_EQ(std::get<AgentProxyRefusal>(decide("60000-alicesandbox0001.runtime.localhost:443", kAlice, "CONNECT")).status,
            405u);
  const std::string target = "http://60000-alicesandbox0001.runtime.localhost:8080/alive";
  for (std::string_view host : {"", "60000-bobsandbox000001.runtime.localhost:8080", "127.0.0.1",
                                "60000-alicesandbox0001.runtime.localhost"}) {
    const auto decision = routeAgentProxy(AgentProxyRequest{"GET", target, host, kAlice}, routes_, limits_);
    ASSERT_TRUE(std::holds_alternative<AgentProxyRefusal>(decision)) << host;
    EXPECT_EQ(std::get<AgentProxyRefusal>(decision).status, 400u) << host;
  }
  EXPECT_TRUE(std::holds_alternative<AgentProxyForward>(routeAgentProxy(
      AgentProxyRequest{"GET", target, "60000-AliceSandbox0001.runtime.localhost:8080", kAlice}, routes_, limits_)));
}

TEST(AgentProxyRequests, TellsProxyRequestsFromApiCalls) {
  EXPECT_FALSE(isProxyRequest("GET", "/sandboxes/search"));
  EXPECT_FALSE(isProxyRequest("POST", "/start"));
  EXPECT_TRUE(isProxyRequest("GET", "http://60000-x.runtime.localhost/alive"));
  EXPECT_TRUE(isProxyRequest("CONNECT", "host:443"));
  EXPECT_TRUE(isProxyRequest("CONNECT", "/"));
  EXPECT_TRUE(isProxyRequest("OPTIONS", "*"));
  EXPECT_TRUE(isProxyRequest("GET", ""));
}

}  // namespace
}  // namespace oh::gateway
