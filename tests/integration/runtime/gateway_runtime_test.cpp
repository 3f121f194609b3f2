// Runtime apps through the real oh-gateway binary, to real containers (Podman): routing by
// host and by path form, the apps' own routes, the response policy (security headers, cookie
// rewrite), platform headers and cookies removed, a stopped container (502) and a restarted
// one, the Docker API gone (503, /_gateway/ready) and back, malformed hosts refused, and the
// CORS probe answer, with runtime.access = "public" and auth.provider = "none"; then the owner
// policy with local accounts (owner 200, another user 403, no session 302/401).

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "runtime_gateway_fixture.h"

namespace oh::testing {
namespace {

// runtime.access = "public", auth.provider = "none": routing alone.
class GatewayRuntimeTest : public RuntimeGatewayBase {
protected:
  void SetUp() override {
    prepare();
    startPublicGateway();
  }
};

// This test verifies routing by host: each conversation reaches its own container, the app's
// own routes work at "/", a second port reaches the second app, and the response carries the
// runtime security headers.
TEST_F(GatewayRuntimeTest, RoutesByHost) {
  auto root = get(host(80, alice_), "/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 200);
  EXPECT_EQ(root->body, "<h1>runtime test app</h1>\n");
  EXPECT_EQ(root->header("X-Frame-Options").value_or(""), "SAMEORIGIN");
  EXPECT_EQ(root->header("X-Content-Type-Options").value_or(""), "nosniff");
  EXPECT_EQ(root->header("Referrer-Policy").value_or(""), "strict-origin-when-cross-origin");
  EXPECT_EQ(root->header("Content-Security-Policy").value_or(""), "frame-ancestors 'self' https://oh.test");
  auto add = get(host(80, alice_), "/add");
  ASSERT_TRUE(add);
  EXPECT_EQ(add->status, 200);
  EXPECT_EQ(add->body, "the add route\n");
  auto second = get(host(8080, bob_), "/");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->body, "second app\n");
  // Case-insensitive host, with a port.
  std::string upper = host(80, alice_);
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  auto upper_answer = get(upper + ":443", "/add");
  ASSERT_TRUE(upper_answer);
  EXPECT_EQ(upper_answer->body, "the add route\n");
  // The main host still reaches OpenHands (the TestUpstream).
  auto main = get(std::string(kMainHost), "/api/options");
  ASSERT_TRUE(main);
  EXPECT_EQ(main->status, 200);
}

// This test verifies the path form on the main host serves no app (issue 16): it only
// redirects to the app's runtime host, keeping the rest of the path.
TEST_F(GatewayRuntimeTest, PathFormOnlyRedirects) {
  auto add = get(std::string(kMainHost), "/runtime/" + alice_ + "/80/add");
  ASSERT_TRUE(add);
  EXPECT_EQ(add->status, 302);
  EXPECT_NE(add->body, "the add route\n");
  const std::string location = add->header("Location").value_or("");
  EXPECT_NE(location.find("80-" + alice_ + "." + std::string(kRuntimeSuffix)), std::string::npos) << location;
  EXPECT_NE(location.find("/add"), std::string::npos) << location;
  auto root = get(std::string(kMainHost), "/runtime/" + bob_ + "/8080");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 302);
  EXPECT_NE(root->body, "second app\n");
}

// This test verifies the app's cookies are made host-only, Secure and SameSite=Strict (unless
// the app chose a SameSite), and that platform cookies and identity headers never reach it.
TEST_F(GatewayRuntimeTest, CookiesAndPlatformHeaders) {
  auto cookie = get(host(80, alice_), "/cgi-bin/cookie");
  ASSERT_TRUE(cookie);
  ASSERT_EQ(cookie->status, 200);
  std::vector<std::string> set_cookies;
  for (const auto& field : cookie->headers) {
    if (field.name == "Set-Cookie" || field.name == "set-cookie") {
      set_cookies.push_back(field.value);
    }
  }
  EXPECT_EQ(set_cookies, (std::vector<std::string>{"app=1; Path=/; Secure; SameSite=Strict", "lax=2; SameSite=Lax; Secure"}));

  auto env = get(host(80, alice_), "/cgi-bin/env",
                 {{"Cookie", "oh_session=secret-session; app=1; oh_runtime=secret-runtime"},
                  {"X-Cognito-User-Id", "evil"},
                  {"X-Cognito-Email", "evil@example.com"}});
  ASSERT_TRUE(env);
  ASSERT_EQ(env->status, 200);
  EXPECT_EQ(env->body.find("secret-session"), std::string::npos) << env->body;
  EXPECT_EQ(env->body.find("secret-runtime"), std::string::npos) << env->body;
  EXPECT_EQ(env->body.find("HTTP_X_COGNITO"), std::string::npos) << env->body;
  EXPECT_NE(env->body.find("app=1"), std::string::npos) << env->body;  // the app's own cookie stays
}

// This test verifies unknown conversations get 404, a stopped container 502 (events), and a
// restarted one routes again.
TEST_F(GatewayRuntimeTest, StoppedAndRestarted) {
  auto unknown = get(host(80, randomConversationId()), "/");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  ASSERT_TRUE(podman_->stopContainer(containerName(alice_)));
  ASSERT_TRUE(eventually([&] {
    auto r = get(host(80, alice_), "/");
    return r && r->status == 502;
  }));
  auto bob = get(host(8080, bob_), "/");  // others unaffected
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->status, 200);
  ASSERT_TRUE(podman_->startContainer(containerName(alice_)));
  ASSERT_TRUE(eventually([&] {
    auto r = get(host(80, alice_), "/add");
    return r && r->status == 200 && r->body == "the add route\n";
  }));
}

