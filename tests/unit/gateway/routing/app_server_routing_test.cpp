// Main-site routing to users' own app servers (routing/app_server_router.h through GatewayGate):
// the session's subject alone picks the server; webhooks reach the owner of the sandbox whose
// key they carry; a server not ready yet gives browsers the start page and scripts a 503; the
// relay's activity reaches the directory.

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "appserver/access_tokens.h"
#include "appserver/user_secrets.h"
#include "common/base64.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/digest.h"
#include "support/fake_app_servers.h"
#include "routing/gateway_gate.h"
#include "sandbox/user_key.h"

namespace oh::gateway {
namespace {

using testing::FakeAppServers;
using testing::FixedSandboxRoutes;

const std::string kAlice = control::userKeyForSubject("alice");
const std::string kBob = control::userKeyForSubject("bob");
constexpr std::string_view kBobsSandboxKey = "bobs-session-api-key-0123456789abcdefghijklmn";

// A SignIn whose answer the test sets (who is signed in), counting its calls.
class ScriptedSignIn : public SignIn {
public:
  void authenticate(const GateRequest&, HostRole, bool, Done done) override {
    ++calls;
    done(outcome);
  }
  AuthOutcome outcome;
  int calls = 0;
};

AuthOutcome signedIn(std::string sub) {
  AuthOutcome outcome;
  outcome.identity = Identity{sub, sub + "@example.com", true};
  outcome.plan.set_headers = {{"X-Cognito-User-Id", sub}};
  outcome.plan.user = sub;
  return outcome;
}

control::SandboxRoutePtr sandboxOf(std::string id, std::string owner, std::string_view session_key) {
  auto route = std::make_shared<control::SandboxRoute>();
  route->sandbox_id = std::move(id);
  route->owner = std::move(owner);
  route->address = "10.89.0.5";
  route->agent_port = 60000;
  route->session_key_sha256 = common::sha256(session_key);
  return route;
}

class AppServerRoutingTest : public ::testing::Test {
protected:
  AppServerRoutingTest() {
    settings_->auth.provider = AuthProvider::local;
    servers_->setReady(kAlice, "10.89.1.2", 3000);
    servers_->setReady(kBob, "10.89.2.2", 3000);
    sign_in_->outcome = signedIn("alice");
    gates_.useSandboxes(std::make_shared<FixedSandboxRoutes>(
        std::vector<control::SandboxRoutePtr>{sandboxOf("BobSandbox1", kBob, kBobsSandboxKey)}));
    gates_.useAppServers(servers_);
  }

  // The gate as GateAssembly composes it, with the scripted sign-in.
  GatewayGate gate() {
    auto sandboxes = std::make_shared<FixedSandboxRoutes>(
        std::vector<control::SandboxRoutePtr>{sandboxOf("BobSandbox1", kBob, kBobsSandboxKey)});
    return GatewayGate(settings_, sign_in_, nullptr, nullptr,
                       std::make_shared<const AppServerRouter>(servers_, std::move(sandboxes)));
  }

  GateDecision admit(const GateRequest& request) {
    GatewayGate g = gate();
    std::optional<GateDecision> decision;
    g.admit(request, [&](GateDecision d) { decision = std::move(d); });
    EXPECT_TRUE(decision.has_value()) << "the gate never answered";
    return decision ? std::move(*decision) : GateDecision{};
  }

  static GateRequest browser(std::string_view target) {
    GateRequest r;
    r.method = "GET";
    r.host = "oh.example.com";
    r.target = target;
    r.accept = "text/html,application/xhtml+xml";
    r.sec_fetch_mode = "navigate";
    return r;
  }
  static GateRequest script(std::string_view target, std::string_view method = "GET") {
    GateRequest r;
    r.method = method;
    r.host = "oh.example.com";
    r.target = target;
    r.accept = "application/json";
    r.sec_fetch_mode = "cors";
    return r;
  }
  static const ForwardTarget& onlyTarget(const GateDecision& decision) {
    EXPECT_EQ(decision.kind, GateDecision::Kind::forward) << decision.reason;
    EXPECT_EQ(decision.forward.targets.size(), 1U);
    static const ForwardTarget none;
    return decision.forward.targets.empty() ? none : decision.forward.targets.front();
  }
  static std::optional<std::string> header(const ErrorReply& reply, std::string_view name) {
    for (const auto& [key, value] : reply.headers) {
      if (key == name) {
        return value;
      }
    }
    return std::nullopt;
  }

