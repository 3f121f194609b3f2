// Runtime apps through the real oh-gateway binary, to real containers (Podman): routing by
// host and by path form, the apps' own routes, the response policy (security headers, cookie
// rewrite), platform headers and cookies removed, a stopped container (502) and a restarted
// one, the Docker API gone (503, /_gateway/ready) and back, malformed hosts refused, and the
// CORS probe answer, with runtime.access = "public" and auth.provider = "none"; then the owner
// policy with local accounts (owner 200, another user 403, no session 302/401).

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "podman_fixture.h"
#include "support/gateway_process.h"
#include "support/raw_client.h"
#include "support/test_upstream.h"

namespace oh::testing {
namespace {

constexpr std::string_view kSuffix = "runtime.oh.test";
constexpr std::string_view kMainHost = "oh.test";

// A TCP port nothing listens on right now (for a container to publish), or 0.
std::uint16_t unusedLocalPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return 0;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t length = sizeof address;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

// Podman with two users' containers, and oh-gateway in front of them.
class RuntimeGatewayBase : public ::testing::Test {
protected:
  void prepare() {
    if (auto why = PodmanService::unavailable()) {
      GTEST_SKIP() << *why;
    }
    binary_ = GatewayProcess::defaultBinary();
    if (binary_.empty()) {
      GTEST_SKIP() << "oh-gateway is not built";
    }
    podman_ = std::make_unique<PodmanService>();
    ASSERT_EQ(podman_->start(), std::nullopt);
    ASSERT_EQ(podman_->ensureImage(), std::nullopt);
    alice_ = randomConversationId();
    bob_ = randomConversationId();
    ASSERT_FALSE(podman_->createContainer(containerName(alice_), alice_, "alice").empty());
    ASSERT_FALSE(podman_->createContainer(containerName(bob_), bob_, "bob").empty());
    gateway_ = std::make_unique<GatewayProcess>(binary_);
  }

  void startGateway(std::string_view access, const std::string& auth_toml) {
    const std::string toml = std::string("mode = \"local\"\n\n[server]\nlisten_address = \"127.0.0.1\"\nlisten_port = 0\n"
                                         "threads = 2\n\n[upstream]\nurl = \"") +
                             upstream_.url() +
                             "\"\n\n[origin]\nenabled = false\n\n[rate_limit]\nenabled = false\n\n"
                             "[admin]\nlisten_port = 0\n\n[log]\nlevel = \"info\"\naccess_log = true\n\n" + auth_toml +
                             "\n[runtime]\nenabled = true\nhost_suffixes = [\"" +
                             std::string(kSuffix) + "\"]\ndocker_socket = \"" + podman_->socket() +
                             "\"\naccess = \"" + std::string(access) + "\"\nconnect_timeout_seconds = 2\n";
    const auto failure = gateway_->start(toml);
    ASSERT_FALSE(failure.has_value()) << *failure;
    // The directory lists asynchronously: wait until it is ready.
    ASSERT_TRUE(eventually([&] {
      auto r = get(std::string(kMainHost), "/_gateway/ready");
      return r && r->status == 200;
    })) << gateway_->stderrText();
  }

  void TearDown() override {
    if (gateway_) {
      gateway_->stop();
    }
    podman_.reset();
  }

  static std::string host(unsigned port, const std::string& conversation) {
    return std::to_string(port) + "-" + conversation + "." + std::string(kSuffix);
  }

  std::optional<RawResponse> get(const std::string& host_header, std::string_view target, const Headers& headers = {}) {
    return simpleRequest(gateway_->port(), "GET", target, headers, {}, host_header);
  }

  static std::string containerName(const std::string& conversation) { return "oh-rt-gw-" + conversation.substr(0, 12); }

