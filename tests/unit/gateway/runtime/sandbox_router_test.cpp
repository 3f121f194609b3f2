#include "runtime/sandbox_router.h"

#include <gtest/gtest.h>

#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/digest.h"
#include "runtime/container_directory.h"
#include "runtime/runtime_router.h"
#include "sandbox/sandbox_routes.h"
#include "sandbox/user_key.h"

namespace oh::gateway {
namespace {

// Alice's sandbox, as OpenHands' app server names it (base62 of 16 bytes, case kept), running.
constexpr const char* kAliceSandbox = "xC0Bgbvjp2GAUZBX1wvFVq";
constexpr const char* kAliceSandboxLower = "xc0bgbvjp2gauzbx1wvfvq";
// Bob's sandbox, paused (no address).
constexpr const char* kBobSandbox = "Zz9Bgbvjp2GAUZBX1wvFVq";
// A conversation of Alice's sandbox (uuid4().hex).
constexpr const char* kAliceConversation = "0123456789abcdef0123456789abcdef";
constexpr const char* kAliceSessionKey = "alice-session-key";

// The service's side, as the data plane sees it: a fixed snapshot, and the links it was taught.
class FixedRoutes final : public control::SandboxRouteSource {
public:
  FixedRoutes() {
    control::SandboxRoute alice;
    alice.sandbox_id = kAliceSandbox;
    alice.owner = control::userKeyForSubject("alice");
    alice.address = "10.89.1.2";
    alice.agent_port = 60000;
    alice.vscode_port = 60001;
    alice.worker_1_port = 12000;
    alice.worker_2_port = 12001;
    alice.session_key_sha256 = common::sha256(kAliceSessionKey);
    control::SandboxRoute bob = alice;
    bob.sandbox_id = kBobSandbox;
    bob.owner = control::userKeyForSubject("bob");
    bob.address.clear();
    routes_ = std::make_shared<const control::SandboxRoutes>(
        std::vector<control::SandboxRoutePtr>{std::make_shared<const control::SandboxRoute>(alice),
                                              std::make_shared<const control::SandboxRoute>(bob)},
        std::unordered_map<std::string, std::string>{{kAliceConversation, kAliceSandbox}});
  }

  control::SandboxRoutesPtr routes() const override { return routes_; }
  void noteConversation(std::string_view sandbox_id, std::string_view conversation_id) override {
    noted.emplace_back(sandbox_id, conversation_id);
  }

  std::vector<std::pair<std::string, std::string>> noted;

private:
  control::SandboxRoutesPtr routes_;
};

class SandboxRouterTest : public ::testing::Test {
protected:
  SandboxRouterTest() {
    settings_.enabled = true;
    settings_.host_suffixes = {"runtime.oh.test", "runtime.other.test"};
    settings_.access = RuntimeAccess::owner;
    settings_.agent_server_origin = "https://oh.test";
    directory_ = ContainerDirectory::fixed(std::make_shared<const ContainerIndex>());
  }

  // Classifies `host` as the gateway does, then routes it.
  GateDecision route(const std::string& host, std::optional<Identity> identity, std::string target = "/") {
    target_ = std::move(target);
    auto where = classifyRuntimeRequest(host, target_, settings_);
    auto* address = std::get_if<RuntimeAddress>(&where);
    EXPECT_NE(address, nullptr) << host;
    if (address == nullptr) {
      return {};
    }
    request_.target = target_;
    return routeRuntime(*address, identity, request_, *directory_, settings_, &routes_);
  }

  bool anonymousAllowed(const std::string& host) {
    auto where = classifyRuntimeRequest(host, "/", settings_);
    return servedWithoutSession(std::get<RuntimeAddress>(where), *directory_, &routes_);
  }

  static Identity user(std::string sub) {
    Identity identity;
    identity.sub = std::move(sub);
    return identity;
  }

