#include "runtime/runtime_router.h"

#include <gtest/gtest.h>

#include "runtime/container_directory.h"

namespace oh::gateway {
namespace {

constexpr const char* kAlice = "0123456789abcdef0123456789abcdef";
constexpr const char* kNoOwner = "1123456789abcdef0123456789abcdef";
constexpr const char* kStopped = "2123456789abcdef0123456789abcdef";

ContainerRecordPtr record(std::string id, std::string conversation, std::string state, bool owner_label,
                          std::string owner) {
  ContainerRecord r;
  r.id = std::move(id);
  r.conversation_id = std::move(conversation);
  r.state = std::move(state);
  r.ip = r.state == "running" ? "10.88.0.7" : "";
  r.has_owner_label = owner_label;
  r.owner = std::move(owner);
  r.ports = {PortMapping{80, 18080}, PortMapping{3000, 3000}};
  return std::make_shared<const ContainerRecord>(std::move(r));
}

// A running OpenHands 1.x agent server (no labels) publishing `ports`.
ContainerRecord agentServer(std::vector<PortMapping> ports) {
  ContainerRecord agent;
  agent.id = "agent";
  agent.name = "oh-agent-server-xC0Bgbvjp2GAUZBX1wvFV";
  agent.state = "running";
  agent.ip = "10.88.0.9";
  agent.ports = std::move(ports);
  return agent;
}

ContainerDirectoryPtr directoryOf(const std::vector<ContainerRecord>& records) {
  std::vector<ContainerRecordPtr> pointers;
  for (const ContainerRecord& r : records) {
    pointers.push_back(std::make_shared<const ContainerRecord>(r));
  }
  return ContainerDirectory::fixed(std::make_shared<const ContainerIndex>(std::move(pointers)));
}

class RuntimeRouterTest : public ::testing::Test {
protected:
  RuntimeRouterTest() {
    settings_.enabled = true;
    settings_.host_suffixes = {"runtime.oh.test"};
    directory_ = ContainerDirectory::fixed(std::make_shared<const ContainerIndex>(std::vector<ContainerRecordPtr>{
        record("a", kAlice, "running", true, "alice"), record("b", kNoOwner, "running", false, ""),
        record("c", kStopped, "exited", true, "alice")}));
  }

  GateDecision route(const std::string& conversation, std::uint16_t port, std::optional<Identity> identity) {
    RuntimeAddress address;
    address.conversation_id = conversation;
    address.port = port;
    address.main_host = "oh.test";
    address.forward_target = "/add?x=1";
    return routeRuntime(address, identity, request_, *directory_, settings_);
  }

  static Identity user(std::string sub) {
    Identity identity;
    identity.sub = std::move(sub);
    return identity;
  }

