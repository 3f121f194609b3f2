// The pool over in-memory fakes: single flight, phases, failure and retry, idle culling with
// open connections, the least recently used idle server at capacity, adoption after a gateway
// restart, a new version at the next start, operators.

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "appserver/app_server_workload.h"
#include "appserver/user_secrets.h"
#include "pool_harness.h"
#include "sandbox/api_keys.h"

namespace oh::control::testing {
namespace {

using Phase = AppServerPhase;

class AppServerPoolTest : public ::testing::Test {
protected:
  void SetUp() override { makePool(testSettings(data_.path())); }

  void makePool(AppServerPoolSettings settings, bool with_databases = false) {
    pool_.reset();
    settings_ = std::move(settings);
    pool_ = std::make_unique<AppServerPool>(settings_, backend_, with_databases ? databases_ : nullptr, probe_, clock_);
    pool_->start();
  }

  bool becomes(const std::string& user, Phase phase) {
    return eventually([&] { return pool_->peek(user).phase == phase; });
  }

  std::string environmentOf(const std::string& user, const std::string& name) {
    auto spec = backend_->specOf(appServerName(user));
    if (!spec) {
      return "<no container>";
    }
    for (const auto& [key, value] : spec->environment) {
      if (key == name) {
        return value;
      }
    }
    return "<unset>";
  }

  // A container as another pool of this version (or another) would have left it.
  WorkloadSpec specAsCreatedBy(const AppServerPoolSettings& settings, const std::string& user) {
    AppServerCredentials credentials;
    credentials.sandbox_api_key = SandboxApiKeys::fromSecret(settings.sandbox_key_secret)->keyFor(user);
    credentials.jwt_secret = jwtSecretFor(settings.secret_key, user);
    credentials.gateway_address = backend_->gatewayOf(userNetworkName(settings, user));
    return appServerSpec(settings, user, credentials);
  }

