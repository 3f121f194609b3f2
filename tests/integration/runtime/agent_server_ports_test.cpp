// Which ports of an OpenHands 1.x agent server the sandbox form {hostPort}-sandbox opens without
// a gateway session, through the real oh-gateway to a real container: stock OpenHands 1.3
// publishes the agent server's API (8000), VS Code (8001) and two worker ports (8011, 8012) where
// users' apps run (docs/instance.md "Sandbox URLs"). The API and VS Code check their own key or
// token and are served anonymously; a worker port is a user's app and follows sign-in and
// runtime.access like the conversation form.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "runtime_gateway_fixture.h"
#include "support/websocket_peers.h"

namespace oh::testing {
namespace {

constexpr std::uint16_t kApiPort = 8000;
constexpr std::uint16_t kVsCodePort = 8001;
constexpr std::uint16_t kWorkerPort = 8011;

class RuntimeAgentServerPortsTest : public RuntimeGatewayBase {
protected:
  void SetUp() override {
    prepare();
    startOwnerGateway();
  }

  static std::string sandboxHost(std::uint16_t host_port) {
    return std::to_string(host_port) + "-sandbox." + std::string(kRuntimeSuffix);
  }
};

// This test verifies the API and VS Code ports answer without a session, a worker port sends an
// anonymous caller (plain request or WebSocket upgrade) to sign in, and a signed-in user meets
// the owner policy there (403: OpenHands labels no owner on its sandboxes).
TEST_F(RuntimeAgentServerPortsTest, OnlyApiAndVsCodeOpenWithoutSession) {
  PodmanService::ContainerSpec spec;
  spec.name = "oh-agent-server-" + randomSandboxId();
  spec.labels = {{"sandbox_spec_id", "ghcr.io/openhands/agent-server:1.3.0-python"}};
  spec.command = "ws-echo " + std::to_string(kVsCodePort) + " & ws-echo " + std::to_string(kWorkerPort) + " & " +
                 PodmanService::webSocketEchoCommand(kApiPort);
  spec.publish = {{kApiPort, 0}, {kVsCodePort, 0}, {kWorkerPort, 0}};
  ASSERT_FALSE(podman_->createContainer(spec).empty());
  const auto api_port = podman_->publishedHostPort(spec.name, kApiPort);
  const auto vscode_port = podman_->publishedHostPort(spec.name, kVsCodePort);
  const auto worker_port = podman_->publishedHostPort(spec.name, kWorkerPort);
  ASSERT_TRUE(api_port && vscode_port && worker_port);

  ASSERT_TRUE(eventually([&] {
    auto r = get(sandboxHost(*api_port), "/health");
    return r && r->status == 200;
  })) << gateway_->stderrText();
  auto vscode = get(sandboxHost(*vscode_port), "/health");
  ASSERT_TRUE(vscode);
  EXPECT_EQ(vscode->status, 200);
  WebSocketClient vscode_socket;
  ASSERT_FALSE(vscode_socket.connect(gateway_->port(), sandboxHost(*vscode_port), "/vscode/socket").has_value())
      << vscode_socket.handshakeStatus();
  ASSERT_TRUE(vscode_socket.sendText("editor"));
  const auto echoed = vscode_socket.read();
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->data, "editor");
  EXPECT_TRUE(vscode_socket.close(1000));

  const std::string worker_host = sandboxHost(*worker_port);
  auto anonymous = get(worker_host, "/health");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto page = get(worker_host, "/", {{"Accept", "text/html"}, {"Sec-Fetch-Mode", "navigate"}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 302);
  WebSocketClient anonymous_socket;
  EXPECT_TRUE(anonymous_socket.connect(gateway_->port(), worker_host, "/").has_value());
  EXPECT_EQ(anonymous_socket.handshakeStatus(), 401u);

  const std::string alice = signIn("alice");
  ASSERT_FALSE(alice.empty());
  EXPECT_EQ(visit(alice, worker_host, "/health").status, 403);
}

}  // namespace
}  // namespace oh::testing