  RuntimeSettings settings_;
  ContainerDirectoryPtr directory_;
  FixedRoutes routes_;
  GateRequest request_;
  std::string target_;
};

// This test verifies the url the sandbox API returns reaches the agent server, any case of the id.
TEST_F(SandboxRouterTest, AgentServerByUrl) {
  for (std::string host : {std::string("60000-") + kAliceSandbox + ".runtime.oh.test",
                           std::string("60000-") + kAliceSandboxLower + ".runtime.oh.test"}) {
    const auto d = route(host, std::nullopt);  // the app server calls it without our session
    ASSERT_EQ(d.kind, GateDecision::Kind::forward) << host;
    ASSERT_EQ(d.forward.targets.size(), 1u);
    EXPECT_EQ(d.forward.targets[0].host, "10.89.1.2");
    EXPECT_EQ(d.forward.targets[0].port, 60000);
    ASSERT_TRUE(d.forward.runtime_response);
    // Framed by every main host: one OpenHands serves every domain.
    EXPECT_EQ(d.forward.runtime_response->frame_ancestor_hosts.size(), 2u);
    EXPECT_TRUE(anonymousAllowed(host));
  }
}

// This test verifies the hosts OpenHands derives from the url reach VS Code and the workers.
TEST_F(SandboxRouterTest, DerivedServiceHosts) {
  const std::string url_label = std::string("60000-") + kAliceSandbox;
  const auto vscode = route("vscode-" + url_label + ".runtime.oh.test", std::nullopt);
  ASSERT_EQ(vscode.kind, GateDecision::Kind::forward);
  EXPECT_EQ(vscode.forward.targets[0].port, 60001);
  EXPECT_TRUE(anonymousAllowed("VSCode-" + url_label + ".runtime.oh.test"));

  const auto work1 = route("work-1-" + url_label + ".runtime.oh.test", user("alice"));
  ASSERT_EQ(work1.kind, GateDecision::Kind::forward);
  EXPECT_EQ(work1.forward.targets[0].port, 12000);
  const auto work2 = route("work-2-" + url_label + ".runtime.oh.test", user("alice"));
  EXPECT_EQ(work2.forward.targets[0].port, 12001);
  // Workers guard nothing: sign-in and the owner policy apply.
  EXPECT_FALSE(anonymousAllowed("work-1-" + url_label + ".runtime.oh.test"));
  EXPECT_EQ(route("work-1-" + url_label + ".runtime.oh.test", std::nullopt).reply.status, 401u);
  EXPECT_EQ(route("work-1-" + url_label + ".runtime.oh.test", user("bob")).reply.status, 403u);
}

// This test verifies a derived host must carry the agent port, as OpenHands builds it.
TEST_F(SandboxRouterTest, DerivedHostWithAnotherPort) {
  const auto d = route(std::string("vscode-5000-") + kAliceSandbox + ".runtime.oh.test", user("alice"));
  EXPECT_EQ(d.reply.status, 404u);
}

// This test verifies any other port is an app: the owner only, by the store's owner.
TEST_F(SandboxRouterTest, AppPortsFollowTheOwner) {
  const std::string host = std::string("5173-") + kAliceSandbox + ".runtime.oh.test";
  const auto ok = route(host, user("alice"));
  ASSERT_EQ(ok.kind, GateDecision::Kind::forward);
  EXPECT_EQ(ok.forward.targets[0].port, 5173);
  EXPECT_EQ(ok.forward.user, "alice");
  EXPECT_EQ(route(host, user("bob")).reply.status, 403u);
  EXPECT_EQ(route(host, std::nullopt).reply.status, 401u);
  // The owner is the hash of the subject, never the subject compared as text.
  EXPECT_EQ(route(host, user(control::userKeyForSubject("alice"))).reply.status, 403u);
  settings_.access = RuntimeAccess::authenticated;
  EXPECT_EQ(route(host, user("bob")).kind, GateDecision::Kind::forward);
}

// This test verifies a conversation linked to a sandbox reaches it, as the reference README's
// {port}-{convId} form promises.
TEST_F(SandboxRouterTest, ConversationIdForm) {
  const auto d = route(std::string("3000-") + kAliceConversation + ".runtime.oh.test", user("alice"));
  ASSERT_EQ(d.kind, GateDecision::Kind::forward);
  EXPECT_EQ(d.forward.targets[0].host, "10.89.1.2");
  EXPECT_EQ(d.forward.targets[0].port, 3000);
  EXPECT_EQ(route(std::string("3000-") + kAliceConversation + ".runtime.oh.test", user("bob")).reply.status, 403u);
}

// This test verifies a paused sandbox answers 502 and an unknown id falls through to the Docker
// directory (404 there), a derived host of an unknown id too.
TEST_F(SandboxRouterTest, PausedAndUnknown) {
  EXPECT_EQ(route(std::string("5173-") + kBobSandbox + ".runtime.oh.test", user("bob")).reply.status, 502u);
  EXPECT_EQ(route("5173-aaaaaaaaaaaaaaaaaaaaaa.runtime.oh.test", user("alice")).reply.status, 404u);
  EXPECT_EQ(route("vscode-60000-aaaaaaaaaaaaaaaaaaaaaa.runtime.oh.test", user("alice")).reply.status, 404u);
}

// This test verifies a caller holding the session key teaches the conversation link; a wrong or
// missing key, another port, or a malformed id teaches nothing.
TEST_F(SandboxRouterTest, LearnsConversationFromKeyHolders) {
  const std::string agent = std::string("60000-") + kAliceSandbox + ".runtime.oh.test";
  const std::string conversation = "fedcba9876543210fedcba9876543210";
  request_.session_api_key = kAliceSessionKey;
  route(agent, std::nullopt, "/api/conversations/" + conversation + "/events/search");
  ASSERT_EQ(routes_.noted.size(), 1u);
  EXPECT_EQ(routes_.noted[0], std::make_pair(std::string(kAliceSandbox), conversation));

  // A WebSocket carries the key in its query; the dashed uuid form is the same id.
  request_.session_api_key = {};
  route(agent, std::nullopt, "/sockets/events/FEDCBA98-7654-3210-fedc-ba9876543211?session_api_key=alice-session-key");
  ASSERT_EQ(routes_.noted.size(), 2u);
  EXPECT_EQ(routes_.noted[1].second, "fedcba9876543210fedcba9876543211");

  request_.session_api_key = "guess";
  route(agent, std::nullopt, "/api/conversations/" + conversation);
  request_.session_api_key = {};
  route(agent, std::nullopt, "/api/conversations/" + conversation);
  request_.session_api_key = kAliceSessionKey;
  route(std::string("5173-") + kAliceSandbox + ".runtime.oh.test", user("alice"), "/api/conversations/" + conversation);
  route(agent, std::nullopt, "/api/conversations/not-an-id");
  route(agent, std::nullopt, "/api/conversations/" + conversation.substr(1));
  EXPECT_EQ(routes_.noted.size(), 2u);
}

// This test verifies a service prefix never combines with the legacy {hostPort}-sandbox form.
TEST_F(SandboxRouterTest, ServicePrefixOnSandboxFormRefused) {
  auto where = classifyRuntimeRequest("vscode-8000-sandbox.runtime.oh.test", "/", settings_);
  ASSERT_TRUE(std::holds_alternative<RuntimeRefusal>(where));
  EXPECT_EQ(std::get<RuntimeRefusal>(where).status, 400u);
}

}  // namespace
}  // namespace oh::gateway