// This test verifies the malformed hosts and paths are refused (400/404) and the
// gateway keeps serving.
TEST_F(GatewayRuntimeTest, MalformedHostsAndPaths) {
  const std::string suffix = "." + std::string(kRuntimeSuffix);
  for (const std::string& bad_host : {"0-" + alice_ + suffix, "65536-" + alice_ + suffix, "08080-" + alice_ + suffix,
                                      "x.80-" + alice_ + suffix, "80-" + alice_ + ".x" + suffix,
                                      "80-" + std::string(60, 'a') + suffix, "80-short" + suffix,
                                      std::string(kRuntimeSuffix)}) {
    auto r = get(bad_host, "/");
    ASSERT_TRUE(r) << bad_host;
    EXPECT_TRUE(r->status == 400 || r->status == 404) << bad_host << " " << r->status;
  }
  for (const char* target : {"/a/%2e%2e/b", "/a%2fb", "/a%5Cb"}) {
    auto r = get(host(80, alice_), target);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 400) << target;
  }
  for (const std::string& target : {"/runtime/" + alice_ + "/080/", "/runtime/" + alice_ + "/80/%2e%2e/api",
                                    "/runtime/" + alice_, std::string("/runtime/x/80/")}) {
    auto r = get(std::string(kMainHost), target);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 400) << target;
  }
  auto fine = get(host(80, alice_), "/add");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200);
}

// This test verifies an app that is not listening gives 502, except a browser CORS probe,
// which gets 204 with no-store.
TEST_F(GatewayRuntimeTest, NotListeningAndCorsProbe) {
  auto closed = get(host(81, alice_), "/");
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->status, 502);
  auto probe = get(host(81, alice_), "/api/x",
                   {{"Origin", "https://oh.test"}, {"Accept", "application/json"}, {"Sec-Fetch-Mode", "cors"}});
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->status, 204);
  EXPECT_NE(probe->header("Cache-Control").value_or("").find("no-store"), std::string::npos);
}