  std::string binary_;
  TestUpstream upstream_;
  std::unique_ptr<PodmanService> podman_;
  std::unique_ptr<GatewayProcess> gateway_;
  std::string alice_;
  std::string bob_;
};

// runtime.access = "public", auth.provider = "none": routing alone.
class GatewayRuntimeTest : public RuntimeGatewayBase {
protected:
  void SetUp() override {
    prepare();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    startGateway("public", "[auth]\nprovider = \"none\"\n");
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

// This test verifies the path form on the main host: prefix removed, app routes kept.
TEST_F(GatewayRuntimeTest, RoutesByPathForm) {
  auto add = get(std::string(kMainHost), "/runtime/" + alice_ + "/80/add");
  ASSERT_TRUE(add);
  EXPECT_EQ(add->status, 200);
  EXPECT_EQ(add->body, "the add route\n");
  auto root = get(std::string(kMainHost), "/runtime/" + bob_ + "/8080");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 200);
  EXPECT_EQ(root->body, "second app\n");
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
  const std::string suffix = "." + std::string(kSuffix);
  for (const std::string& bad_host : {"0-" + alice_ + suffix, "65536-" + alice_ + suffix, "08080-" + alice_ + suffix,
                                      "x.80-" + alice_ + suffix, "80-" + alice_ + ".x" + suffix,
                                      "80-" + std::string(60, 'a') + suffix, "80-short" + suffix,
                                      std::string(kSuffix)}) {
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

}  // namespace
}  // namespace oh::testing

namespace oh::testing {
namespace {

std::string formEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

// The "name=value" of a Set-Cookie for `name` in a response, or "".
std::string cookiePair(const RawResponse& response, std::string_view name) {
  for (const auto& field : response.headers) {
    if (!equalsIgnoreCase(field.name, "Set-Cookie")) {
      continue;
    }
    const std::string pair = field.value.substr(0, field.value.find(';'));
    if (pair.size() > name.size() && pair.compare(0, name.size(), name) == 0 && pair[name.size()] == '=') {
      return pair;
    }
  }
  return {};
}

constexpr std::string_view kPassword = "correct horse battery";

// runtime.access = "owner" with local accounts: alice and bob sign in on the main host and use
// the path form (which runs on the main session; the host form adds the hand-off).
class OwnerRuntimeTest : public RuntimeGatewayBase {
protected:
  void SetUp() override {
    prepare();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    const std::string users = (gateway_->dir() / "users").string();
    for (const char* name : {"alice", "bob"}) {
      const std::string command = "printf '%s\\n' '" + std::string(kPassword) + "' | '" + binary_ + "' users add " +
                                  name + " --file '" + users + "' --password-stdin >/dev/null 2>&1";
      ASSERT_EQ(std::system(command.c_str()), 0) << command;
    }
    const auto key = gateway_->writeFile("cookie.key", std::string(64, 'a') + "\n");
    const auto ticket_key = gateway_->writeFile("ticket.key", std::string(64, 'b') + "\n");
    startGateway("owner", "[auth]\nprovider = \"local\"\ncookie_secure = false\ncookie_key_file = \"" + key.string() +
                              "\"\nticket_key_file = \"" + ticket_key.string() + "\"\nusers_file = \"" + users +
                              "\"\n");
  }