  TemporaryDirectory data_;
  AppServerPoolSettings settings_;
  std::shared_ptr<FakeWorkloadBackend> backend_ = std::make_shared<FakeWorkloadBackend>();
  std::shared_ptr<AnsweringProbe> probe_ = std::make_shared<AnsweringProbe>();
  std::shared_ptr<MemoryDatabases> databases_ = std::make_shared<MemoryDatabases>();
  MovableClock clock_;
  std::unique_ptr<AppServerPool> pool_;
};

TEST_F(AppServerPoolTest, ConcurrentFirstRequestsStartOneServer) {
  backend_->holdCreates(true);
  std::vector<std::thread> requests;
  std::vector<AppServerView> views(16);
  for (std::size_t i = 0; i < views.size(); ++i) {
    requests.emplace_back([&, i] { views[i] = pool_->ensure(kUserA); });
  }
  for (std::thread& request : requests) {
    request.join();
  }
  for (const AppServerView& view : views) {
    EXPECT_NE(view.phase, Phase::ready);  // none answered before the start ran
    EXPECT_NE(view.phase, Phase::failed);
  }
  ASSERT_TRUE(eventually([&] { return backend_->createsWaiting() == 1; }));
  backend_->holdCreates(false);
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
  EXPECT_EQ(backend_->creates(), 1);
  EXPECT_EQ(backend_->starts(), 1);
  EXPECT_EQ(pool_->metrics().starts, 1u);
  const AppServerView ready = pool_->ensure(kUserA);
  EXPECT_EQ(ready.phase, Phase::ready);
  EXPECT_FALSE(ready.address.empty());
  EXPECT_EQ(ready.port, 3000);
  EXPECT_EQ(probe_->last_address, ready.address);
  EXPECT_EQ(probe_->last_path, "/alive");
}

TEST_F(AppServerPoolTest, StartGoesThroughItsPhasesAndRegistersTheAddressWhileWaiting) {
  backend_->holdPulls(true);
  backend_->holdCreates(true);
  probe_->answer = false;
  EXPECT_EQ(pool_->ensure(kUserA).phase, Phase::pulling);
  ASSERT_TRUE(eventually([&] { return backend_->pullsWaiting() == 1; }));
  EXPECT_EQ(pool_->peek(kUserA).phase, Phase::pulling);
  EXPECT_EQ(pool_->peek(kUserA).detail, "pulling the OpenHands image");
  backend_->holdPulls(false);
  ASSERT_TRUE(becomes(kUserA, Phase::creating));
  EXPECT_EQ(backend_->pulled(), std::vector<std::string>{settings_.image});
  EXPECT_EQ(pool_->peek(kUserA).address, "");  // no address before it runs
  backend_->holdCreates(false);
  ASSERT_TRUE(becomes(kUserA, Phase::waiting));
  const std::string address = pool_->list().front().address;
  ASSERT_FALSE(address.empty());
  EXPECT_TRUE(pool_->isAppServerAddress(address));   // it may call the sandbox API while starting
  EXPECT_EQ(pool_->peek(kUserA).address, "");        // but nobody is routed to it yet
  EXPECT_FALSE(pool_->isAppServerAddress("10.88.0.250"));
  EXPECT_FALSE(pool_->isAppServerAddress(""));
  EXPECT_EQ(pool_->appServerUserAt(address), std::optional<std::string>(kUserA));
  EXPECT_EQ(pool_->appServerUserAt("10.88.0.250"), std::nullopt);
  EXPECT_EQ(pool_->appServerUserAt(""), std::nullopt);
  probe_->answer = true;
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
  EXPECT_EQ(pool_->peek(kUserA).address, address);
  EXPECT_EQ(pool_->metrics().start_latency.count, 1u);
  EXPECT_EQ(pool_->metrics().servers.ready, 1u);
}

TEST_F(AppServerPoolTest, AFailedStartSaysWhyWithoutDetailAndIsRetriedAfterTheDelay) {
  backend_->refuseCreates("pull docker.openhands.dev/openhands/openhands:1.7.0: secret-looking detail");
  pool_->ensure(kUserA);
  ASSERT_TRUE(becomes(kUserA, Phase::failed));
  const AppServerView failed = pool_->peek(kUserA);
  EXPECT_EQ(failed.detail, "the server's container could not be created");
  EXPECT_EQ(failed.detail.find("secret"), std::string::npos);
  EXPECT_EQ(pool_->metrics().failures, 1u);

  backend_->refuseCreates("");
  clock_.advance(std::chrono::seconds(29));
  EXPECT_EQ(pool_->ensure(kUserA).phase, Phase::failed);  // within the delay: not retried
  EXPECT_EQ(pool_->metrics().starts, 1u);
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(pool_->ensure(kUserA).phase, Phase::pulling);
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
  EXPECT_EQ(pool_->metrics().starts, 2u);
}

TEST_F(AppServerPoolTest, AnImageThatCannotBePulledFailsTheStartBeforeAnythingIsCreated) {
  backend_->refusePulls("pull docker.openhands.dev/openhands/openhands:1.7.0: manifest unknown");
  pool_->ensure(kUserA);
  ASSERT_TRUE(becomes(kUserA, Phase::failed));
  EXPECT_EQ(pool_->peek(kUserA).detail, "the OpenHands image could not be pulled");
  EXPECT_EQ(backend_->creates(), 0);
  EXPECT_TRUE(backend_->networks().empty());
}

TEST_F(AppServerPoolTest, AServerThatNeverAnswersFailsAtTheTimeoutAndIsStopped) {
  probe_->answer = false;
  pool_->ensure(kUserA);
  ASSERT_TRUE(becomes(kUserA, Phase::waiting));
  const int calls = probe_->calls;
  ASSERT_TRUE(eventually([&] { return probe_->calls > calls; }));  // still polling
  clock_.advance(std::chrono::seconds(120));
  ASSERT_TRUE(becomes(kUserA, Phase::failed));
  EXPECT_EQ(pool_->peek(kUserA).detail, "the server did not become healthy in time");
  EXPECT_EQ(backend_->stateOf(appServerName(kUserA)), WorkloadState::exited);
  EXPECT_TRUE(pool_->list().front().address.empty());
}

TEST_F(AppServerPoolTest, IdleServersAreStoppedUnlessAConnectionIsOpenAndComeBackWithTheirData) {
  pool_->ensure(kUserA);
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
  const std::string address = pool_->peek(kUserA).address;
  clock_.advance(std::chrono::seconds(599));
  pool_->housekeep();
  EXPECT_EQ(pool_->peek(kUserA).phase, Phase::ready);

  pool_->connectionOpened(kUserA);  // a WebSocket: never culled while open
  clock_.advance(std::chrono::seconds(3600));
  pool_->housekeep();
  EXPECT_EQ(pool_->peek(kUserA).phase, Phase::ready);

  pool_->connectionClosed(kUserA);  // idle from now
  clock_.advance(std::chrono::seconds(300));
  pool_->touch(kUserA);
  clock_.advance(std::chrono::seconds(599));
  pool_->housekeep();
  EXPECT_EQ(pool_->peek(kUserA).phase, Phase::ready);
  clock_.advance(std::chrono::seconds(1));
  pool_->housekeep();
  EXPECT_EQ(pool_->peek(kUserA).phase, Phase::stopped);
  EXPECT_FALSE(pool_->isAppServerAddress(address));
  EXPECT_EQ(pool_->appServerUserAt(address), std::nullopt);  // a culled server's address names nobody
  ASSERT_TRUE(eventually([&] { return backend_->stateOf(appServerName(kUserA)) == WorkloadState::exited; }));
  EXPECT_EQ(pool_->metrics().culls_idle, 1u);
  EXPECT_TRUE(std::filesystem::is_directory(data_.path() + "/" + kUserA));  // data kept

  pool_->ensure(kUserA);
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
  EXPECT_EQ(backend_->creates(), 1);  // the same container, started again
  EXPECT_EQ(backend_->starts(), 2);
  EXPECT_EQ(backend_->specOf(appServerName(kUserA))->workspace, data_.path() + "/" + kUserA);
}

TEST_F(AppServerPoolTest, AtCapacityTheLeastRecentlyUsedIdleServerMakesRoom) {
  pool_->ensure(kUserA);
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
  clock_.advance(std::chrono::seconds(10));
  pool_->ensure(kUserB);
  ASSERT_TRUE(becomes(kUserB, Phase::ready));
  clock_.advance(std::chrono::seconds(10));
  pool_->touch(kUserA);  // A is now the more recently used
  clock_.advance(std::chrono::seconds(100));

  pool_->ensure(kUserC);
  ASSERT_TRUE(becomes(kUserC, Phase::ready));
  EXPECT_EQ(pool_->peek(kUserB).phase, Phase::stopped);
  EXPECT_EQ(pool_->peek(kUserA).phase, Phase::ready);
  EXPECT_EQ(pool_->peek(kUserB).detail, "stopped to make room for another user");
  ASSERT_TRUE(eventually([&] { return backend_->stateOf(appServerName(kUserB)) == WorkloadState::exited; }));
  EXPECT_EQ(pool_->metrics().culls_capacity, 1u);
}

TEST_F(AppServerPoolTest, AtCapacityWithNoIdleServerTheNewUserWaits) {
  pool_->ensure(kUserA);
  pool_->ensure(kUserB);
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
  ASSERT_TRUE(becomes(kUserB, Phase::ready));
  pool_->connectionOpened(kUserA);              // in use: a connection
  clock_.advance(std::chrono::seconds(100));
  pool_->touch(kUserB);                          // in use: a request just now

  const AppServerView view = pool_->ensure(kUserC);
  EXPECT_EQ(view.phase, Phase::at_capacity);
  EXPECT_EQ(view.detail, "all 2 app servers are in use");
  EXPECT_EQ(backend_->size(), 2u);
  EXPECT_EQ(pool_->metrics().refused_at_capacity, 1u);

  pool_->connectionClosed(kUserA);
  clock_.advance(std::chrono::seconds(60));     // A idle long enough; B too, but used later
  pool_->touch(kUserB);
  EXPECT_EQ(pool_->ensure(kUserC).phase, Phase::pulling);
  EXPECT_EQ(pool_->peek(kUserA).phase, Phase::stopped);
  ASSERT_TRUE(becomes(kUserC, Phase::ready));
}

TEST_F(AppServerPoolTest, AGatewayRestartAdoptsRunningServersAndDropsStoppedOnesOfAnotherVersion) {
  pool_->ensure(kUserA);
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
  // Left by an older gateway: B's server running on the previous version, C's stopped on it,
  // and a container with our label but no valid owner.
  AppServerPoolSettings old = settings_;
  old.image = "docker.openhands.dev/openhands/openhands:1.6.0";
  old.openhands_version = "1.6.0";
  backend_->putWorkload(specAsCreatedBy(old, kUserB), WorkloadState::running);
  backend_->putWorkload(specAsCreatedBy(old, kUserC), WorkloadState::exited);
  WorkloadSpec stray = specAsCreatedBy(settings_, kUserD);
  stray.name = "oh-appserver-stray";
  stray.labels[std::string(kAppServerOwnerLabel)] = "../../etc";
  backend_->putWorkload(stray, WorkloadState::exited);

  const int creates = backend_->creates();
  makePool(settings_);  // the restarted gateway
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
  ASSERT_TRUE(becomes(kUserB, Phase::ready));  // in use, maybe: adopted as it is
  EXPECT_EQ(pool_->metrics().adoptions, 2u);
  EXPECT_EQ(backend_->creates(), creates);
  EXPECT_EQ(backend_->specOf(appServerName(kUserB))->image, old.image);
  EXPECT_FALSE(backend_->stateOf(appServerName(kUserC)).has_value());
  EXPECT_FALSE(backend_->stateOf("oh-appserver-stray").has_value());
  EXPECT_TRUE(pool_->isAppServerAddress(pool_->peek(kUserB).address));
  EXPECT_EQ(pool_->appServerUserAt(pool_->peek(kUserB).address), std::optional<std::string>(kUserB));
  EXPECT_NE(pool_->appServerUserAt(pool_->peek(kUserA).address), std::optional<std::string>(kUserB));

  // The adopted old one reaches the new version at its next start, never while running.
  clock_.advance(std::chrono::seconds(600));
  pool_->housekeep();
  ASSERT_TRUE(becomes(kUserB, Phase::stopped));
  ASSERT_TRUE(eventually([&] { return backend_->stateOf(appServerName(kUserB)) == WorkloadState::exited; }));
  pool_->ensure(kUserB);
  ASSERT_TRUE(becomes(kUserB, Phase::ready));
  EXPECT_EQ(backend_->specOf(appServerName(kUserB))->image, settings_.image);
  EXPECT_EQ(pool_->metrics().recreated, 1u);
}

TEST_F(AppServerPoolTest, AStoppedServerOfOtherSettingsIsRecreatedAtItsNextStart) {
  pool_->ensure(kUserA);
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
  pool_->stopServer(kUserA);
  ASSERT_TRUE(eventually([&] { return backend_->stateOf(appServerName(kUserA)) == WorkloadState::exited; }));
  AppServerPoolSettings newer = settings_;
  newer.image = "docker.openhands.dev/openhands/openhands:1.8.0";
  newer.openhands_version = "1.8.0";
  makePool(newer);
  EXPECT_FALSE(backend_->stateOf(appServerName(kUserA)).has_value());  // removed at start: stopped, old
  pool_->ensure(kUserA);
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
  EXPECT_EQ(backend_->specOf(appServerName(kUserA))->labels.at("org.openhands.version"), "1.8.0");

  // Same version, another setting (memory): re-created at the next start too.
  pool_->stopServer(kUserA);
  ASSERT_TRUE(eventually([&] { return backend_->stateOf(appServerName(kUserA)) == WorkloadState::exited; }));
  newer.limits.memory_bytes = 4ull << 30;
  makePool(newer);
  EXPECT_EQ(backend_->stateOf(appServerName(kUserA)), WorkloadState::exited);  // current version: kept
  pool_->ensure(kUserA);
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
  EXPECT_EQ(backend_->specOf(appServerName(kUserA))->limits.memory_bytes, 4ull << 30);
  EXPECT_EQ(pool_->metrics().recreated, 1u);
}

TEST_F(AppServerPoolTest, AContainerThatStoppedBehindThePoolsBackIsStartedAgain) {
  pool_->ensure(kUserA);
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
  backend_->removeBehindBack(appServerName(kUserA));
  pool_->housekeep();
  EXPECT_EQ(pool_->peek(kUserA).phase, Phase::stopped);
  pool_->ensure(kUserA);
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
  EXPECT_EQ(backend_->creates(), 2);
}

TEST_F(AppServerPoolTest, EachUserGetsTheirOwnNetworkDirectoryKeyDatabaseAndSecret) {
  makePool(settings_, /*with_databases=*/true);
  pool_->ensure(kUserA);
  pool_->ensure(kUserB);
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
  ASSERT_TRUE(becomes(kUserB, Phase::ready));
  const auto a = *backend_->specOf(appServerName(kUserA));
  const auto b = *backend_->specOf(appServerName(kUserB));
  EXPECT_EQ(a.network, "oh-user-" + kUserA);
  EXPECT_EQ(b.network, "oh-user-" + kUserB);
  EXPECT_NE(a.workspace, b.workspace);
  EXPECT_EQ(environmentOf(kUserA, "SANDBOX_API_KEY"), SandboxApiKeys::fromSecret(std::string(32, 's'))->keyFor(kUserA));
  EXPECT_EQ(SandboxApiKeys::fromSecret(std::string(32, 's'))->ownerOf(environmentOf(kUserB, "SANDBOX_API_KEY")), kUserB);
  EXPECT_NE(environmentOf(kUserA, "JWT_SECRET"), environmentOf(kUserB, "JWT_SECRET"));
  EXPECT_EQ(environmentOf(kUserA, "DB_NAME"), "oh_user_" + kUserA);
  EXPECT_EQ(environmentOf(kUserB, "DB_NAME"), "oh_user_" + kUserB);
  EXPECT_TRUE(databases_->exists(kUserA));
  // Each server believes X-Forwarded-For from its own network's gateway (where oh-gateway
  // reaches it from) and from nothing else.
  EXPECT_EQ(environmentOf(kUserA, "FORWARDED_ALLOW_IPS"), backend_->gatewayOf(a.network));
  EXPECT_EQ(environmentOf(kUserB, "FORWARDED_ALLOW_IPS"), backend_->gatewayOf(b.network));
  EXPECT_NE(environmentOf(kUserA, "FORWARDED_ALLOW_IPS"), environmentOf(kUserB, "FORWARDED_ALLOW_IPS"));
  EXPECT_FALSE(environmentOf(kUserA, "FORWARDED_ALLOW_IPS").empty());
}

TEST_F(AppServerPoolTest, ADatabaseThatCannotBeCreatedFailsTheStartWithoutItsReason) {
  makePool(settings_, /*with_databases=*/true);
  databases_->refuse = "user database oh_user_x: password authentication failed for user oh_admin";
  pool_->ensure(kUserA);
  ASSERT_TRUE(becomes(kUserA, Phase::failed));
  EXPECT_EQ(pool_->peek(kUserA).detail, "the user's database could not be created");
  EXPECT_EQ(backend_->creates(), 0);
}

TEST_F(AppServerPoolTest, OperatorsListStopRemoveAndDeleteAUsersData) {
  makePool(settings_, /*with_databases=*/true);
  pool_->ensure(kUserA);
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
  const auto listed = pool_->list();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed.front().user_key, kUserA);
  EXPECT_EQ(listed.front().phase, Phase::ready);
  EXPECT_FALSE(listed.front().address.empty());
  EXPECT_EQ(listed.front().memory_limit_bytes, settings_.limits.memory_bytes);
  EXPECT_EQ(listed.front().memory_bytes, std::nullopt);  // not sampled yet
  pool_->housekeep();
  EXPECT_EQ(pool_->list().front().memory_bytes, 64ull << 20);