  std::shared_ptr<Settings> settings_ = std::make_shared<Settings>();
  std::shared_ptr<FakeAppServers> servers_ = std::make_shared<FakeAppServers>();
  std::shared_ptr<ScriptedSignIn> sign_in_ = std::make_shared<ScriptedSignIn>();
  GateAssembly gates_;
};

// This test verifies each signed-in user reaches their own server and nothing else: the target
// is the directory's address for the session's subject, and the configured upstream is unused.
TEST_F(AppServerRoutingTest, EachUserReachesOwnServer) {
  const GateDecision for_alice = admit(script("/api/v1/app-conversations"));
  EXPECT_EQ(onlyTarget(for_alice).host, "10.89.1.2");
  EXPECT_EQ(onlyTarget(for_alice).port, 3000);
  EXPECT_EQ(for_alice.forward.user, "alice");

  sign_in_->outcome = signedIn("bob");
  const GateDecision for_bob = admit(script("/api/v1/app-conversations"));
  EXPECT_EQ(onlyTarget(for_bob).host, "10.89.2.2");
  EXPECT_EQ(servers_->ensured(), (std::vector<std::string>{kAlice, kBob}));
}

// This test verifies what an attacker signed in as alice can put in a request (bob's key or
// subject in the path and query, cookies, spoofed identity and forwarding headers, bob's
// sandbox key outside the webhook tree) never reaches bob's server or asks for it.
TEST_F(AppServerRoutingTest, CraftedRequestNeverReachesAnotherUsersServer) {
  const std::vector<std::string> targets{
      "/api/v1/app-conversations?user=" + kBob,
      "/" + kBob + "/api/settings",
      "/api/user/bob/secrets",
      "/_gateway/appserver/../../api/settings?user_key=" + kBob,
      "/api/v1/webhooksX/events/1",
      "/socket.io/?user_id=bob",
  };
  const std::string cookie = "oh_user=" + kBob + "; user_key=" + kBob + "; oh_session=forged-for-bob";
  for (const std::string& target : targets) {
    SCOPED_TRACE(target);
    GateRequest r = script(target, "POST");
    r.cookie = cookie;
    r.session_api_key = kBobsSandboxKey;  // a key of bob's sandbox, outside the webhook tree
    r.origin = "https://oh.example.com";
    const GateDecision decision = admit(r);
    EXPECT_EQ(onlyTarget(decision).host, "10.89.1.2");
    // The forged identity header family is removed whatever the client sent.
    const auto& prefixes = decision.forward.remove_header_prefixes;
    EXPECT_NE(std::find(prefixes.begin(), prefixes.end(), std::string_view("x-cognito-")), prefixes.end());
  }
  for (const std::string& asked : servers_->ensured()) {
    EXPECT_EQ(asked, kAlice) << "only the session's user's server is ever asked for";
  }
}

// This test verifies the server hears the client as the gateway determined it, as the only
// X-Forwarded-For entry (it trusts that header from the gateway's address alone and keys its rate
// limit on the right-most entry): a chain the client wrote is replaced, not extended.
TEST_F(AppServerRoutingTest, TheServerHearsTheClientAddressTheGatewayDetermined) {
  const auto forwardedFor = [](const GateDecision& decision) {
    std::vector<std::string> values;
    for (const auto& [name, value] : decision.forward.set_headers) {
      if (name == "X-Forwarded-For") {
        values.push_back(value);
      }
    }
    return values;
  };
  GateRequest r = script("/api/v1/app-conversations");
  r.client_ip = "203.0.113.7";
  EXPECT_EQ(forwardedFor(admit(r)), (std::vector<std::string>{"203.0.113.7"}));
  r.client_ip = "2001:db8::7";
  EXPECT_EQ(forwardedFor(admit(r)), (std::vector<std::string>{"2001:db8::7"}));
  // A sandbox's webhook: the sandbox's address, so one busy sandbox is limited on its own.
  GateRequest hook = script("/api/v1/webhooks/conversations", "POST");
  hook.session_api_key = kBobsSandboxKey;
  hook.client_ip = "10.89.2.9";
  EXPECT_EQ(forwardedFor(admit(hook)), (std::vector<std::string>{"10.89.2.9"}));
}

// A token as the user's own app server issues it for /api/v1/webhooks/secrets (HS256 with its
// JWT_SECRET, derived from the pool's key: control/appserver/access_tokens.h).
std::string accessTokenOf(const std::string& pool_key, const std::string& user_key, std::string_view alg = "HS256") {
  const std::string input = common::base64UrlEncode(R"({"alg":")" + std::string(alg) + R"(","typ":"JWT"})") + "." +
                            common::base64UrlEncode(R"({"user_id":null,"provider_type":"github","exp":4102444800})");
  const std::string secret = control::jwtSecretFor(pool_key, user_key);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), mac, &size);
  return input + "." + common::base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), size));
}

