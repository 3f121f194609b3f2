// The app-server stand-in's image against real peers (TESTING.md): Podman, the real oh-gateway
// serving the remote sandbox API ([sandbox], the contract tests' bed), sandboxes running the
// agent-server stand-in, and the stand-in's database in SQLite or PostgreSQL (the test's
// parameter, which also picks the gateway's store). The app-server container uses the host's
// network so it reaches the sandbox API on loopback; the sandboxes' runtime host names resolve
// nowhere here, so its HTTP_PROXY is a test proxy that relays to the sandbox containers.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <fstream>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "forward_proxy.h"
#include "sandbox_contract_fixture.h"
#include "standin_image.h"

namespace oh::testing {
namespace {

namespace json = boost::json;

const std::string& kImage = standinImage();

std::uint16_t freeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

json::value parseOrNull(const std::string& text) {
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  return ec ? json::value() : value;
}

std::string str(const json::value& value, std::string_view name) {
  if (!value.is_object()) return {};
  const auto* field = value.as_object().if_contains(name);
  return field != nullptr && field->is_string() ? std::string(field->as_string()) : std::string();
}

class AppServerStandinTest : public SandboxContractTest {
protected:
  void SetUp() override {
    SandboxContractTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_EQ(ensureStandinImage(*podman_), std::nullopt);
    proxy_ = std::make_unique<ForwardProxy>([this](const std::string& host, std::uint16_t) { return resolve(host); });
    ASSERT_NE(proxy_->port(), 0);
    data_dir_ = dir_ / "appserver-data";
    std::filesystem::create_directories(data_dir_);
    if (GetParam() == StoreKind::postgresql) {
      std::string error;
      ASSERT_FALSE(postgres_->createDatabase("appserver", error).empty()) << error;
    }
  }

  void TearDown() override {
    if (!app_container_.empty() && podman_) {
      podman_->api("DELETE", "/containers/" + app_container_ + "?force=true");
    }
    proxy_.reset();
    SandboxContractTest::TearDown();
  }

