// The sandbox service wired to its real peers: the SQLite store (a temp file) and the Docker
// backend over a private Podman API service with the busybox test image (its ws-echo stands in
// for the agent server on 60000; httpd serves the workspace on 8080 so the test reads, through
// the container, what the workspace holds). Start gives a running container with our labels,
// network, mount and keys; pause then resume keeps the container; a container removed behind
// the service's back, then a new service over the same store (an instance replacement), lists
// paused, and resume re-creates it with the same keys and workspace.

#include <gtest/gtest.h>

#include <algorithm>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "backend/docker_backend.h"
#include "common/random_source.h"
#include "common/text.h"
#include "common/wall_clock.h"
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
using oh::testing::startPodmanOrSkip;
using oh::testing::randomSandboxId;
using oh::testing::tcpGet;

constexpr std::uint16_t kAgentPort = 60000;      // OpenHands' AGENT_SERVER_PORT
constexpr std::uint16_t kWorkspacePort = 8080;   // the test's view into /workspace

std::string text(const json::value& value) {
  const json::string* s = value.if_string();
  return s == nullptr ? "<not a string>" : std::string(*s);
}

std::string lower(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

class SandboxServicePodmanTest : public ::testing::Test {
protected:
  void SetUp() override {
    startPodmanOrSkip(podman_);
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    char pattern[] = "/tmp/oh-sandbox-it-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    owner_ = userKeyForSubject("sandbox-it-" + randomSandboxId());
    managed_ = "sandbox-it-" + lower(randomSandboxId());
    store_url_ = "sqlite://" + (root_ / "store" / "sandboxes.db").string();
    DockerBackendOptions options;
    options.socket = podman_->socket();
    options.workspace_root = (root_ / "workspaces").string();
    options.pull_timeout = std::chrono::seconds(60);
    backend_ = makeDockerBackend(options);
  }

  void TearDown() override {
    if (!podman_) {
      return;
    }
    service_.reset();
    const std::string filter = "{\"label\":[\"org.openhands.managed=" + managed_ + "\"]}";
    const auto answer = podman_->api("GET", "/containers/json?all=true&filters=" + common::percentEncode(filter));
    if (answer.status == 200) {
      const json::value containers = json::parse(answer.body);
      for (const auto& container : containers.as_array()) {
        const auto id = text(container.at("Id"));
        podman_->api("DELETE", "/containers/" + id + "?force=true");
      }
    }
    podman_->api("DELETE", "/networks/oh-user-" + owner_);
    podman_.reset();
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  SandboxServiceSettings settings() const {
    SandboxServiceSettings s;
    s.allowed_images = {PodmanService::image()};
    s.workspace_root = (root_ / "workspaces").string();
    s.runtime_suffix = "runtime.test";
    s.limits = {.cpus = 0.5, .memory_bytes = 256ull << 20, .pids = 128};
    s.seal_key = std::string(32, 's');
    s.managed_label_value = managed_;
    s.stop_grace = std::chrono::seconds(1);
    s.resync_interval = std::chrono::milliseconds(500);
    s.retry_initial = std::chrono::milliseconds(100);
    s.retry_max = std::chrono::seconds(1);
    return s;
  }

  // A service over a freshly opened store: what a (re)started gateway has.
  SandboxService& startService() {
    service_.reset();
    auto store = openSandboxStore(store_url_);
    EXPECT_TRUE(store) << (store ? "" : store.error().reason);
    service_ = std::make_unique<SandboxService>(settings(), *store, backend_, clock_, random_);
    service_->start();
    return *service_;
  }

  StartRequest request(const std::string& id) const {
    StartRequest r;
    r.session_id = id;
    r.spec.image = PodmanService::image();
    r.spec.command = {"sh", "-c", "httpd -p 8080 -h /workspace; exec ws-echo 60000"};
    r.spec.working_dir = "/workspace";
    r.spec.environment = {{"OH_CONVERSATIONS_PATH", "/workspace/conversations"}, {"OH_VSCODE_PORT", "60001"}};
    r.spec.run_as_user = 10001;
    r.spec.run_as_group = 10001;
    r.spec.fs_group = 10001;
    return r;
  }

  std::string status(const std::string& id) {
    auto view = service_->get(owner_, id);
    return view ? view->status : "http " + std::to_string(view.error().status);
  }
  bool becomes(const std::string& id, const std::string& wanted) {
    return eventually([&] { return status(id) == wanted; }, std::chrono::seconds(90));
  }

  json::object inspect(const std::string& name) const {
    const auto answer = podman_->api("GET", "/containers/" + name + "/json");
    EXPECT_EQ(answer.status, 200) << answer.body;
    return answer.status == 200 ? json::parse(answer.body).as_object() : json::object();
  }
  static std::string environmentValue(const json::object& container, const std::string& name) {
    for (const auto& entry : container.at("Config").at("Env").as_array()) {
      const std::string variable = text(entry);
      if (variable.rfind(name + "=", 0) == 0) {
        return variable.substr(name.size() + 1);
      }
    }
    return "(unset)";
  }
  const SandboxRoute* route(const std::string& id) const {
    routes_ = service_->routes();
    return routes_->find(lower(id));
  }

  std::unique_ptr<PodmanService> podman_;
  fs::path root_;
  std::string owner_;
  std::string managed_;
  std::string store_url_;
  WorkloadBackendPtr backend_;
  common::SystemWallClock clock_;
  common::SystemRandomSource random_;
  std::unique_ptr<SandboxService> service_;
  mutable SandboxRoutesPtr routes_;
};

TEST_F(SandboxServicePodmanTest, StartPauseResumeAndRecreateAfterInstanceReplacement) {
  startService();
  const std::string id = randomSandboxId();
  const std::string name = "oh-sandbox-" + lower(id);

  // Start: answered at once, then a running container of ours.
  auto started = service_->startSandbox(owner_, request(id));
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_EQ(started->status, "starting");
  ASSERT_TRUE(becomes(id, "running"));
  json::object container = inspect(name);
  const auto& labels = container.at("Config").at("Labels").as_object();
  EXPECT_EQ(text(labels.at("org.openhands.managed")), managed_);
  EXPECT_EQ(text(labels.at("org.openhands.sandbox-id")), id);
  EXPECT_EQ(text(labels.at("org.openhands.owner")), owner_);
  EXPECT_TRUE(container.at("NetworkSettings").at("Networks").as_object().contains("oh-user-" + owner_));
  const fs::path workspace = root_ / "workspaces" / owner_ / id;
  bool mounted = false;
  for (const auto& mount : container.at("Mounts").as_array()) {
    mounted |= text(mount.at("Destination")) == "/workspace" &&
               text(mount.at("Source")) == workspace.string();
  }
  EXPECT_TRUE(mounted);
  EXPECT_EQ(environmentValue(container, "OH_SESSION_API_KEYS_0"), started->session_api_key);
  const std::string secret = environmentValue(container, "OH_SECRET_KEY");
  EXPECT_EQ(secret.size(), 43u);
  const std::string first_container_id = text(container.at("Id"));

  // The data plane's snapshot routes to it, and it answers there.
  const SandboxRoute* running = route(id);
  ASSERT_NE(running, nullptr);
  ASSERT_TRUE(running->running());
  EXPECT_EQ(running->agent_port, kAgentPort);
  EXPECT_EQ(running->vscode_port, 60001);
  EXPECT_TRUE(eventually([&] { return tcpGet(running->address, kAgentPort, "/health").status == 200; }));

  // A file in the workspace, as the agent's conversation state would be.
  { std::ofstream(workspace / "note.txt") << "kept across re-creation\n"; }
  ::chmod((workspace / "note.txt").c_str(), 0644);
  EXPECT_TRUE(eventually([&] { return tcpGet(running->address, kWorkspacePort, "/note.txt").status == 200; }));

  // Pause stops it and keeps it; resume starts the same container.
  auto paused = service_->pause(owner_, id);
  ASSERT_TRUE(paused);
  EXPECT_EQ(paused->status, "paused");
  ASSERT_TRUE(eventually([&] { return !inspect(name).at("State").at("Running").as_bool(); }, std::chrono::seconds(60)));
  ASSERT_TRUE(service_->resume(owner_, id));
  ASSERT_TRUE(becomes(id, "running"));
  EXPECT_EQ(text(inspect(name).at("Id")), first_container_id);

  // The instance goes: its containers with it, and the gateway restarts over the same store.
  service_.reset();
  ASSERT_EQ(podman_->api("DELETE", "/containers/" + name + "?force=true").status, 204);
  startService();
  ASSERT_TRUE(becomes(id, "paused"));
  auto listed = service_->batch(owner_, {id});
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].status, "paused");
  EXPECT_EQ((*listed)[0].session_api_key, started->session_api_key);
  EXPECT_TRUE(service_->list(owner_)->empty()) << "/list gives active sandboxes only";
  EXPECT_EQ(podman_->api("GET", "/containers/" + name + "/json").status, 404) << "not re-created before a resume";

  // Resume re-creates it: same name, keys and workspace, and the file is still there.
  auto resumed = service_->resume(owner_, id);
  ASSERT_TRUE(resumed) << resumed.error().message;
  EXPECT_EQ(resumed->session_api_key, started->session_api_key);
  ASSERT_TRUE(becomes(id, "running"));
  container = inspect(name);
  EXPECT_NE(text(container.at("Id")), first_container_id);
  EXPECT_EQ(environmentValue(container, "OH_SESSION_API_KEYS_0"), started->session_api_key);
  EXPECT_EQ(environmentValue(container, "OH_SECRET_KEY"), secret);
  const SandboxRoute* again = route(id);
  ASSERT_NE(again, nullptr);
  ASSERT_TRUE(again->running());
  const auto note = [&] { return tcpGet(again->address, kWorkspacePort, "/note.txt"); };
  ASSERT_TRUE(eventually([&] { return note().status == 200; }));
  EXPECT_EQ(note().body, "kept across re-creation\n");

  // Stop removes the container and the record; the workspace stays.
  ASSERT_TRUE(service_->remove(owner_, id));
  EXPECT_EQ(podman_->api("GET", "/containers/" + name + "/json").status, 404);
  EXPECT_EQ(status(id), "http 404");
  EXPECT_TRUE(fs::exists(workspace / "note.txt"));
}