// This test verifies the secrets webhook, which carries only X-Access-Token, reaches the server
// of the sandbox owner whose server signed the token and nobody else's: a token of bob's server
// goes to bob; one of a user with no sandbox, forged, alg none, malformed, oversized, on another
// path or method, is 401 and asks for no server.
TEST_F(AppServerRoutingTest, AccessTokenWebhookReachesTheSigningOwnerOnly) {
  const std::string pool_key(32, 'p');
  const AccessTokenCheck check = [&](std::string_view user, std::string_view token) {
    return control::signedByUsersServer(pool_key, user, token, 1'796'000'000);
  };
  const std::string kAliceSandboxKey = "alices-session-api-key-0123456789abcdefghijkl";
  AppServerRouter router(servers_,
                         std::make_shared<FixedSandboxRoutes>(std::vector<control::SandboxRoutePtr>{
                             sandboxOf("BobSandbox1", kBob, kBobsSandboxKey), sandboxOf("AliceSbx1", kAlice, kAliceSandboxKey)}),
                         check);
  const auto call = [&](std::string_view target, const std::string& token, std::string_view method = "GET") {
    GateRequest r = script(target, method);
    r.access_token = token;
    r.client_ip = "10.89.2.9";
    return router.webhook(r);
  };
  const GateDecision to_bob = call("/api/v1/webhooks/secrets", accessTokenOf(pool_key, kBob));
  EXPECT_EQ(onlyTarget(to_bob).host, "10.89.2.2");
  EXPECT_EQ(to_bob.forward.user, kBob);
  EXPECT_EQ(to_bob.forward.cookie, std::optional<std::string>(""));
  EXPECT_EQ(onlyTarget(call("/api/v1/webhooks/secrets", accessTokenOf(pool_key, kAlice))).host, "10.89.1.2");

  const std::string good = accessTokenOf(pool_key, kBob);
  const std::string carol = control::userKeyForSubject("carol");  // a user without a sandbox
  const std::size_t before = servers_->ensured().size();
  for (const std::string& hostile :
       {accessTokenOf(pool_key, carol), accessTokenOf(std::string(32, 'q'), kBob), accessTokenOf(pool_key, kBob, "none"),
        accessTokenOf(pool_key, kBob, "HS512"), good.substr(0, good.rfind('.') + 1), good + "x", std::string("a.b.c"),
        std::string(8192, 'A'), std::string(good.size(), '.')}) {
    SCOPED_TRACE(hostile.substr(0, 80));
    EXPECT_EQ(call("/api/v1/webhooks/secrets", hostile).reply.status, 401);
  }
  // The token opens the secrets lookup alone, as OpenHands reads it (GET, no query).
  for (std::string_view target : {"/api/v1/webhooks/conversations", "/api/v1/webhooks/secrets?x=1",
                                  "/api/v1/webhooks/secrets/", "/api/v1/webhooks/events/1"}) {
    EXPECT_EQ(call(target, good).reply.status, 401) << target;
  }
  EXPECT_EQ(call("/api/v1/webhooks/secrets", good, "POST").reply.status, 401);
  EXPECT_EQ(servers_->ensured().size(), before) << "no server was asked for by a refused token";
  // Without a check (no pool key), nothing is routed by token.
  AppServerRouter unchecked(servers_, std::make_shared<FixedSandboxRoutes>(std::vector<control::SandboxRoutePtr>{
                                          sandboxOf("BobSandbox1", kBob, kBobsSandboxKey)}));
  GateRequest r = script("/api/v1/webhooks/secrets");
  r.access_token = good;
  EXPECT_EQ(unchecked.webhook(r).reply.status, 401);
}

// This test verifies a sandbox's webhook reaches its owner's server by the hash of its session
// key alone: no sign-in runs, no cookie travels, and the signed-in user (alice) does not matter.
TEST_F(AppServerRoutingTest, WebhookReachesSandboxOwner) {
  for (std::string_view target : {"/api/v1/webhooks/events/0123456789abcdef0123456789abcdef",
                                  "/api/v1/webhooks/conversations", "/api/v1/webhooks/secrets"}) {
    SCOPED_TRACE(target);
    GateRequest r = script(target, "POST");
    r.accept = "*/*";
    r.sec_fetch_mode = "";
    r.session_api_key = kBobsSandboxKey;
    r.cookie = "oh_session=alices-session; theme=dark";
    const GateDecision decision = admit(r);
    EXPECT_EQ(onlyTarget(decision).host, "10.89.2.2");
    EXPECT_EQ(decision.forward.cookie, std::optional<std::string>(""));
    EXPECT_EQ(decision.forward.user, kBob);
  }
  EXPECT_EQ(sign_in_->calls, 0);
}

// This test verifies the webhook tree refuses (401) a missing, unknown or oversized key, a
// browser session alone, and targets an app server could read as another path.
TEST_F(AppServerRoutingTest, WebhookWithoutKnownKeyOrPlainTargetIs401) {
  struct Case {
    std::string target;
    std::string key;
  };
  const std::vector<Case> cases{
      {"/api/v1/webhooks/conversations", ""},
      {"/api/v1/webhooks/conversations", "not-a-sandbox-key"},
      {"/api/v1/webhooks/conversations", std::string(kBobsSandboxKey) + "x"},
      {"/api/v1/webhooks/conversations", std::string(4096, 'k')},
      {"/api/v1/webhooks/../settings", std::string(kBobsSandboxKey)},
      {"/api/v1/webhooks/%2e%2e/settings", std::string(kBobsSandboxKey)},
      {"/api/v1/webhooks//events/1", std::string(kBobsSandboxKey)},
      {"/api/v1/webhooks/events/1?next=/api/settings", std::string(kBobsSandboxKey)},
      {"/api/v1/webhooks/events/1/", std::string(kBobsSandboxKey)},
      {"/api/v1/webhooks/events\\1", std::string(kBobsSandboxKey)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target + " key=" + c.key.substr(0, 40));
    GateRequest r = script(c.target, "POST");
    r.session_api_key = c.key;
    r.cookie = "oh_session=alices-session";
    const GateDecision decision = admit(r);
    ASSERT_EQ(decision.kind, GateDecision::Kind::reply);
    EXPECT_EQ(decision.reply.status, 401U);
  }
  EXPECT_TRUE(servers_->ensured().empty());
  EXPECT_EQ(sign_in_->calls, 0);
}

// This test verifies a webhook for an owner whose server is not ready starts it and gets a 503
// with Retry-After (never the start page: a sandbox is no browser).
TEST_F(AppServerRoutingTest, WebhookForStartingServerIs503) {
  control::AppServerView starting;
  starting.phase = control::AppServerPhase::starting;
  servers_->set(kBob, starting);
  GateRequest r = browser("/api/v1/webhooks/conversations");
  r.method = "POST";
  r.session_api_key = kBobsSandboxKey;
  const GateDecision decision = admit(r);
  ASSERT_EQ(decision.kind, GateDecision::Kind::reply);
  EXPECT_EQ(decision.reply.status, 503U);
  EXPECT_EQ(decision.reply.content_type, "application/json");
  EXPECT_EQ(servers_->ensured(), std::vector<std::string>{kBob});
}

// This test verifies a browser's navigation to a server that is starting gets the start page:
// 503, no-store, Retry-After, the steps with the current one marked, the script loaded from
// the gateway under a CSP that forbids inline script, and a refresh for browsers without script.
TEST_F(AppServerRoutingTest, BrowserGetsStartPageWhileStarting) {
  control::AppServerView creating;
  creating.phase = control::AppServerPhase::creating;
  creating.detail = "Creating the database <for you>";
  servers_->set(kAlice, creating);
  const GateDecision decision = admit(browser("/conversations/abc"));
  ASSERT_EQ(decision.kind, GateDecision::Kind::reply);
  const ErrorReply& page = decision.reply;
  EXPECT_EQ(page.status, 503U);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(page, "Cache-Control"), "no-store");
  EXPECT_EQ(header(page, "Retry-After"), "2");
  const std::string csp = header(page, "Content-Security-Policy").value_or("");
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline'; script"), std::string::npos);
  EXPECT_EQ(csp.find("'unsafe-eval'"), std::string::npos);
  EXPECT_NE(page.body.find("<script src=\"/_gateway/appserver/start.js\" defer></script>"), std::string::npos);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos) << "no inline script";
  EXPECT_NE(page.body.find("data-phase=\"pulling\" class=\"done\""), std::string::npos);
  EXPECT_NE(page.body.find("data-phase=\"creating\" class=\"current\""), std::string::npos);
  EXPECT_NE(page.body.find("data-phase=\"waiting\" class=\"pending\""), std::string::npos);
  EXPECT_NE(page.body.find("Creating the database &lt;for you&gt;"), std::string::npos) << "detail escaped";
  EXPECT_NE(page.body.find("<noscript><meta http-equiv=\"refresh\""), std::string::npos);
}

