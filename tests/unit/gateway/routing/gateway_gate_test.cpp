// The composition of runtime addressing, sign-in and runtime routing (routing/gateway_gate.h),
// with a scripted SignIn and a fixed container directory: what reaches the app, what reaches
// OpenHands, and what is refused before sign-in runs.

#include "routing/gateway_gate.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "auth/cookies.h"

namespace oh::gateway {
namespace {

constexpr std::string_view kConversation = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kRuntimeHost = "5173-0123456789abcdef0123456789abcdef.runtime.oh.example.com";

// A SignIn that answers with a prepared outcome and remembers how it was asked.
class ScriptedSignIn : public SignIn {
public:
  void authenticate(const GateRequest&, HostRole role, bool allow_anonymous, Done done) override {
    ++calls;
    last_role = role;
    last_allow_anonymous = allow_anonymous;
    done(outcome);
  }
  std::optional<std::string> notReadyReason() const override { return not_ready; }
  AuthOutcome outcome;
  std::optional<std::string> not_ready;
  int calls = 0;
  HostRole last_role = HostRole::main;
  bool last_allow_anonymous = false;
};

AuthOutcome signedIn(std::string sub) {
  AuthOutcome outcome;
  outcome.identity = Identity{std::move(sub), "user@example.com", true};
  outcome.plan.set_headers = {{"X-Cognito-User-Id", outcome.identity->sub}};
  outcome.plan.add_response_cookies = {"oh_runtime=renewed; Path=/; HttpOnly"};
  outcome.plan.user = outcome.identity->sub;
  return outcome;
}

ContainerDirectoryPtr directoryWith(std::string owner, std::optional<std::string> not_ready = std::nullopt) {
  auto record = std::make_shared<ContainerRecord>();
  record->id = "c1";
  record->name = "oh-agent-server-x";
  record->conversation_id = std::string(kConversation);
  record->owner = std::move(owner);
  record->has_owner_label = !record->owner.empty();
  record->state = "running";
  record->ip = "10.88.0.7";
  record->ports = {PortMapping{5173, 40001}};
  auto index = std::make_shared<const ContainerIndex>(std::vector<ContainerRecordPtr>{record});
  return ContainerDirectory::fixed(index, std::move(not_ready));
}

SettingsPtr settingsWith(RuntimeAccess access) {
  auto settings = std::make_shared<Settings>();
  settings->runtime.enabled = true;
  settings->runtime.host_suffixes = {"runtime.oh.example.com"};
  settings->runtime.access = access;
  return settings;
}

// A directory knowing one running OpenHands 1.x agent server (no labels) that publishes `ports`.
ContainerDirectoryPtr agentServerDirectory(std::vector<PortMapping> ports) {
  auto record = std::make_shared<ContainerRecord>();
  record->id = "agent";
  record->name = "oh-agent-server-xC0Bgbvjp2GAUZBX1wvFV";
  record->state = "running";
  record->ip = "10.88.0.9";
  record->ports = std::move(ports);
  return ContainerDirectory::fixed(std::make_shared<const ContainerIndex>(std::vector<ContainerRecordPtr>{record}));
}

class GatewayGateTest : public ::testing::Test {
protected:
  // The Cookie header the destination receives for this decision.
  std::string forwardedCookie(const GateDecision& decision) const {
    EXPECT_EQ(decision.kind, GateDecision::Kind::forward) << decision.reason;
    return decision.forward.cookie.value_or(cookie_);
  }
  static bool holdsPlatformCookie(std::string_view header) {
    for (std::string_view name : auth::kPlatformCookieNames) {
      if (!auth::findCookies(header, name).empty()) {
        return true;
      }
    }
    return false;
  }
  GateDecision admit(GatewayGate& gate, std::string_view host, std::string_view target,
                     std::string_view method = "GET") {
    GateRequest request = request_;
    request.method = method;
    request.host = host;
    request.target = target;
    request.cookie = cookie_;
    std::optional<GateDecision> decision;
    gate.admit(request, [&](GateDecision d) { decision = std::move(d); });
    EXPECT_TRUE(decision.has_value()) << "the gate never answered";
    return decision ? std::move(*decision) : GateDecision{};
  }
  std::shared_ptr<ScriptedSignIn> sign_in_ = std::make_shared<ScriptedSignIn>();
  GateRequest request_;  // origin, sec_fetch_site, referer, websocket for admit()
  std::string cookie_ = "oh_session=s; theme=dark; oh_runtime=r; oh_login=l; oh_login_csrf=c";
};

// This test verifies a main-host request keeps sign-in's identity headers and always loses
// client-sent X-Cognito-* headers, and goes to the configured upstream.
TEST_F(GatewayGateTest, MainHostForwardsToUpstreamWithIdentity) {
  sign_in_->outcome = signedIn("alice");
  GatewayGate gate(settingsWith(RuntimeAccess::owner), sign_in_, directoryWith("alice"));
  const auto decision = admit(gate, "oh.example.com", "/api/conversations");
  ASSERT_EQ(decision.kind, GateDecision::Kind::forward);
  EXPECT_TRUE(decision.forward.targets.empty());
  EXPECT_EQ(sign_in_->last_role, HostRole::main);
  EXPECT_FALSE(sign_in_->last_allow_anonymous);
  EXPECT_EQ(decision.forward.set_headers.size(), 1u);
  EXPECT_NE(std::find(decision.forward.remove_header_prefixes.begin(), decision.forward.remove_header_prefixes.end(),
                      "x-cognito-"),
            decision.forward.remove_header_prefixes.end());
  EXPECT_EQ(decision.forward.user, "alice");
}

// This test verifies the owner reaches the app: container IP and port, then the container port
// behind a published host port; no identity header and no platform cookie reach the app, and a
// renewed runtime cookie reaches the browser.
TEST_F(GatewayGateTest, OwnerReachesAppWithoutPlatformCookies) {
  sign_in_->outcome = signedIn("alice");
  GatewayGate gate(settingsWith(RuntimeAccess::owner), sign_in_, directoryWith("alice"));
  const auto decision = admit(gate, kRuntimeHost, "/add?x=1");
  ASSERT_EQ(decision.kind, GateDecision::Kind::forward) << decision.reason;
  EXPECT_EQ(sign_in_->last_role, HostRole::runtime);
  const auto& plan = decision.forward;
  ASSERT_FALSE(plan.targets.empty());
  EXPECT_EQ(plan.targets[0].host, "10.88.0.7");
  EXPECT_EQ(plan.targets[0].port, 5173);
  EXPECT_TRUE(plan.set_headers.empty());
  ASSERT_TRUE(plan.cookie.has_value());
  EXPECT_EQ(*plan.cookie, "theme=dark");
  ASSERT_EQ(plan.add_response_cookies.size(), 1u);
  ASSERT_TRUE(plan.runtime_response.has_value());
}

// This test verifies another user gets 403 and an unknown conversation 404.
TEST_F(GatewayGateTest, OtherUserRefused) {
  sign_in_->outcome = signedIn("mallory");
  GatewayGate gate(settingsWith(RuntimeAccess::owner), sign_in_, directoryWith("alice"));
  EXPECT_EQ(admit(gate, kRuntimeHost, "/").reply.status, 403u);
  const std::string unknown = "5173-ffffffffffffffffffffffffffffffff.runtime.oh.example.com";
  EXPECT_EQ(admit(gate, unknown, "/").reply.status, 404u);
}

// This test verifies a malformed runtime host is refused before sign-in is even asked.
TEST_F(GatewayGateTest, MalformedRuntimeHostRefusedBeforeSignIn) {
  GatewayGate gate(settingsWith(RuntimeAccess::owner), sign_in_, directoryWith("alice"));
  for (std::string_view host : {"0-0123456789abcdef0123456789abcdef.runtime.oh.example.com",
                                "65536-0123456789abcdef0123456789abcdef.runtime.oh.example.com",
                                "08080-0123456789abcdef0123456789abcdef.runtime.oh.example.com",
                                "x.5173-0123456789abcdef0123456789abcdef.runtime.oh.example.com"}) {
    const auto decision = admit(gate, host, "/");
    EXPECT_EQ(decision.kind, GateDecision::Kind::reply) << host;
    EXPECT_GE(decision.reply.status, 400u) << host;
  }
  EXPECT_EQ(sign_in_->calls, 0);
}

// This test verifies a sign-in answer (a redirect to the hand-off, say) is returned as is.
TEST_F(GatewayGateTest, SignInAnswerPassesThrough) {
  ErrorReply redirect;
  redirect.status = 302;
  redirect.headers.emplace_back("Location", "https://oh.example.com/_gateway/handoff?x");
  sign_in_->outcome.decision = GateDecision::answer(redirect, "handoff");
  GatewayGate gate(settingsWith(RuntimeAccess::owner), sign_in_, directoryWith("alice"));
  const auto decision = admit(gate, kRuntimeHost, "/");
  EXPECT_EQ(decision.kind, GateDecision::Kind::reply);
  EXPECT_EQ(decision.reply.status, 302u);
}

// This test verifies public apps let sign-in pass anonymous requests, and that they route.
TEST_F(GatewayGateTest, PublicAccessIsAnonymous) {
  GatewayGate gate(settingsWith(RuntimeAccess::public_), sign_in_, directoryWith(""));
  const auto decision = admit(gate, kRuntimeHost, "/");
  EXPECT_TRUE(sign_in_->last_allow_anonymous);
  EXPECT_EQ(decision.kind, GateDecision::Kind::forward) << decision.reason;
  EXPECT_TRUE(decision.forward.user.empty());
}

// Issue 16: the path form served an app's HTML on the main host (its scripts calling OpenHands
// as the visitor). It is now only a redirect to the app's runtime host, built from the parsed
// parts, before sign-in runs; other methods get 404. No app is ever reached from a main host.
TEST_F(GatewayGateTest, PathFormOnlyRedirectsToTheRuntimeHost) {
  sign_in_->outcome = signedIn("alice");
  auto settings = std::make_shared<Settings>(*settingsWith(RuntimeAccess::owner));
  GatewayGate gate(settings, sign_in_, directoryWith("alice"));
  const auto decision = admit(gate, "OH.example.com:8443", "/runtime/0123456789ABCDEF0123456789abcdef/5173/add?x=1");
  ASSERT_EQ(decision.kind, GateDecision::Kind::reply) << decision.reason;
  EXPECT_EQ(decision.reply.status, 302u);
  std::string location;
  for (const auto& [name, value] : decision.reply.headers) {
    location = name == "Location" ? value : location;
  }
  EXPECT_EQ(location, std::string("https://") + std::string(kRuntimeHost) + ":8443/add?x=1");
  EXPECT_EQ(sign_in_->calls, 0);
  settings->auth.cookie_secure = false;  // local plain http
  GatewayGate local(settings, sign_in_, directoryWith("alice"));
  const auto plain = admit(local, "oh.example.com", "/runtime/0123456789abcdef0123456789abcdef/5173");
  EXPECT_EQ(plain.reply.status, 302u);
  EXPECT_EQ(plain.reply.headers.back().second, std::string("http://") + std::string(kRuntimeHost) + "/");
  const auto post = admit(gate, "oh.example.com", "/runtime/0123456789abcdef0123456789abcdef/5173/add", "POST");
  ASSERT_EQ(post.kind, GateDecision::Kind::reply);
  EXPECT_EQ(post.reply.status, 404u);
  EXPECT_EQ(sign_in_->calls, 0);
}

// Issue 16: a state-changing request to a main host sent by a runtime app's page (its Origin,
// an opaque Origin from another origin, or Sec-Fetch-Site with a runtime Referer) is refused
// with 403 before sign-in runs; WebSocket upgrades count as state-changing. The platform's own
// pages, safe methods and other origins are unaffected.
TEST_F(GatewayGateTest, RequestsFromRuntimeAppsToTheMainHostAreRefused) {
  sign_in_->outcome = signedIn("alice");
  GatewayGate gate(settingsWith(RuntimeAccess::owner), sign_in_, directoryWith("alice"));
  const std::string runtime_origin = "https://" + std::string(kRuntimeHost);
  const std::string runtime_page = runtime_origin + "/page";  // request_ holds views
  auto refused = [&](std::string_view method) {
    const int before = sign_in_->calls;
    const auto decision = admit(gate, "oh.example.com", "/api/conversations", method);
    return decision.kind == GateDecision::Kind::reply && decision.reply.status == 403u && sign_in_->calls == before;
  };
  request_.origin = runtime_origin;
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    EXPECT_TRUE(refused(method)) << method;
  }
  EXPECT_FALSE(refused("GET"));
  request_.websocket = true;
  EXPECT_TRUE(refused("GET"));  // a WebSocket from the app would act as the visitor too
  request_.websocket = false;
  request_.origin = "HTTP://5173-0123456789abcdef0123456789abcdef.Runtime.OH.example.com:8080";
  EXPECT_TRUE(refused("POST"));
  request_.origin = "https://runtime.oh.example.com";
  EXPECT_TRUE(refused("POST"));
  request_.origin = "null";
  request_.sec_fetch_site = "same-site";
  EXPECT_TRUE(refused("POST"));
  request_.origin = "";
  request_.referer = runtime_page;
  EXPECT_TRUE(refused("POST"));
  request_.sec_fetch_site = "same-origin";  // a main host's own page cannot have a runtime Referer; trust the browser
  EXPECT_FALSE(refused("POST"));
  // The platform's own pages and unrelated origins pass.
  request_ = GateRequest{};
  request_.origin = "https://oh.example.com";
  EXPECT_FALSE(refused("POST"));
  request_.origin = "https://runtime.oh.example.com.evil.test";
  EXPECT_FALSE(refused("POST"));
  request_.origin = "https://oh.example.com";
  request_.sec_fetch_site = "same-origin";
  request_.referer = runtime_origin;  // Origin decides when present
  EXPECT_FALSE(refused("POST"));
  // The login form post on a main host is one such request too.
  request_ = GateRequest{};
  request_.origin = runtime_origin;
  const auto login = admit(gate, "oh.example.com", "/_login", "POST");
  EXPECT_EQ(login.reply.status, 403u);
  // A runtime host's own requests are its business (the app's origin is its own host).
  const auto own = admit(gate, kRuntimeHost, "/api", "POST");
  EXPECT_EQ(own.kind, GateDecision::Kind::forward) << own.reason;
}

// This test verifies without sign-in (provider none) requests still lose X-Cognito-* headers,
// and that an unreachable Docker API makes the gate not ready and runtime requests 503.
TEST_F(GatewayGateTest, NoSignInAndDockerDown) {
  GatewayGate gate(settingsWith(RuntimeAccess::public_), nullptr, directoryWith("", "docker API unreachable"));
  const auto main = admit(gate, "oh.example.com", "/");
  ASSERT_EQ(main.kind, GateDecision::Kind::forward);
  EXPECT_FALSE(main.forward.remove_header_prefixes.empty());
  EXPECT_EQ(admit(gate, kRuntimeHost, "/").reply.status, 503u);
  ASSERT_TRUE(gate.notReadyReason().has_value());
}

// This test verifies an agent server by host port is reached without a session even under
// "owner" (it checks its own session key), through the runtime-host sign-in path.
TEST_F(GatewayGateTest, AgentServerAnonymous) {
  GatewayGate gate(settingsWith(RuntimeAccess::owner), sign_in_, agentServerDirectory({PortMapping{8000, 30500}}));
  const auto decision = admit(gate, "30500-sandbox.runtime.oh.example.com", "/api/conversations");
  EXPECT_EQ(sign_in_->last_role, HostRole::runtime);
  EXPECT_TRUE(sign_in_->last_allow_anonymous);
  ASSERT_EQ(decision.kind, GateDecision::Kind::forward) << decision.reason;
  ASSERT_EQ(decision.forward.targets.size(), 1u);
  EXPECT_EQ(decision.forward.targets[0].port, 8000);
  ASSERT_TRUE(decision.forward.cookie.has_value());
  EXPECT_EQ(*decision.forward.cookie, "theme=dark");
}

// This test verifies a worker port of an agent server (where users' apps run) and an unknown
// sandbox port go through sign-in without the anonymous pass: browsers are sent to sign in
// rather than reaching an app, or learning which ports exist.
TEST_F(GatewayGateTest, AgentServerWorkerPortSignsIn) {
  GatewayGate gate(settingsWith(RuntimeAccess::authenticated), sign_in_,
                   agentServerDirectory({PortMapping{8000, 30500}, PortMapping{8011, 30511}}));
  admit(gate, "30511-sandbox.runtime.oh.example.com", "/");
  EXPECT_EQ(sign_in_->last_role, HostRole::runtime);
  EXPECT_FALSE(sign_in_->last_allow_anonymous);
  admit(gate, "30599-sandbox.runtime.oh.example.com", "/");
  EXPECT_FALSE(sign_in_->last_allow_anonymous);
  admit(gate, "30500-sandbox.runtime.oh.example.com", "/");
  EXPECT_TRUE(sign_in_->last_allow_anonymous);
}

// Cookies an app sets for itself, some with names close to the platform's: they all reach it.
constexpr std::string_view kAppCookies =
    "theme=dark; my_oh_session=1; oh_sessionx=2; oh_=3; app=oh_session; x__Host-oh_session=4; __Host-oh_=5";
// Every platform cookie under both names (__Host- over HTTPS), twice, in every position, one
// without a space after the semicolon.
constexpr std::string_view kAllCookies =
    "oh_session=s; theme=dark; oh_runtime=r; my_oh_session=1;oh_login=l; oh_sessionx=2; oh_login_csrf=c; oh_=3; "
    "__Host-oh_runtime=hr; app=oh_session; oh_runtime=again; x__Host-oh_session=4; __Host-oh_session=hs; "
    "__Host-oh_login=hl;__Host-oh_login_csrf=hc; __Host-oh_=5; oh_session=twice";

// This test verifies a runtime host with a runtime session forwards the app's own cookies only,
// whatever the sign-in planned for the request's Cookie header.
TEST_F(GatewayGateTest, RuntimeHostAppNeverReceivesPlatformCookies) {
  sign_in_->outcome = signedIn("alice");
  sign_in_->outcome.plan.cookie = "oh_session=planned-by-sign-in";
  GatewayGate gate(settingsWith(RuntimeAccess::owner), sign_in_, directoryWith("alice"));
  cookie_ = std::string(kAllCookies);
  const std::string forwarded = forwardedCookie(admit(gate, kRuntimeHost, "/"));
  EXPECT_FALSE(holdsPlatformCookie(forwarded)) << forwarded;
  EXPECT_EQ(forwarded, kAppCookies);
}

// This test verifies with auth.provider = "none" (no sign-in at all) an app still never sees a
// platform cookie a browser may carry from an earlier configuration.
TEST_F(GatewayGateTest, NoSignInAppNeverReceivesPlatformCookies) {
  GatewayGate gate(settingsWith(RuntimeAccess::public_), nullptr, directoryWith(""));
  cookie_ = std::string(kAllCookies);
  EXPECT_EQ(forwardedCookie(admit(gate, kRuntimeHost, "/")), kAppCookies);
}

// This test verifies OpenHands keeps the session cookie and the app's cookies but loses the
// login-flow, CSRF and runtime cookies; a header without any of them is left untouched.
TEST_F(GatewayGateTest, OpenHandsKeepsOnlyTheSessionCookie) {
  sign_in_->outcome = signedIn("alice");
  GatewayGate gate(settingsWith(RuntimeAccess::owner), sign_in_, directoryWith("alice"));
  cookie_ = std::string(kAllCookies);
  EXPECT_EQ(forwardedCookie(admit(gate, "oh.example.com", "/api/conversations")),
            "oh_session=s; theme=dark; my_oh_session=1; oh_sessionx=2; oh_=3; app=oh_session; x__Host-oh_session=4; "
            "__Host-oh_session=hs; __Host-oh_=5; oh_session=twice");
  cookie_ = "oh_session=s; theme=dark";
  EXPECT_FALSE(admit(gate, "oh.example.com", "/").forward.cookie.has_value());
}

// This test verifies an app request without platform cookies keeps its header as is, and one
// with nothing but platform cookies loses the header.
TEST_F(GatewayGateTest, AppCookieHeaderEdges) {
  sign_in_->outcome = signedIn("alice");
  GatewayGate gate(settingsWith(RuntimeAccess::owner), sign_in_, directoryWith("alice"));
  cookie_ = "a=1";
  EXPECT_FALSE(admit(gate, kRuntimeHost, "/").forward.cookie.has_value());
  cookie_ = "oh_runtime=r; oh_session=s";
  const auto decision = admit(gate, kRuntimeHost, "/");
  ASSERT_TRUE(decision.forward.cookie.has_value());
  EXPECT_EQ(*decision.forward.cookie, "");
}

// This test verifies /_gateway/ready's reason: a sign-in that is not ready (the OIDC provider
// not discovered) makes the gate not ready, before the Docker API's state is considered.
TEST_F(GatewayGateTest, NotReadyWhileSignInIsNot) {
  sign_in_->not_ready = "sign-in provider not discovered";
  GatewayGate gate(settingsWith(RuntimeAccess::owner), sign_in_, directoryWith("alice", "docker API unreachable"));
  EXPECT_EQ(gate.notReadyReason(), std::optional<std::string>("sign-in provider not discovered"));
  sign_in_->not_ready.reset();
  EXPECT_EQ(gate.notReadyReason(), std::optional<std::string>("docker API unreachable"));
  GatewayGate ready(settingsWith(RuntimeAccess::owner), sign_in_, directoryWith("alice"));
  EXPECT_FALSE(ready.notReadyReason());
}

}  // namespace
}  // namespace oh::gateway