TEST_F(SandboxServicePodmanTest, OrphanOfOursIsRemovedAtStartAndOthersAreKept) {
  // A container of ours without a record (a gateway killed after a create whose record was
  // removed), and one of another manager: only ours goes.
  const std::string orphan_id = randomSandboxId();
  const std::string orphan = "oh-sandbox-" + lower(orphan_id);
  PodmanService::ContainerSpec ours;
  ours.name = orphan;
  ours.labels = {{"org.openhands.managed", managed_}, {"org.openhands.sandbox-id", orphan_id}};
  ours.command = "exec sleep 600";
  ASSERT_FALSE(podman_->createContainer(ours).empty());
  const std::string other = "not-ours-" + lower(randomSandboxId()).substr(0, 8);
  PodmanService::ContainerSpec theirs;
  theirs.name = other;
  theirs.labels = {{"org.openhands.managed", managed_ + "-x"}};
  theirs.command = "exec sleep 600";
  ASSERT_FALSE(podman_->createContainer(theirs).empty());
  startService();
  EXPECT_TRUE(eventually([&] { return podman_->api("GET", "/containers/" + orphan + "/json").status == 404; }));
  EXPECT_EQ(podman_->api("GET", "/containers/" + other + "/json").status, 200);
}

// This test verifies `user delete-data`'s part in the sandbox service: every sandbox of the
// owner (container and record), a container of the owner's that has no record, the owner's
// workspaces and network go; another owner's sandbox and a container of another manager with the
// same owner label stay; a second run removes nothing more and succeeds.
TEST_F(SandboxServicePodmanTest, RemoveOwnerTakesTheOwnersSandboxesWorkspacesAndNetworkOnly) {
  SandboxService& service = startService();
  const std::string first = randomSandboxId();
  const std::string second = randomSandboxId();
  const std::string other_owner = userKeyForSubject("sandbox-it-other-" + randomSandboxId());
  const std::string others = randomSandboxId();
  ASSERT_TRUE(service.startSandbox(owner_, request(first)));
  ASSERT_TRUE(service.startSandbox(owner_, request(second)));
  ASSERT_TRUE(service.startSandbox(other_owner, request(others)));
  ASSERT_TRUE(becomes(first, "running"));
  ASSERT_TRUE(becomes(second, "running"));
  ASSERT_TRUE(service.pause(owner_, second));  // a paused one goes too
  ASSERT_TRUE(eventually([&] { return status(second) == "paused"; }, std::chrono::seconds(60)));
  ASSERT_TRUE(eventually([&] {
    auto view = service.get(other_owner, others);
    return view && view->status == "running";
  }, std::chrono::seconds(90)));
  // The command runs beside or without a gateway: a service over the same store, not started
  // (the gateway's own reconcile would remove an orphan by itself within its resync).
  service_.reset();
  auto store = openSandboxStore(store_url_);
  ASSERT_TRUE(store);
  SandboxService command(settings(), *store, backend_, clock_, random_);
  // The owner's app server would be on the network too; delete-data removes it first. A
  // container of another manager with this owner's label is not ours to remove.
  PodmanService::ContainerSpec theirs;
  theirs.name = "not-ours-" + lower(randomSandboxId()).substr(0, 8);
  theirs.labels = {{"org.openhands.managed", managed_ + "-x"}, {"org.openhands.owner", owner_}};
  theirs.command = "exec sleep 600";
  ASSERT_FALSE(podman_->createContainer(theirs).empty());
  // An orphan of ours: the owner's label, our managed value, no record.
  PodmanService::ContainerSpec orphan;
  orphan.name = "oh-sandbox-" + lower(randomSandboxId());
  orphan.labels = {{"org.openhands.managed", managed_}, {"org.openhands.owner", owner_}};
  orphan.command = "exec sleep 600";
  ASSERT_FALSE(podman_->createContainer(orphan).empty());
  const fs::path workspaces = root_ / "workspaces" / owner_;
  ASSERT_TRUE(fs::exists(workspaces / first));
  const std::string network = "/v4.0.0/libpod/networks/oh-user-" + owner_ + "/json";
  ASSERT_EQ(podman_->api("GET", network).status, 200);

  const auto removed = command.removeOwner(owner_);
  ASSERT_TRUE(removed) << removed.error().message;
  std::vector<std::string> ids = removed->sandboxes;
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> expected{first, second};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ids, expected);
  EXPECT_EQ(removed->orphan_containers, 1u);
  EXPECT_TRUE(removed->workspaces);
  EXPECT_EQ(removed->network, "oh-user-" + owner_);

  EXPECT_EQ(command.list(owner_)->size(), 0u);
  EXPECT_EQ(command.get(owner_, first).error().status, 404u);
  for (const std::string& id : {first, second}) {
    EXPECT_EQ(podman_->api("GET", "/containers/oh-sandbox-" + lower(id) + "/json").status, 404) << id;
  }
  EXPECT_EQ(podman_->api("GET", "/containers/" + orphan.name + "/json").status, 404);
  EXPECT_EQ(podman_->api("GET", "/containers/" + theirs.name + "/json").status, 200);
  EXPECT_FALSE(fs::exists(workspaces));
  EXPECT_EQ(podman_->api("GET", network).status, 404);
  // The other owner keeps everything.
  EXPECT_TRUE(command.get(other_owner, others));
  EXPECT_EQ(podman_->api("GET", "/containers/oh-sandbox-" + lower(others) + "/json").status, 200);
  EXPECT_TRUE(fs::exists(root_ / "workspaces" / other_owner / others));

  // Idempotent: nothing left, success.
  const auto again = command.removeOwner(owner_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->sandboxes.empty());
  EXPECT_FALSE(again->workspaces);
  // Not a user key: refused before anything is touched (it names a directory and a network).
  EXPECT_EQ(command.removeOwner("../" + other_owner).error().status, 400u);
  EXPECT_EQ(command.removeOwner("").error().status, 400u);

  ASSERT_TRUE(command.remove(other_owner, others));
  podman_->api("DELETE", "/containers/" + theirs.name + "?force=true");
  podman_->api("DELETE", "/networks/oh-user-" + other_owner);
}

}  // namespace
}  // namespace oh::control