// This test verifies scripts (fetch, XHR, API paths, other methods, WebSockets) get 503 JSON
// with Retry-After while the server starts, never the HTML page.
TEST_F(AppServerRoutingTest, ScriptsGet503JsonWhileStarting) {
  control::AppServerView waiting;
  waiting.phase = control::AppServerPhase::waiting;
  waiting.detail = "waiting for /alive";
  servers_->set(kAlice, waiting);
  GateRequest xhr = browser("/api/settings");
  GateRequest fetch = script("/");
  GateRequest post = browser("/");
  post.method = "POST";
  GateRequest socket = script("/sockets/events/abc");
  socket.websocket = true;
  GateRequest old_xhr = browser("/");
  old_xhr.sec_fetch_mode = "";
  old_xhr.accept = "*/*";
  old_xhr.x_requested_with = "XMLHttpRequest";
  for (const GateRequest& r : {xhr, fetch, post, socket, old_xhr}) {
    SCOPED_TRACE(std::string(r.method) + " " + std::string(r.target));
    const GateDecision decision = admit(r);
    ASSERT_EQ(decision.kind, GateDecision::Kind::reply);
    EXPECT_EQ(decision.reply.status, 503U);
    EXPECT_EQ(decision.reply.content_type, "application/json");
    EXPECT_EQ(header(decision.reply, "Retry-After"), "2");
    EXPECT_NE(decision.reply.body.find("\"phase\":\"waiting\""), std::string::npos);
    EXPECT_NE(decision.reply.body.find("\"error\":\"app_server_starting\""), std::string::npos);
  }
}

