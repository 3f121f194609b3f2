// The app-server pool over the Docker backend against a private Podman API service (the runtime
// tests' fixture and test image; until the app-server stand-in image lands, ws-echo stands in
// for the app server: it answers GET /health with 200 on port 3000). Each test its own managed
// label, network prefix and data root, so tests sharing Podman's storage never see each other's.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "appserver/app_server_pool.h"
#include "appserver/app_server_workload.h"
#include "backend/docker_backend.h"
#include "podman_test_setup.h"
#include "sandbox/user_key.h"

namespace oh::control {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using oh::testing::eventually;
using oh::testing::PodmanService;
using oh::testing::startPodmanOrSkip;

class MovableClock final : public common::WallClock {
public:
  common::UnixSeconds now() const override { return common::UnixSeconds(std::chrono::seconds(seconds_.load())); }
  void advance(std::chrono::seconds by) { seconds_ += by.count(); }

private:
  std::atomic<std::int64_t> seconds_{1'800'000'000};
};

std::string textOf(const json::value* value) {
  const json::string* s = value == nullptr ? nullptr : value->if_string();
  return s == nullptr ? "" : std::string(*s);
}

class AppServerPoolPodmanTest : public ::testing::Test {
protected:
  void SetUp() override {
    startPodmanOrSkip(podman_);
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    char pattern[] = "/tmp/oh-appserver-it-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    suffix_ = oh::testing::randomConversationId().substr(0, 8);
    alice_ = userKeyForSubject("alice-" + suffix_);
    bob_ = userKeyForSubject("bob-" + suffix_);
    settings_.image = PodmanService::image();
    settings_.openhands_version = "1.7.0";
    // Each start appends a line to the persistence directory, then serves /health on 3000.
    settings_.command = {"sh", "-c",
                         "echo \"$RUNTIME $OH_PERSISTENCE_DIR\" >> /workspace/starts.log; " +
                             PodmanService::webSocketEchoCommand(3000)};
    settings_.health_path = "/health";
    settings_.data_root = root_.string();
    settings_.network_prefix = "oh-it" + suffix_ + "-";
    settings_.managed_label_value = "appserver-it-" + suffix_;
    settings_.sandbox_api_url = "http://10.89.0.1:8090";
    settings_.web_url = "https://openhands.example.com";
    settings_.secret_key = std::string(32, 'j');
    settings_.sandbox_key_secret = std::string(32, 's');
    settings_.limits = {.cpus = 0.5, .memory_bytes = 128ull << 20, .pids = 128};
    settings_.start_timeout = std::chrono::seconds(240);
    settings_.health_poll_interval = std::chrono::milliseconds(100);
    settings_.housekeeping_interval = std::chrono::hours(1);  // the tests call housekeep()
    backend_ = makeDockerBackend({.socket = podman_->socket(),
                                  .workspace_root = root_.string(),
                                  .network_prefix = settings_.network_prefix,
                                  .request_timeout = std::chrono::seconds(120),  // a loaded machine
                                  .pull_timeout = std::chrono::seconds(60)});
    for (const std::string& user : {alice_, bob_}) {
      podman_->adopt(appServerName(user));
    }
  }