  RuntimeSettings settings_;
  ContainerDirectoryPtr directory_;
  GateRequest request_;
};

// This test verifies the owner is forwarded to the container's IP with the response policy.
TEST_F(RuntimeRouterTest, OwnerForwarded) {
  const auto d = route(kAlice, 5000, user("alice"));
  ASSERT_EQ(d.kind, GateDecision::Kind::forward);
  ASSERT_EQ(d.forward.targets.size(), 1u);
  EXPECT_EQ(d.forward.targets[0].host, "10.88.0.7");
  EXPECT_EQ(d.forward.targets[0].port, 5000);
  ASSERT_TRUE(d.forward.runtime_response);
  EXPECT_EQ(d.forward.runtime_response->frame_ancestor_hosts, std::vector<std::string>{"oh.test"});
  EXPECT_TRUE(d.forward.runtime_response->upstream_origin.empty());
  EXPECT_FALSE(d.forward.cors_probe_no_content);
  EXPECT_EQ(d.forward.user, "alice");
}

// This test verifies a published host port adds the container port behind it as a second target.
TEST_F(RuntimeRouterTest, PublishedHostPort) {
  const auto d = route(kAlice, 18080, user("alice"));
  ASSERT_EQ(d.forward.targets.size(), 2u);
  EXPECT_EQ(d.forward.targets[0].port, 18080);
  EXPECT_EQ(d.forward.targets[1].port, 80);
  EXPECT_EQ(route(kAlice, 3000, user("alice")).forward.targets.size(), 1u);  // same port: no duplicate
}

// This test verifies the access policies: another user 403, no owner label 403, none 401.
TEST_F(RuntimeRouterTest, OwnerPolicy) {
  EXPECT_EQ(route(kAlice, 5000, user("bob")).reply.status, 403u);
  EXPECT_EQ(route(kAlice, 5000, user("")).reply.status, 403u);
  EXPECT_EQ(route(kNoOwner, 5000, user("alice")).reply.status, 403u);
  EXPECT_EQ(route(kNoOwner, 5000, user("")).reply.status, 403u);
  EXPECT_EQ(route(kAlice, 5000, std::nullopt).reply.status, 401u);
  const auto d = route(kAlice, 5000, user("bob"));
  EXPECT_EQ(d.kind, GateDecision::Kind::reply);
  EXPECT_EQ(d.reply.content_type, "application/json");
  EXPECT_NE(d.reply.body.find("forbidden"), std::string::npos);
}

// This test verifies "authenticated" admits any signed-in user and "public" anyone.
TEST_F(RuntimeRouterTest, AuthenticatedAndPublic) {
  settings_.access = RuntimeAccess::authenticated;
  EXPECT_EQ(route(kAlice, 5000, user("bob")).kind, GateDecision::Kind::forward);
  EXPECT_EQ(route(kNoOwner, 5000, user("bob")).kind, GateDecision::Kind::forward);
  EXPECT_EQ(route(kAlice, 5000, std::nullopt).reply.status, 401u);
  settings_.access = RuntimeAccess::public_;
  EXPECT_EQ(route(kAlice, 5000, std::nullopt).kind, GateDecision::Kind::forward);
  EXPECT_EQ(route(kNoOwner, 5000, std::nullopt).kind, GateDecision::Kind::forward);
}

// This test verifies unknown 404, stopped 502, and Docker unreachable 503 (before any lookup).
TEST_F(RuntimeRouterTest, Failures) {
  EXPECT_EQ(route("ffffffffffffffffffffffffffffffff", 5000, user("alice")).reply.status, 404u);
  EXPECT_EQ(route(kStopped, 5000, user("alice")).reply.status, 502u);
  directory_ = ContainerDirectory::fixed(directory_->index(), "docker API unreachable: test");
  const auto d = route(kAlice, 5000, user("alice"));
  EXPECT_EQ(d.reply.status, 503u);
  EXPECT_NE(d.reason.find("docker API unreachable"), std::string::npos);
}

// This test verifies CORS probes are flagged. (The path form is never routed: the gate only
// redirects it to the runtime host, GatewayGateTest.PathFormOnlyRedirectsToTheRuntimeHost.)
TEST_F(RuntimeRouterTest, CorsProbe) {
  request_.origin = "https://oh.test";
  request_.accept = "Application/JSON, text/plain";
  request_.sec_fetch_mode = "CORS";
  const auto d = route(kAlice, 5000, user("alice"));
  EXPECT_TRUE(d.forward.cors_probe_no_content);
  request_.sec_fetch_mode = "navigate";
  EXPECT_FALSE(route(kAlice, 5000, user("alice")).forward.cors_probe_no_content);
  request_.sec_fetch_mode = "cors";
  request_.origin = "";
  EXPECT_FALSE(isCorsProbe(request_));
  request_.origin = "https://x";
  request_.accept = "text/html";
  EXPECT_FALSE(isCorsProbe(request_));
}

// This test verifies {hostPort}-sandbox reaches the agent server that published the port, on its
// container port, without a session even under "owner"; other containers are not reachable so.
TEST_F(RuntimeRouterTest, AgentServerByHostPort) {
  const ContainerRecord agent = agentServer({PortMapping{8000, 30500}});
  ContainerRecord other = agent;
  other.id = "other";
  other.name = "postgres";
  other.ports = {PortMapping{5432, 30501}};
  auto directory = directoryOf({agent, other});
  settings_.access = RuntimeAccess::owner;
  RuntimeAddress address;
  address.sandbox_form = true;
  address.port = 30500;
  address.main_host = "oh.test";
  address.forward_target = "/alive";
  const auto decision = routeRuntime(address, std::nullopt, request_, *directory, settings_);
  ASSERT_EQ(decision.kind, GateDecision::Kind::forward) << decision.reason;
  ASSERT_EQ(decision.forward.targets.size(), 1u);
  EXPECT_EQ(decision.forward.targets[0].host, "10.88.0.9");
  EXPECT_EQ(decision.forward.targets[0].port, 8000);
  ASSERT_TRUE(decision.forward.runtime_response.has_value());
  EXPECT_TRUE(servedWithoutSession(address, *directory));
  address.port = 30501;
  EXPECT_EQ(routeRuntime(address, std::nullopt, request_, *directory, settings_).reply.status, 404u);
  EXPECT_FALSE(servedWithoutSession(address, *directory));
  address.port = 30502;
  EXPECT_EQ(routeRuntime(address, std::nullopt, request_, *directory, settings_).reply.status, 404u);
  EXPECT_FALSE(servedWithoutSession(address, *directory));
}

// This test verifies an agent server's worker ports (users' apps) follow runtime.access: no
// session 401, "owner" 403 (OpenHands labels no owner), "authenticated" forwards; VS Code's
// port, which checks its own token, is served without a session like the API.
TEST_F(RuntimeRouterTest, AgentServerWorkerPortsFollowAccess) {
  auto directory =
      directoryOf({agentServer({PortMapping{8000, 30500}, PortMapping{8001, 30501}, PortMapping{8011, 30511}})});
  RuntimeAddress address;
  address.sandbox_form = true;
  address.main_host = "oh.test";
  address.forward_target = "/";

  address.port = 30501;
  EXPECT_TRUE(servedWithoutSession(address, *directory));
  EXPECT_EQ(routeRuntime(address, std::nullopt, request_, *directory, settings_).forward.targets.at(0).port, 8001);

  address.port = 30511;
  EXPECT_FALSE(servedWithoutSession(address, *directory));
  settings_.access = RuntimeAccess::owner;
  EXPECT_EQ(routeRuntime(address, std::nullopt, request_, *directory, settings_).reply.status, 401u);
  EXPECT_EQ(routeRuntime(address, user("alice"), request_, *directory, settings_).reply.status, 403u);
  settings_.access = RuntimeAccess::authenticated;
  EXPECT_EQ(routeRuntime(address, std::nullopt, request_, *directory, settings_).reply.status, 401u);
  const auto d = routeRuntime(address, user("alice"), request_, *directory, settings_);
  ASSERT_EQ(d.kind, GateDecision::Kind::forward) << d.reason;
  EXPECT_EQ(d.forward.targets.at(0).port, 8011);
  EXPECT_EQ(d.forward.user, "alice");
  settings_.access = RuntimeAccess::public_;
  EXPECT_EQ(routeRuntime(address, std::nullopt, request_, *directory, settings_).kind, GateDecision::Kind::forward);

  // The conversation form never opens without a session.
  RuntimeAddress conversation;
  conversation.conversation_id = kAlice;
  conversation.port = 30500;
  EXPECT_FALSE(servedWithoutSession(conversation, *directory));
}

class AgentServerOriginTest : public RuntimeRouterTest {
protected:
  AgentServerOriginTest() {
    settings_.host_suffixes = {"runtime.oh.test", "runtime.oh.other.test"};
    settings_.agent_server_origin = "https://oh.test";
    directory_ = directoryOf({agentServer({PortMapping{8000, 30500}})});
  }

