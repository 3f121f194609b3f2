#include "sandbox_contract_fixture.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include <boost/json/parse.hpp>

namespace oh::testing {

namespace json = boost::json;

namespace {

// 32 random bytes as 64 hex digits (a key file form auth/key_file.h reads).
std::string randomHexKey() {
  std::random_device device;
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 64; ++i) {
    out += kHex[device() % 16];
  }
  return out + "\n";
}

// The port after "sandbox-api ADDR:" in the ready line.
std::uint16_t sandboxApiPort(const GatewayProcess& gateway) {
  static constexpr std::string_view kMarker = "sandbox-api ";
  for (const std::string& line : gateway.stdoutLines()) {
    const auto at = line.find(kMarker);
    if (at == std::string::npos) continue;
    const std::string address = line.substr(at + kMarker.size());
    return static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
  }
  return 0;
}

}  // namespace

std::string storeName(const ::testing::TestParamInfo<StoreKind>& info) {
  return info.param == StoreKind::sqlite ? "SQLite" : "PostgreSQL";
}

void SandboxContractTest::SetUp() {
  if (auto why = PodmanService::unavailable()) {
    GTEST_SKIP() << *why;
  }
  if (GatewayProcess::defaultBinary().empty()) {
    GTEST_SKIP() << "oh-gateway is not built";
  }
  std::string pattern = (std::filesystem::temp_directory_path() / "oh-sandbox-contract-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  dir_ = pattern;
  // Tests share Podman's storage: each gateway marks its containers with its own value, or one
  // would remove another's as orphans at its start.
  managed_label_ = "contract-" + randomConversationId().substr(0, 12);
  std::filesystem::create_directories(dir_ / "workspaces");
  if (GetParam() == StoreKind::postgresql) {
    std::string error;
    postgres_ = PrivatePostgres::start(error);
    ASSERT_NE(postgres_, nullptr) << error;
    store_url_ = postgres_->createDatabase("sandboxes", error);
    ASSERT_FALSE(store_url_.empty()) << error;
  } else {
    store_url_ = "sqlite://" + (dir_ / "store" / "sandboxes.db").string();
  }
  for (const char* name : {"api.key", "seal.key"}) {
    const auto path = dir_ / name;
    FILE* file = std::fopen(path.c_str(), "w");
    ASSERT_NE(file, nullptr);
    const std::string key = randomHexKey();
    std::fwrite(key.data(), 1, key.size(), file);
    std::fclose(file);
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  podman_ = std::make_unique<PodmanService>();
  ASSERT_EQ(podman_->start(), std::nullopt);
  ASSERT_EQ(podman_->ensureImage(), std::nullopt);
  startGateway();
}

void SandboxContractTest::TearDown() {
  stopGateway();
  if (podman_ && podman_->running()) {
    // Every container and network the service made for this test's users.
    for (const SandboxUser& user : users_) {
      const auto listed = podman_->api("GET", "/containers/json?all=true&filters=" +
                                                  std::string("%7B%22label%22%3A%5B%22org.openhands.owner%3D") +
                                                  user.user_key + "%22%5D%7D");
      boost::system::error_code ec;
      const auto containers = json::parse(listed.body, ec);
      if (!ec && containers.is_array()) {
        for (const auto& container : containers.as_array()) {
          podman_->api("DELETE", "/containers/" + std::string(container.at("Id").as_string()) + "?force=true");
        }
      }
      podman_->api("DELETE", "/networks/oh-user-" + user.user_key);
    }
    podman_->stop();
  }
  postgres_.reset();
  if (!dir_.empty() && std::getenv("OH_KEEP_TEST_DIR") == nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

void SandboxContractTest::startGateway() {
  gateway_ = std::make_unique<GatewayProcess>(GatewayProcess::defaultBinary());
  const std::string toml =
      "mode = \"local\"\n"
      "[server]\nlisten_address = \"127.0.0.1\"\nlisten_port = 0\n"
      "[admin]\nlisten_port = 0\n"
      "[origin]\nenabled = false\n"
      "[auth]\nprovider = \"none\"\n"
      "[runtime]\ndocker_socket = \"" + podman_->socket() + "\"\n"
      "[sandbox]\nenabled = true\nlisten_address = \"127.0.0.1\"\nlisten_port = 0\n"
      "key_file = \"" + (dir_ / "api.key").string() + "\"\n"
      "seal_key_file = \"" + (dir_ / "seal.key").string() + "\"\n"
      "store_url = \"" + store_url_ + "\"\n"
      "allowed_images = [\"" + PodmanService::image() + "\"]\n"
      "workspace_root = \"" + workspaceRoot() + "\"\n"
      "public_scheme = \"http\"\nruntime_suffix = \"runtime.oh.test\"\n"
      "stop_grace_seconds = 2\nmanaged_label_value = \"" + managed_label_ + "\"\n"
      "[sandbox.limits]\ncpus = 0.5\nmemory_mb = 256\npids = 128\nmax_running_per_user = 3\nmax_sandboxes_per_user = 5\n";
  ASSERT_EQ(gateway_->start(toml), std::nullopt);
  api_port_ = sandboxApiPort(*gateway_);
  ASSERT_NE(api_port_, 0) << gateway_->stdoutText();
}

void SandboxContractTest::stopGateway() {
  if (gateway_) {
    gateway_->stop();
    gateway_.reset();
  }
}

SandboxUser SandboxContractTest::newUser() {
  SandboxUser user;
  user.subject = "user-" + randomConversationId();
  auto [status, output] = gateway_->runToCompletion(
      {"sandbox-key", user.subject, "--config", (gateway_->dir() / "config.toml").string()});
  EXPECT_TRUE(status.exited && status.code == 0) << output;
  for (std::size_t at = 0; at < output.size();) {
    const auto end = output.find('\n', at);
    const std::string line = output.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (line.rfind("user_key=", 0) == 0) user.user_key = line.substr(9);
    if (line.rfind("api_key=", 0) == 0) user.api_key = line.substr(8);
    at = end == std::string::npos ? output.size() : end + 1;
  }
  EXPECT_EQ(user.user_key.size(), 32u) << output;
  EXPECT_FALSE(user.api_key.empty()) << output;
  users_.push_back(user);
  return user;
}

SandboxApiReply SandboxContractTest::waitForStatus(const SandboxUser& user, const std::string& id,
                                                   const std::string& status) {
  SandboxApiReply reply;
  // The app server gives a start 120 s (sandbox_service.py:78-150); the machine may be loaded.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    reply = caller(user).get(id);
    if (reply.status == 200 && reply.json.is_object() && reply.json.as_object().contains("status") &&
        reply.json.at("status").is_string() && reply.json.at("status").as_string() == status) {
      return reply;
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  return reply;
}

std::vector<json::value> SandboxContractTest::containersOf(const std::string& sandbox_id) const {
  std::vector<json::value> out;
  const auto listed = podman_->api("GET", "/containers/json?all=true&filters=" +
                                              std::string("%7B%22label%22%3A%5B%22org.openhands.sandbox-id%3D") +
                                              sandbox_id + "%22%5D%7D");
  boost::system::error_code ec;
  const auto containers = json::parse(listed.body, ec);
  if (ec || !containers.is_array()) {
    return out;
  }
  for (const auto& container : containers.as_array()) {
    const auto inspected = podman_->api("GET", "/containers/" + std::string(container.at("Id").as_string()) + "/json");
    auto value = json::parse(inspected.body, ec);
    if (!ec) {
      out.push_back(std::move(value));
    }
  }
  return out;
}

std::string SandboxContractTest::addressOf(const json::value& inspected) {
  const auto& networks = inspected.at("NetworkSettings").at("Networks").as_object();
  for (const auto& [name, network] : networks) {
    const auto& ip = network.at("IPAddress").as_string();
    if (!ip.empty()) {
      return std::string(ip);
    }
  }
  return {};
}

}  // namespace oh::testing