  // Signs in on the main host; the session cookie pair ("oh_session=...") or "".
  std::string signIn(const std::string& name) {
    auto page = get(std::string(kMainHost), "/_gateway/login?rd=%2F", {{"Accept", "text/html"}});
    if (!page || page->status != 200) {
      ADD_FAILURE() << "login page: " << (page ? page->status : 0);
      return {};
    }
    const std::string csrf = cookiePair(*page, "oh_login_csrf");
    const std::string form = "username=" + name + "&password=" + formEncode(kPassword) +
                             "&rd=%2F&csrf=" + formEncode(csrf.substr(csrf.find('=') + 1));
    auto posted = simpleRequest(gateway_->port(), "POST", "/_gateway/login",
                                {{"Content-Type", "application/x-www-form-urlencoded"},
                                 {"Accept", "text/html"},
                                 {"Sec-Fetch-Mode", "navigate"},
                                 {"Cookie", csrf}},
                                form, std::string(kMainHost));
    if (!posted || posted->status != 302) {
      ADD_FAILURE() << "login post: " << (posted ? posted->status : 0) << " " << (posted ? posted->body : "");
      return {};
    }
    return cookiePair(*posted, "oh_session");
  }
};

// This test verifies the owner reaches their app, another user gets 403, and no session is
// sent to sign-in (302 for a page, 401 for a script).
TEST_F(OwnerRuntimeTest, OwnerOnly) {
  const std::string alice = signIn("alice");
  const std::string bob = signIn("bob");
  ASSERT_FALSE(alice.empty());
  ASSERT_FALSE(bob.empty());
  const std::string path = "/runtime/" + alice_ + "/80/add";
  auto own = get(std::string(kMainHost), path, {{"Cookie", alice}});
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200);
  EXPECT_EQ(own->body, "the add route\n");
  auto other = get(std::string(kMainHost), path, {{"Cookie", bob}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403);
  auto bobs_own = get(std::string(kMainHost), "/runtime/" + bob_ + "/8080/", {{"Cookie", bob}});
  ASSERT_TRUE(bobs_own);
  EXPECT_EQ(bobs_own->status, 200);
  auto page = get(std::string(kMainHost), path, {{"Accept", "text/html"}, {"Sec-Fetch-Mode", "navigate"}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 302);
  auto script = get(std::string(kMainHost), path, {{"Accept", "application/json"}, {"Sec-Fetch-Mode", "cors"}});
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 401);
  // The session cookie never reaches the app.
  auto env = get(std::string(kMainHost), "/runtime/" + alice_ + "/80/cgi-bin/env", {{"Cookie", alice + "; app=1"}});
  ASSERT_TRUE(env);
  ASSERT_EQ(env->status, 200);
  EXPECT_EQ(env->body.find("oh_session"), std::string::npos) << env->body;
  EXPECT_NE(env->body.find("app=1"), std::string::npos) << env->body;
}

// This test verifies {hostPort}-sandbox under "owner" and without a session: the container named
// as an OpenHands agent server that published the port is reached on the container port behind
// it (the agent server checks its own key); another container's published port is not.
TEST_F(OwnerRuntimeTest, AgentServerByHostPort) {
  const std::uint16_t agent_port = unusedLocalPort();
  const std::uint16_t other_port = unusedLocalPort();
  ASSERT_NE(agent_port, 0);
  ASSERT_NE(other_port, 0);
  const std::string agent_name = "oh-agent-server-" + randomConversationId().substr(0, 22);
  ASSERT_FALSE(podman_->createContainer(agent_name, "", "", true, agent_port).empty());
  ASSERT_FALSE(podman_->createContainer("oh-rt-other-" + randomConversationId().substr(0, 8), "", "", true,
                                        other_port).empty());
  const std::string agent_host = std::to_string(agent_port) + "-sandbox." + std::string(kSuffix);
  ASSERT_TRUE(eventually([&] {
    auto r = get(agent_host, "/add");
    return r && r->status == 200;
  })) << gateway_->stderrText();
  EXPECT_EQ(get(agent_host, "/add")->body, "the add route\n");
  auto other = get(std::to_string(other_port) + "-sandbox." + std::string(kSuffix), "/add");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
}

// This test verifies the host form under "owner": the runtime host hands off to the main host
// for a one-time ticket, the owner ends with a host-only runtime cookie and reaches the app,
// and another user's hand-off ends in 403.
TEST_F(OwnerRuntimeTest, HostFormHandOff) {
  const std::string alice = signIn("alice");
  const std::string bob = signIn("bob");
  ASSERT_FALSE(alice.empty());
  ASSERT_FALSE(bob.empty());
  // Follows redirects across the two hosts, sending the session only to the main host and the
  // runtime cookie only to the runtime host (as a browser would with host-only cookies).
  const auto visit = [&](const std::string& session, int& last_status, std::string& body) {
    std::string current_host = host(80, alice_);
    std::string target = "/add";
    std::string runtime_cookie;
    for (int hop = 0; hop < 6; ++hop) {
      Headers headers = {{"Accept", "text/html"}, {"Sec-Fetch-Mode", "navigate"}};
      if (current_host == kMainHost) {
        headers.push_back({"Cookie", session});
      } else if (!runtime_cookie.empty()) {
        headers.push_back({"Cookie", runtime_cookie});
      }
      auto r = get(current_host, target, headers);
      if (!r) {
        last_status = 0;
        return;
      }
      if (current_host != kMainHost && runtime_cookie.empty()) {
        runtime_cookie = cookiePair(*r, "oh_runtime");
      }
      last_status = r->status;
      body = r->body;
      if (r->status != 302) {
        return;
      }
      std::string location = r->header("Location").value_or("");
      const std::size_t scheme = location.find("://");
      if (scheme != std::string::npos) {
        const std::size_t path_at = location.find('/', scheme + 3);
        current_host = location.substr(scheme + 3, path_at - scheme - 3);
        target = path_at == std::string::npos ? "/" : location.substr(path_at);
      } else {
        target = location;
      }
    }
  };
  int status = 0;
  std::string body;
  visit(alice, status, body);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, "the add route\n");
  visit(bob, status, body);
  EXPECT_EQ(status, 403);
}

}  // namespace
}  // namespace oh::testing