// This test verifies the Docker API going away gives 503 for runtime requests and on
// /_gateway/ready, and that both recover when it is back.
TEST_F(GatewayRuntimeTest, DockerApiGoneThenBack) {
  podman_->stop();
  ASSERT_TRUE(eventually([&] {
    auto r = get(host(80, alice_), "/");
    return r && r->status == 503;
  }));
  auto ready = get(std::string(kMainHost), "/_gateway/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  ASSERT_EQ(podman_->start(), std::nullopt);
  ASSERT_TRUE(eventually([&] {
    auto r = get(host(80, alice_), "/add");
    return r && r->status == 200;
  }, std::chrono::seconds(30)));
  ready = get(std::string(kMainHost), "/_gateway/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
}

// runtime.access = "owner" with local accounts: alice and bob sign in on the main host and use
// the path form (which runs on the main session; the host form adds the hand-off).
class OwnerRuntimeTest : public RuntimeGatewayBase {
protected:
  void SetUp() override {
    prepare();
    startOwnerGateway();
  }
};

// This test verifies the owner reaches their app, another user gets 403, and no session is
// sent to sign-in (302 for a page, 401 for a script).
TEST_F(OwnerRuntimeTest, OwnerOnly) {
  const std::string alice = signIn("alice");
  const std::string bob = signIn("bob");
  ASSERT_FALSE(alice.empty());
  ASSERT_FALSE(bob.empty());
  // The path form serves nothing on the main host, whoever asks (issue 16): a redirect to the
  // app's own host, where the owner policy and the hand-off apply (HostFormHandOff).
  const std::string path = "/runtime/" + alice_ + "/80/add";
  for (const std::string& cookie : {alice, bob, std::string()}) {
    auto answer = get(std::string(kMainHost), path, {{"Cookie", cookie}});
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 302);
    EXPECT_EQ(answer->body.find("the add route"), std::string::npos);
  }
  // The session cookie never reaches the app: nothing on the main host reaches it at all.
  auto env = get(std::string(kMainHost), "/runtime/" + alice_ + "/80/cgi-bin/env", {{"Cookie", alice + "; app=1"}});
  ASSERT_TRUE(env);
  EXPECT_EQ(env->status, 302);
  EXPECT_EQ(env->body.find("oh_session"), std::string::npos) << env->body;
}

// This test verifies {hostPort}-sandbox for a port other than the agent server's API or VS Code
// (here the app's port 80, as a worker port would be): without a session it is not served (the
// sign-in answers instead), and under "owner" a signed-in user gets 403 (OpenHands labels no
// owner). Another container's published port is not reachable that way at all (runtime
// WebSocket tests cover the agent server's own port 8000, served without a session).
TEST_F(OwnerRuntimeTest, AgentServerAppPortNeedsSignIn) {
  const std::uint16_t agent_port = unusedLocalPort();
  const std::uint16_t other_port = unusedLocalPort();
  ASSERT_NE(agent_port, 0);
  ASSERT_NE(other_port, 0);
  const std::string agent_name = "oh-agent-server-" + randomConversationId().substr(0, 22);
  ASSERT_FALSE(podman_->createContainer(agent_name, "", "", true, agent_port).empty());
  ASSERT_FALSE(podman_->createContainer("oh-rt-other-" + randomConversationId().substr(0, 8), "", "", true,
                                        other_port).empty());
  const std::string agent_host = std::to_string(agent_port) + "-sandbox." + std::string(kRuntimeSuffix);
  const std::string alice = signIn("alice");
  ASSERT_FALSE(alice.empty());
  // Once the index knows the container (404 before), a signed-in user meets the owner check.
  ASSERT_TRUE(eventually([&] { return visit(alice, agent_host, "/add").status == 403; })) << gateway_->stderrText();
  // Anonymous requests are sent to sign in (302 to the hand-off for a page, 401 otherwise)
  // instead of reaching the app.
  const auto sentToSignIn = [](const std::optional<RawResponse>& r) { return r && (r->status == 302 || r->status == 401); };
  EXPECT_TRUE(sentToSignIn(get(agent_host, "/add")));
  const std::string other_host = std::to_string(other_port) + "-sandbox." + std::string(kRuntimeSuffix);
  EXPECT_TRUE(sentToSignIn(get(other_host, "/add")));
  EXPECT_EQ(visit(alice, other_host, "/add").status, 404);
}

// This test verifies the host form under "owner": the runtime host hands off to the main host
// for a one-time ticket, the owner ends with a host-only runtime cookie and reaches the app,
// and another user's hand-off ends in 403.
TEST_F(OwnerRuntimeTest, HostFormHandOff) {
  const std::string alice = signIn("alice");
  const std::string bob = signIn("bob");
  ASSERT_FALSE(alice.empty());
  ASSERT_FALSE(bob.empty());
  const Visit own = visit(alice, host(80, alice_), "/add");
  EXPECT_EQ(own.status, 200);
  EXPECT_EQ(own.body, "the add route\n");
  const Visit other = visit(bob, host(80, alice_), "/add");
  EXPECT_EQ(other.status, 403);
}

}  // namespace
}  // namespace oh::testing