// This test verifies a full deployment gives a clear "at capacity" page (503) and scripts the
// matching JSON error.
TEST_F(AppServerRoutingTest, AtCapacityPage) {
  control::AppServerView full;
  full.phase = control::AppServerPhase::at_capacity;
  servers_->set(kAlice, full);
  const GateDecision page = admit(browser("/"));
  ASSERT_EQ(page.kind, GateDecision::Kind::reply);
  EXPECT_EQ(page.reply.status, 503U);
  EXPECT_NE(page.reply.body.find("at capacity"), std::string::npos);
  EXPECT_EQ(page.reply.body.find("start.js"), std::string::npos);
  EXPECT_EQ(header(page.reply, "Retry-After"), "30");
  const GateDecision json = admit(script("/api/options/models"));
  EXPECT_NE(json.reply.body.find("\"error\":\"app_server_at_capacity\""), std::string::npos);
}

// This test verifies a failed start shows its reason (escaped) on the page.
TEST_F(AppServerRoutingTest, FailedPageShowsWhy) {
  control::AppServerView failed;
  failed.phase = control::AppServerPhase::failed;
  failed.detail = "the image could not be pulled: <b>manifest unknown</b>";
  servers_->set(kAlice, failed);
  const GateDecision page = admit(browser("/"));
  ASSERT_EQ(page.kind, GateDecision::Kind::reply);
  EXPECT_EQ(page.reply.status, 503U);
  EXPECT_NE(page.reply.body.find("could not start"), std::string::npos);
  EXPECT_NE(page.reply.body.find("the image could not be pulled: &lt;b&gt;manifest unknown&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(page.reply.body.find("<b>manifest"), std::string::npos);
}

// This test verifies the status endpoint peeks (starts nothing), is no-store JSON of the
// session user's own server, and takes GET only; the script is served to signed-in users.
TEST_F(AppServerRoutingTest, StatusEndpointAndScript) {
  control::AppServerView pulling;
  pulling.phase = control::AppServerPhase::pulling;
  pulling.detail = "pulling the image";
  servers_->set(kAlice, pulling);
  const std::string target = "/_gateway/appserver/status?user=" + kBob;
  GateRequest status = script(target);
  const GateDecision decision = admit(status);
  ASSERT_EQ(decision.kind, GateDecision::Kind::reply);
  EXPECT_EQ(decision.reply.status, 200U);
  EXPECT_EQ(decision.reply.content_type, "application/json");
  EXPECT_EQ(header(decision.reply, "Cache-Control"), "no-store");
  EXPECT_NE(decision.reply.body.find("\"phase\":\"pulling\""), std::string::npos);
  EXPECT_NE(decision.reply.body.find("\"ready\":false"), std::string::npos);
  EXPECT_TRUE(servers_->ensured().empty());
  EXPECT_EQ(servers_->peeks(), 1);

  EXPECT_EQ(admit(script("/_gateway/appserver/status", "POST")).reply.status, 405U);

  const GateDecision js = admit(script("/_gateway/appserver/start.js"));
  ASSERT_EQ(js.kind, GateDecision::Kind::reply);
  EXPECT_EQ(js.reply.content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(js.reply.body.find("/_gateway/appserver/status"), std::string::npos);
  EXPECT_NE(js.reply.body.find("location.reload()"), std::string::npos);
}

// This test verifies the relay's activity reaches the user's server: one touch per relayed
// exchange, and exactly one close per WebSocket opened, when the tunnel's lease goes.
TEST_F(AppServerRoutingTest, ActivityCountsRequestsAndTunnels) {
  const GateDecision decision = admit(script("/api/conversations"));
  ASSERT_EQ(decision.kind, GateDecision::Kind::forward);
  ASSERT_NE(decision.forward.activity, nullptr);
  decision.forward.activity->relayed();
  decision.forward.activity->relayed();
  EXPECT_EQ(servers_->touches(kAlice), 2);

  auto first = decision.forward.activity->tunnelOpened();
  auto second = decision.forward.activity->tunnelOpened();
  EXPECT_EQ(servers_->opened(kAlice), 2);
  EXPECT_EQ(servers_->closed(kAlice), 0);
  auto copy = first;  // the lease may be shared; closing is the last holder's
  first.reset();
  EXPECT_EQ(servers_->closed(kAlice), 0);
  copy.reset();
  EXPECT_EQ(servers_->closed(kAlice), 1);
  second.reset();
  EXPECT_EQ(servers_->closed(kAlice), 2);
  EXPECT_EQ(servers_->opened(kBob) + servers_->closed(kBob) + servers_->touches(kBob), 0);
}

// This test verifies a gate with app servers does not make readiness wait for upstream.url,
// and GateAssembly builds gates that route to the servers it was given.
TEST_F(AppServerRoutingTest, AssemblyRoutesAndReadinessIgnoresUpstream) {
  EXPECT_FALSE(gate().needsUpstream());
  EXPECT_TRUE(GatewayGate(settings_, sign_in_, nullptr).needsUpstream());
  auto unsigned_settings = std::make_shared<Settings>();  // provider "none": no key files to read
  unsigned_settings->auth.provider = AuthProvider::none;
  auto built = gates_.build(unsigned_settings);
  ASSERT_TRUE(std::holds_alternative<RequestGatePtr>(built));
  const RequestGatePtr assembled = std::get<RequestGatePtr>(built);
  EXPECT_FALSE(assembled->needsUpstream());
}

}  // namespace
}  // namespace oh::gateway