  EXPECT_FALSE(pool_->stopServer("not-a-user"));
  EXPECT_TRUE(pool_->removeServer(kUserA));
  ASSERT_TRUE(eventually([&] { return !backend_->stateOf(appServerName(kUserA)).has_value(); }));
  EXPECT_TRUE(std::filesystem::is_directory(data_.path() + "/" + kUserA));

  pool_->ensure(kUserA);
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
  EXPECT_TRUE(pool_->deleteUserData(kUserA));
  ASSERT_TRUE(eventually([&] { return pool_->list().empty(); }));
  EXPECT_FALSE(backend_->stateOf(appServerName(kUserA)).has_value());
  EXPECT_FALSE(std::filesystem::exists(data_.path() + "/" + kUserA));
  EXPECT_FALSE(databases_->exists(kUserA));
}

TEST_F(AppServerPoolTest, KeysThatAreNotUserKeysStartNothing) {
  for (const std::string& key : {std::string(""), std::string("../../etc/passwd"), std::string(32, 'G'),
                                 kUserA + "0", std::string("0123456789ABCDEF0123456789ABCDEF")}) {
    EXPECT_EQ(pool_->ensure(key).phase, Phase::failed) << key;
    pool_->touch(key);
    pool_->connectionOpened(key);
  }
  EXPECT_TRUE(pool_->list().empty());
  EXPECT_EQ(backend_->creates(), 0);
}

TEST_F(AppServerPoolTest, TheEngineAwayAtAStartFailsItAndTheRetryWorks) {
  backend_->setUnavailable(true);
  pool_->ensure(kUserA);
  ASSERT_TRUE(becomes(kUserA, Phase::failed));
  EXPECT_EQ(pool_->peek(kUserA).detail, "the container engine did not answer");
  backend_->setUnavailable(false);
  clock_.advance(std::chrono::seconds(30));
  pool_->ensure(kUserA);
  ASSERT_TRUE(becomes(kUserA, Phase::ready));
}

}  // namespace
}  // namespace oh::control::testing