  void TearDown() override {
    pool_.reset();
    if (!podman_) {
      return;
    }
    podman_->removeAll();
    for (const std::string& user : {alice_, bob_}) {
      podman_->api("DELETE", "/networks/" + settings_.network_prefix + user);
    }
    podman_.reset();
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  std::unique_ptr<AppServerPool> newPool() {
    auto pool = std::make_unique<AppServerPool>(settings_, backend_, nullptr, makeHttpHealthProbe(), clock_);
    pool->start();
    return pool;
  }

  bool becomesReady(const std::string& user) {
    return eventually([&] { return pool_->ensure(user).phase == AppServerPhase::ready; }, std::chrono::minutes(4));
  }

  json::object inspectJson(const std::string& name) const {
    const auto answer = podman_->api("GET", "/containers/" + name + "/json");
    EXPECT_EQ(answer.status, 200) << answer.body;
    return answer.status == 200 ? json::parse(answer.body).as_object() : json::object{};
  }

  std::size_t startsLogged(const std::string& user) const {
    std::ifstream log(root_ / user / "starts.log");
    std::size_t lines = 0;
    for (std::string line; std::getline(log, line);) {
      EXPECT_EQ(line, "remote /workspace");
      ++lines;
    }
    return lines;
  }

  std::unique_ptr<PodmanService> podman_;
  fs::path root_;
  std::string suffix_, alice_, bob_;
  AppServerPoolSettings settings_;
  WorkloadBackendPtr backend_;
  MovableClock clock_;
  std::unique_ptr<AppServerPool> pool_;
};

TEST_F(AppServerPoolPodmanTest, TwoUsersGetTwoContainersOnTheirOwnNetworksWithTheirOwnMounts) {
  pool_ = newPool();
  ASSERT_TRUE(becomesReady(alice_));
  ASSERT_TRUE(becomesReady(bob_));
  std::set<std::string> addresses;
  for (const std::string& user : {alice_, bob_}) {
    const AppServerView view = pool_->peek(user);
    addresses.insert(view.address);
    EXPECT_TRUE(pool_->isAppServerAddress(view.address));
    EXPECT_EQ(oh::testing::tcpGet(view.address, view.port, "/health").status, 200);

    const json::object container = inspectJson(appServerName(user));
    const json::object& host = container.at("HostConfig").as_object();
    EXPECT_FALSE(host.at("Privileged").as_bool());
    const json::object& networks = container.at("NetworkSettings").as_object().at("Networks").as_object();
    ASSERT_EQ(networks.size(), 1u);
    EXPECT_TRUE(networks.contains(settings_.network_prefix + user));
    // The server believes X-Forwarded-For from its network's gateway alone: where the host
    // (and oh-gateway on the host's network) reaches it from.
    const std::string gateway(networks.begin()->value().as_object().at("Gateway").as_string());
    EXPECT_FALSE(gateway.empty());
    bool forwarded_allow_ips_is_gateway = false;
    for (const json::value& variable : container.at("Config").as_object().at("Env").as_array()) {
      forwarded_allow_ips_is_gateway |= variable.as_string() == "FORWARDED_ALLOW_IPS=" + gateway;
    }
    EXPECT_TRUE(forwarded_allow_ips_is_gateway) << gateway;
    const json::array& mounts = container.at("Mounts").as_array();
    ASSERT_EQ(mounts.size(), 1u);  // the user's directory; no Docker socket, nothing else
    EXPECT_EQ(textOf(mounts[0].as_object().if_contains("Source")), (root_ / user).string());
    EXPECT_EQ(textOf(mounts[0].as_object().if_contains("Destination")), "/workspace");
    const json::object& labels = container.at("Config").as_object().at("Labels").as_object();
    EXPECT_EQ(textOf(labels.if_contains("org.openhands.owner")), user);
    EXPECT_EQ(textOf(labels.if_contains("org.openhands.version")), "1.7.0");
    EXPECT_EQ(startsLogged(user), 1u);
  }
  EXPECT_EQ(addresses.size(), 2u);
  EXPECT_EQ(pool_->metrics().servers.ready, 2u);
  pool_->housekeep();  // samples memory through the stats endpoint
  for (const AppServerListing& listing : pool_->list()) {
    ASSERT_TRUE(listing.memory_bytes.has_value()) << listing.user_key;
    EXPECT_GT(*listing.memory_bytes, 0u);
    EXPECT_LE(*listing.memory_bytes, settings_.limits.memory_bytes);
  }
}

TEST_F(AppServerPoolPodmanTest, ARestartedGatewayAdoptsTheRunningServer) {
  pool_ = newPool();
  ASSERT_TRUE(becomesReady(alice_));
  const std::string id = textOf(inspectJson(appServerName(alice_)).if_contains("Id"));
  const std::string address = pool_->peek(alice_).address;
  pool_.reset();  // the gateway goes; its containers keep running

  pool_ = newPool();
  EXPECT_EQ(pool_->metrics().adoptions, 1u);
  ASSERT_TRUE(eventually([&] { return pool_->peek(alice_).phase == AppServerPhase::ready; },  // no ensure
                         std::chrono::minutes(4)));
  EXPECT_EQ(textOf(inspectJson(appServerName(alice_)).if_contains("Id")), id);
  EXPECT_EQ(pool_->peek(alice_).address, address);
  EXPECT_EQ(pool_->metrics().starts, 0u);
  EXPECT_EQ(startsLogged(alice_), 1u);
}

TEST_F(AppServerPoolPodmanTest, AnIdleServerIsStoppedAndTheNextVisitStartsItWithTheSameData) {
  pool_ = newPool();
  ASSERT_TRUE(becomesReady(alice_));
  clock_.advance(settings_.idle_timeout);
  pool_->housekeep();
  EXPECT_EQ(pool_->peek(alice_).phase, AppServerPhase::stopped);
  ASSERT_TRUE(eventually([&] {
    const json::object container = inspectJson(appServerName(alice_));
    return !container.empty() && !container.at("State").as_object().at("Running").as_bool();
  }));
  EXPECT_TRUE(fs::exists(root_ / alice_ / "starts.log"));

  ASSERT_TRUE(becomesReady(alice_));
  EXPECT_EQ(startsLogged(alice_), 2u);  // the same directory, mounted again
  EXPECT_EQ(pool_->metrics().culls_idle, 1u);
}

}  // namespace
}  // namespace oh::control