  GateDecision callAgentServer(std::string_view origin) {
    request_.origin = origin;
    RuntimeAddress address;
    address.sandbox_form = true;
    address.port = 30500;
    address.main_host = "oh.test";
    address.forward_target = "/api/conversations";
    return routeRuntime(address, std::nullopt, request_, *directory_, settings_);
  }

  static std::optional<std::string> sentOrigin(const GateDecision& decision) {
    for (const auto& [name, value] : decision.forward.set_headers) {
      if (name == "Origin") {
        return value;
      }
    }
    return std::nullopt;
  }
};

// This test verifies a browser on the second domain is presented to the agent server with
// OpenHands' one origin, and is told its own back; every main host may frame the agent server.
TEST_F(AgentServerOriginTest, SecondDomainTranslated) {
  const auto d = callAgentServer("https://oh.other.test");
  ASSERT_EQ(d.kind, GateDecision::Kind::forward) << d.reason;
  EXPECT_EQ(sentOrigin(d), "https://oh.test");
  ASSERT_TRUE(d.forward.runtime_response);
  EXPECT_EQ(d.forward.runtime_response->upstream_origin, "https://oh.test");
  EXPECT_EQ(d.forward.runtime_response->client_origin, "https://oh.other.test");
  EXPECT_EQ(d.forward.runtime_response->frame_ancestor_hosts,
            (std::vector<std::string>{"oh.test", "oh.other.test"}));
}

// This test verifies the primary origin, foreign origins, a wrong scheme, look-alike hosts and a
// missing Origin are all passed through untouched (the agent server judges them itself).
TEST_F(AgentServerOriginTest, OtherOriginsUntouched) {
  for (std::string_view origin : {"https://oh.test", "https://evil.test", "http://oh.other.test",
                                  "https://oh.other.test.evil.test", "https://x.oh.other.test",
                                  "https://oh.other.test:8443", "null", ""}) {
    const auto d = callAgentServer(origin);
    ASSERT_EQ(d.kind, GateDecision::Kind::forward) << origin;
    EXPECT_FALSE(sentOrigin(d)) << origin;
    EXPECT_TRUE(d.forward.runtime_response->upstream_origin.empty()) << origin;
  }
  settings_.agent_server_origin.clear();
  EXPECT_FALSE(sentOrigin(callAgentServer("https://oh.other.test")));
}

// This test verifies a user's app (conversation form) is framed by its own main host only and
// never has its Origin changed.
TEST_F(AgentServerOriginTest, AppsKeepTheirOrigin) {
  directory_ = ContainerDirectory::fixed(std::make_shared<const ContainerIndex>(
      std::vector<ContainerRecordPtr>{record("a", kAlice, "running", true, "alice")}));
  request_.origin = "https://oh.other.test";
  const auto d = route(kAlice, 5000, user("alice"));
  ASSERT_EQ(d.kind, GateDecision::Kind::forward) << d.reason;
  EXPECT_FALSE(sentOrigin(d));
  EXPECT_EQ(d.forward.runtime_response->frame_ancestor_hosts, std::vector<std::string>{"oh.test"});
}

}  // namespace
}  // namespace oh::gateway
