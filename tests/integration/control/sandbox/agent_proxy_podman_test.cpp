// The sandbox API listener's forward proxy (issue 14) with real peers: the sandbox service over
// the SQLite store and the Docker backend against a private Podman API service, two users'
// sandboxes (busybox httpd on the agent port 60000 serving a page that names its owner), and an
// "app server" container on Alice's network whose busybox wget, like httpx, sends its calls for
// the sandboxes' runtime hosts (which resolve nowhere) to http_proxy = the listener on Alice's
// network's gateway address. The listener is told (as the pool would tell it) that the
// container's address is Alice's app server: it reaches Alice's agent server and is refused
// Bob's, and a sandbox's own address is no app server at all.

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <mutex>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "backend/docker_backend.h"
#include "common/random_source.h"
#include "common/text.h"
#include "common/wall_clock.h"
#include "http/sandbox_api_server.h"
#include "podman_test_setup.h"
#include "sandbox/sandbox_service.h"
#include "sandbox/user_key.h"
#include "store/sandbox_store.h"

namespace oh::control {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using oh::testing::eventually;
using oh::testing::PodmanService;
using oh::testing::randomSandboxId;
using oh::testing::startPodmanOrSkip;

constexpr std::string_view kSuffix = "runtime.test";

std::string lower(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

std::string text(const json::value* value) {
  const json::string* s = value == nullptr ? nullptr : value->if_string();
  return s == nullptr ? std::string() : std::string(*s);
}

class AgentProxyPodmanTest : public ::testing::Test {
protected:
  void SetUp() override {
    startPodmanOrSkip(podman_);
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    char pattern[] = "/tmp/oh-agent-proxy-it-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    const std::string run = lower(randomSandboxId());
    alice_ = userKeyForSubject("proxy-alice-" + run);
    bob_ = userKeyForSubject("proxy-bob-" + run);
    managed_ = "agent-proxy-it-" + run;
    DockerBackendOptions options;
    options.socket = podman_->socket();
    options.workspace_root = (root_ / "workspaces").string();
    options.pull_timeout = std::chrono::seconds(60);
    options.request_timeout = std::chrono::seconds(120);  // a loaded machine
    auto store = openSandboxStore("sqlite://" + (root_ / "sandboxes.db").string());
    ASSERT_TRUE(store) << store.error().reason;
    SandboxServiceSettings settings;
    settings.allowed_images = {PodmanService::image()};
    settings.workspace_root = (root_ / "workspaces").string();
    settings.public_scheme = "http";
    settings.runtime_suffix = std::string(kSuffix);
    settings.limits = {.cpus = 0.5, .memory_bytes = 256ull << 20, .pids = 128};
    settings.seal_key = std::string(32, 's');
    settings.managed_label_value = managed_;
    settings.stop_grace = std::chrono::seconds(1);
    service_ = std::make_shared<SandboxService>(settings, *store, makeDockerBackend(options), clock_, random_);
    service_->start();
  }

  void TearDown() override {
    if (!podman_) {
      return;
    }
    api_server_.reset();
    if (service_) {
      service_->stop();
    }
    service_.reset();
    for (const char* label : {"org.openhands.managed", "org.openhands.test"}) {
      const std::string filter = "{\"label\":[\"" + std::string(label) + "=" + managed_ + "\"]}";
      const auto listed = podman_->api("GET", "/containers/json?all=true&filters=" + common::percentEncode(filter));
      if (listed.status == 200) {
        const json::value containers = json::parse(listed.body);
        for (const auto& container : containers.as_array()) {
          podman_->api("DELETE", "/containers/" + text(container.as_object().if_contains("Id")) + "?force=true");
        }
      }
    }
    for (const std::string& user : {alice_, bob_}) {
      podman_->api("DELETE", "/networks/oh-user-" + user);
    }
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  // A running sandbox of `owner` whose agent port answers /who with `page`.
  std::string startSandbox(const std::string& owner, const std::string& page) {
    const std::string id = randomSandboxId();
    StartRequest request;
    request.session_id = id;
    request.spec.image = PodmanService::image();
    request.spec.command = {"sh", "-c", "echo " + page + " > /workspace/who && exec httpd -f -p 60000 -h /workspace"};
    request.spec.working_dir = "/workspace";
    request.spec.run_as_user = 10001;
    request.spec.run_as_group = 10001;
    request.spec.fs_group = 10001;
    auto started = service_->startSandbox(owner, request);
    EXPECT_TRUE(started) << (started ? "" : started.error().message);
    if (!started) {
      return id;
    }
    EXPECT_TRUE(eventually(
        [&] {
          auto view = service_->get(owner, id);
          return view && view->status == "running";
        },
        std::chrono::seconds(120)));
    return id;
  }

  json::object inspect(const std::string& path) const {
    const auto answer = podman_->api("GET", path);
    EXPECT_EQ(answer.status, 200) << path << ": " << answer.body;
    return answer.status == 200 ? json::parse(answer.body).as_object() : json::object();
  }

  std::string addressOn(const std::string& container, const std::string& network) const {
    const json::object seen = inspect("/containers/" + container + "/json");
    const json::value* networks = seen.if_contains("NetworkSettings");
    networks = networks && networks->is_object() ? networks->as_object().if_contains("Networks") : nullptr;
    const json::value* on = networks && networks->is_object() ? networks->as_object().if_contains(network) : nullptr;
    return on && on->is_object() ? text(on->as_object().if_contains("IPAddress")) : std::string();
  }

  // The host's address on the user's network (where app servers reach the sandbox API).
  std::string gatewayOf(const std::string& network) const {
    const json::object seen = inspect("/networks/" + network);
    const json::value* ipam = seen.if_contains("IPAM");
    const json::value* config = ipam && ipam->is_object() ? ipam->as_object().if_contains("Config") : nullptr;
    if (config == nullptr || !config->is_array() || config->as_array().empty() || !config->as_array()[0].is_object()) {
      return {};
    }
    return text(config->as_array()[0].as_object().if_contains("Gateway"));
  }

  // Runs `script` in a container on `network` with http_proxy set; registers its address as
  // `user`'s app server as soon as it runs; waits for it to end and returns its output.
  std::string runCaller(const std::string& network, const std::string& proxy_url, const std::string& script,
                        const std::optional<std::string>& user) {
    const std::string name = "oh-agent-proxy-caller-" + lower(randomSandboxId()).substr(0, 12);
    const json::object body{{"Image", PodmanService::image()},
                            {"Cmd", json::array{"sh", "-c", script}},
                            {"Env", json::array{json::value("http_proxy=" + proxy_url)}},
                            // Not the service's managed label: its reconciler removes containers it does not know.
                            {"Labels", json::object{{"org.openhands.test", managed_}}},
                            {"HostConfig", json::object{{"NetworkMode", network}}}};
    const auto created = podman_->api("POST", "/containers/create?name=" + name, json::serialize(body));
    EXPECT_EQ(created.status, 201) << created.body;
    const auto started = podman_->api("POST", "/containers/" + name + "/start");
    EXPECT_EQ(started.status, 204) << started.body;
    const std::string ip = addressOn(name, network);
    EXPECT_FALSE(ip.empty());
    if (user) {
      const std::lock_guard lock(mutex_);
      app_servers_[ip] = *user;
    }
    EXPECT_TRUE(eventually(
        [&] {
          const json::object seen = inspect("/containers/" + name + "/json");
          const json::value* state = seen.if_contains("State");
          const json::value* running = state && state->is_object() ? state->as_object().if_contains("Running") : nullptr;
          return running != nullptr && running->is_bool() && !running->as_bool();
        },
        std::chrono::seconds(180)));
    return podman_->api("GET", "/containers/" + name + "/logs?stdout=true&stderr=true").body;
  }

  void startApiServer(const std::string& listen_address) {
    gateway::AgentProxyOptions proxy;
    proxy.sandboxes = service_;
    proxy.limits.runtime.host_suffixes = {std::string(kSuffix)};
    api_server_ = std::make_unique<gateway::SandboxApiServer>(
        gateway::SandboxApiServerOptions{
            .listen_address = listen_address,
            .access_log = false,
            .app_server_user = [this](std::string_view ip) -> std::optional<std::string> {
              const std::lock_guard lock(mutex_);
              const auto it = app_servers_.find(std::string(ip));
              return it == app_servers_.end() ? std::nullopt : std::optional(it->second);
            },
            .agent_proxy = std::move(proxy)},
        [](const ApiRequest&) {
          ApiResponse response;
          response.body = "{}";
          return response;
        },
        metrics_);
    ASSERT_EQ(api_server_->start(), std::nullopt);
  }

  std::unique_ptr<PodmanService> podman_;
  fs::path root_;
  std::string alice_, bob_, managed_;
  common::SystemWallClock clock_;
  common::SystemRandomSource random_;
  std::shared_ptr<SandboxService> service_;
  gateway::SandboxApiMetrics metrics_;
  std::unique_ptr<gateway::SandboxApiServer> api_server_;
  std::mutex mutex_;
  std::map<std::string, std::string> app_servers_;  // address -> user key
};

TEST_F(AgentProxyPodmanTest, AnAppServerReachesItsOwnUsersAgentServerOnlyThroughTheProxy) {
  const std::string alice_sandbox = startSandbox(alice_, "agent-of-alice");
  const std::string bob_sandbox = startSandbox(bob_, "agent-of-bob");
  ASSERT_FALSE(HasFailure());
  const std::string network = "oh-user-" + alice_;
  const std::string gateway = gatewayOf(network);
  ASSERT_FALSE(gateway.empty());
  startApiServer(gateway);
  const std::string proxy_url = "http://" + gateway + ":" + std::to_string(api_server_->address().port);
  const std::string alice_url = "http://60000-" + lower(alice_sandbox) + "." + std::string(kSuffix) + "/who";
  const std::string bob_url = "http://60000-" + lower(bob_sandbox) + "." + std::string(kSuffix) + "/who";

  // Until the test has registered its address, the caller is no app server: it retries.
  const std::string script = "for i in $(seq 1 60); do wget -q -O - " + alice_url +
                             " && break; sleep 1; done; echo '--- bob'; wget -q -O - " + bob_url + " 2>&1; echo '--- end'";
  const std::string output = runCaller(network, proxy_url, script, alice_);
  const std::size_t bob_part = output.find("--- bob");
  ASSERT_NE(bob_part, std::string::npos) << output;
  EXPECT_NE(output.substr(0, bob_part).find("agent-of-alice"), std::string::npos) << output;
  EXPECT_NE(output.substr(bob_part).find("403"), std::string::npos) << output;
  EXPECT_EQ(output.find("agent-of-bob"), std::string::npos) << output;
  const std::string metrics = metrics_.renderPrometheus();
  EXPECT_NE(metrics.find(R"(oh_sandbox_api_requests_total{endpoint="agent_proxy",code="200"} )"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(oh_sandbox_api_requests_total{endpoint="agent_proxy",code="403"} 1)"), std::string::npos)
      << metrics;

  // A container that is no app server (a sandbox shares the network) is closed on connect.
  const std::uint64_t refused_before = metrics_.refusedPeers();
  const std::string stranger = runCaller(network, proxy_url, "wget -q -O - " + alice_url + " 2>&1; echo '--- end'", std::nullopt);
  EXPECT_EQ(stranger.find("agent-of-alice"), std::string::npos) << stranger;
  EXPECT_GT(metrics_.refusedPeers(), refused_before);
}

}  // namespace
}  // namespace oh::control