  // 60000-{id}.runtime.oh.test → the sandbox container's address on its user network.
  std::optional<std::pair<std::string, std::uint16_t>> resolve(const std::string& host) {
    constexpr std::string_view kSuffix = ".runtime.oh.test";
    constexpr std::string_view kAgent = "60000-";
    if (host.size() <= kSuffix.size() || host.compare(host.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0 ||
        host.rfind(kAgent, 0) != 0) {
      return std::nullopt;
    }
    const std::string name = "oh-sandbox-" + host.substr(kAgent.size(), host.size() - kSuffix.size() - kAgent.size());
    const auto inspected = parseOrNull(podman_->api("GET", "/containers/" + name + "/json").body);
    if (!inspected.is_object() || !inspected.as_object().contains("NetworkSettings")) return std::nullopt;
    const std::string ip = addressOf(inspected);
    if (ip.empty()) return std::nullopt;
    return std::make_pair(ip, std::uint16_t{60000});
  }

  std::vector<std::string> environmentFor(const SandboxUser& user) const {
    const std::string& image = PodmanService::image();
    std::vector<std::string> env{
        "RUNTIME=remote",
        "SANDBOX_API_KEY=" + user.api_key,
        "SANDBOX_REMOTE_RUNTIME_API_URL=http://127.0.0.1:" + std::to_string(api_port_),
        "OH_PERSISTENCE_DIR=/data",
        "AGENT_SERVER_IMAGE_REPOSITORY=" + image.substr(0, image.rfind(':')),
        "AGENT_SERVER_IMAGE_TAG=" + image.substr(image.rfind(':') + 1),
        "OH_WEB_URL=http://127.0.0.1:" + std::to_string(app_port_),
        "HTTP_PROXY=http://127.0.0.1:" + std::to_string(proxy_->port()),
        "NO_PROXY=127.0.0.1,localhost",
        "LLM_MODEL=standin-test-model",
    };
    if (GetParam() == StoreKind::postgresql) {
      env.push_back("DB_HOST=" + postgres_->socketDirectory());
      env.push_back("DB_NAME=appserver");
    }
    return env;
  }

  // Creates and starts the app-server container; its id, or "" (the test fails).
  std::string runAppServer(const std::vector<std::string>& env) {
    app_port_ = freeLoopbackPort();
    json::array binds{(data_dir_.string() + ":/data")};
    if (postgres_) binds.push_back(json::value(postgres_->socketDirectory() + ":" + postgres_->socketDirectory()));
    json::array environment;
    for (const auto& entry : env) environment.push_back(json::value(entry));
    // OH_WEB_URL names the port chosen above.
    for (auto& entry : environment) {
      if (entry.as_string().starts_with("OH_WEB_URL=")) entry = "OH_WEB_URL=http://127.0.0.1:" + std::to_string(app_port_);
    }
    const json::object body{
        {"Image", kImage},
        {"Cmd", json::array{"uvicorn", "openhands.server.listen:app", "--host", "127.0.0.1", "--port",
                            std::to_string(app_port_)}},
        {"Env", std::move(environment)},
        {"Labels", json::object{{"org.openhands.test", managed_label_}}},
        {"HostConfig", json::object{{"NetworkMode", "host"}, {"Binds", std::move(binds)}}}};
    const std::string name = "oh-appserver-standin-" + randomConversationId().substr(0, 12);
    const auto created = podman_->api("POST", "/containers/create?name=" + name, json::serialize(body));
    EXPECT_EQ(created.status, 201) << created.body;
    if (created.status != 201) return {};
    app_container_ = name;
    const auto started = podman_->api("POST", "/containers/" + name + "/start");
    EXPECT_EQ(started.status, 204) << started.body;
    return name;
  }

  bool waitAlive() {
    return eventually([&] { return tcpGet("127.0.0.1", app_port_, "/alive").status == 200; }, std::chrono::seconds(60));
  }

  std::string logsOf(const std::string& container) const {
    return podman_->api("GET", "/containers/" + container + "/logs?stdout=true&stderr=true").body;
  }

  void removeAppServer() {
    podman_->api("DELETE", "/containers/" + app_container_ + "?force=true");
    app_container_.clear();
  }

  ApiAnswer app(std::string_view method, const std::string& target, const std::string& body = {},
                const std::string& extra_headers = {}) const {
    std::string request = std::string(method) + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                          extra_headers;
    if (!body.empty() || method == "POST") {
      request += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    }
    return tcpRequest("127.0.0.1", app_port_, request + "\r\n" + body, std::chrono::seconds(30));
  }

  // GET /api/v1/app-conversations?ids= until predicate holds, or a deadline generous enough for a
  // loaded machine (the gateway retries a Docker call that timed out with backoff).
  json::value waitForConversation(const std::string& id, const std::function<bool(const json::value&)>& predicate) {
    json::value last;
    eventually(
        [&] {
          const auto answer = app("GET", "/api/v1/app-conversations?ids=" + id);
          last = parseOrNull(answer.body);
          return answer.status == 200 && last.is_array() && !last.as_array().empty() && predicate(last.as_array()[0]);
        },
        std::chrono::seconds(300));
    return last.is_array() && !last.as_array().empty() ? last.as_array()[0] : json::value();
  }

  std::unique_ptr<ForwardProxy> proxy_;
  std::filesystem::path data_dir_;
  std::string app_container_;
  std::uint16_t app_port_ = 0;
};

// A conversation started through the stand-in runs in a sandbox the sandbox API created for
// this user's key; it lists with that sandbox; after every container is removed (an instance
// replacement) a new app-server container on the same persistence directory and database has
// the settings and the conversation, and a resume brings the sandbox back with it.
TEST_P(AppServerStandinTest, ConversationSandboxResumeAndSettingsAcrossContainers) {
  const SandboxUser alice = newUser();
  ASSERT_FALSE(runAppServer(environmentFor(alice)).empty());
  ASSERT_TRUE(waitAlive()) << logsOf(app_container_);

  EXPECT_EQ(app("GET", "/api/v1/settings").status, 404);
  ASSERT_EQ(app("POST", "/api/v1/settings", R"({"llm_model":"model-from-settings"})").status, 200);

  const auto started = app("POST", "/api/v1/app-conversations", "{}");
  ASSERT_EQ(started.status, 200) << started.body;
  const std::string task_id = str(parseOrNull(started.body), "id");
  ASSERT_FALSE(task_id.empty()) << started.body;
  json::value task;
  ASSERT_TRUE(eventually(
      [&] {
        const auto polled = app("GET", "/api/v1/app-conversations/start-tasks?ids=" + task_id);
        const auto tasks = parseOrNull(polled.body);
        task = tasks.is_array() && !tasks.as_array().empty() ? tasks.as_array()[0] : json::value();
        return str(task, "status") == "READY" || str(task, "status") == "ERROR";
      },
      std::chrono::seconds(180)))
      << json::serialize(task) << logsOf(app_container_);
  ASSERT_EQ(str(task, "status"), "READY") << json::serialize(task) << logsOf(app_container_);
  const std::string conversation = str(task, "app_conversation_id");
  const std::string sandbox = str(task, "sandbox_id");
  ASSERT_FALSE(conversation.empty());
  ASSERT_FALSE(sandbox.empty());
  EXPECT_GT(proxy_->relayed(), 0);  // /alive and POST /api/conversations went to the agent server

  // The sandbox API created it for Alice's key, with the agent env the app server forwards.
  EXPECT_EQ(str(caller(alice).get(sandbox).json, "status"), "running");
  const auto containers = containersOf(sandbox);
  ASSERT_EQ(containers.size(), 1u);
  std::vector<std::string> env;
  for (const auto& entry : containers.front().at("Config").at("Env").as_array()) env.emplace_back(entry.as_string());
  for (const std::string& expected : {std::string("LLM_MODEL=standin-test-model"), std::string("WORKER_1=12000"),
                                      "OH_WEBHOOKS_0_BASE_URL=http://127.0.0.1:" + std::to_string(app_port_) + "/api/v1/webhooks",
                                      std::string("OH_CONVERSATIONS_PATH=/workspace/conversations")}) {
    EXPECT_NE(std::find(env.begin(), env.end(), expected), env.end()) << expected;
  }

  std::string lower = sandbox;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string hex = conversation;
  std::erase(hex, '-');
  const json::value listed = waitForConversation(conversation, [](const json::value& c) { return str(c, "execution_status") == "idle"; });
  EXPECT_EQ(str(listed, "sandbox_id"), sandbox);
  EXPECT_EQ(str(listed, "sandbox_status"), "RUNNING");
  EXPECT_EQ(str(listed, "llm_model"), "model-from-settings");
  EXPECT_EQ(str(listed, "conversation_url"), "http://60000-" + lower + ".runtime.oh.test/api/conversations/" + hex);
  const std::string session_key = str(listed, "session_api_key");
  EXPECT_FALSE(session_key.empty());

  const auto searched = parseOrNull(app("GET", "/api/v1/app-conversations/search").body);
  ASSERT_TRUE(searched.is_object()) << json::serialize(searched);
  ASSERT_EQ(searched.at("items").as_array().size(), 1u);
  EXPECT_EQ(str(searched.at("items").as_array()[0], "id"), conversation);
  const auto sandboxes = parseOrNull(app("GET", "/api/v1/sandboxes?id=" + sandbox + "&id=unknown").body);
  ASSERT_TRUE(sandboxes.is_array() && sandboxes.as_array().size() == 2) << json::serialize(sandboxes);
  EXPECT_EQ(str(sandboxes.as_array()[0], "status"), "RUNNING");
  EXPECT_EQ(sandboxes.as_array()[0].at("exposed_urls").as_array().size(), 4u);
  EXPECT_TRUE(sandboxes.as_array()[1].is_null());
  EXPECT_NE(app("GET", "/").body.find(conversation), std::string::npos);

  // The agent server's webhook key is checked against the hash stored from /start.
  const std::string report = R"({"id":")" + conversation + R"(","agent":{"llm":{"model":"model-from-settings"}}})";
  EXPECT_EQ(app("POST", "/api/v1/webhooks/conversations", report, "X-Session-API-Key: wrong\r\n").status, 401);
  EXPECT_EQ(app("POST", "/api/v1/webhooks/conversations", report, "X-Session-API-Key: " + session_key + "\r\n").status, 200);

  // Instance replacement: every container gone, the gateway restarted (a new sandbox API port).
  stopGateway();
  for (const auto& container : containersOf(sandbox)) {
    podman_->api("DELETE", "/containers/" + std::string(container.at("Id").as_string()) + "?force=true");
  }
  removeAppServer();
  startGateway();
  ASSERT_FALSE(runAppServer(environmentFor(alice)).empty());
  ASSERT_TRUE(waitAlive()) << logsOf(app_container_);

  const auto settings = parseOrNull(app("GET", "/api/v1/settings").body);
  EXPECT_EQ(str(settings, "llm_model"), "model-from-settings") << json::serialize(settings);
  const json::value paused = waitForConversation(conversation, [](const json::value& c) { return str(c, "sandbox_status") == "PAUSED"; });
  ASSERT_EQ(str(paused, "sandbox_status"), "PAUSED") << json::serialize(paused);
  EXPECT_EQ(str(paused, "sandbox_id"), sandbox);

  const auto resumed = app("POST", "/api/v1/sandboxes/" + sandbox + "/resume");
  ASSERT_EQ(resumed.status, 200) << resumed.body << logsOf(app_container_);
  EXPECT_EQ(resumed.body, R"({"success":true})");
  const json::value back = waitForConversation(conversation, [](const json::value& c) {
    return str(c, "sandbox_status") == "RUNNING" && str(c, "execution_status") == "idle";
  });
  EXPECT_EQ(str(back, "sandbox_status"), "RUNNING") << json::serialize(back) << "\n" << logsOf(app_container_) << "\n"
                                                   << gateway_->stdoutText() << gateway_->stderrText();
  EXPECT_EQ(str(back, "execution_status"), "idle") << json::serialize(back);  // the agent server found it in /workspace
  EXPECT_EQ(containersOf(sandbox).size(), 1u);
  EXPECT_EQ(app("POST", "/api/v1/sandboxes/unknown/resume").status, 404);
}

// As the real one raises at start-up (config.py:334-337), the image refuses to start without
// its sandbox API key, saying which variable is missing.
TEST_P(AppServerStandinTest, RefusesToStartWithoutItsSandboxApiKey) {
  const SandboxUser alice = newUser();
  std::vector<std::string> env = environmentFor(alice);
  std::erase_if(env, [](const std::string& entry) { return entry.starts_with("SANDBOX_API_KEY="); });
  const std::string name = runAppServer(env);
  ASSERT_FALSE(name.empty());
  const auto waited = podman_->api("POST", "/containers/" + name + "/wait");
  EXPECT_EQ(parseOrNull(waited.body).at("StatusCode"), 1) << waited.body;
  EXPECT_NE(logsOf(name).find("SANDBOX_API_KEY"), std::string::npos) << logsOf(name);
}

INSTANTIATE_TEST_SUITE_P(Stores, AppServerStandinTest, ::testing::Values(StoreKind::sqlite, StoreKind::postgresql),
                         storeName);

}  // namespace
}  // namespace oh::testing
