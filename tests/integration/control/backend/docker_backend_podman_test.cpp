// The Docker backend against a real Podman API service (Docker-compatible endpoints): networks,
// the container lifecycle with our labels, network, bind mount, limits and user as Podman
// reports them, listing by label, name conflicts, a missing image, and the API going away.

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <fstream>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "backend/docker_backend.h"
#include "podman_test_setup.h"

namespace oh::control {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using oh::testing::eventually;
using oh::testing::PodmanService;
using oh::testing::startPodmanOrSkip;
using oh::testing::randomSandboxId;
using Kind = BackendFailure::Kind;

constexpr std::uint32_t kAgentUid = 10001;  // the agent server's uid (OpenHands' Dockerfile)

std::string textOf(const json::value& value) {
  const json::string* s = value.if_string();
  return s == nullptr ? "<not a string>" : std::string(*s);
}

class DockerBackendPodmanTest : public ::testing::Test {
protected:
  void SetUp() override {
    startPodmanOrSkip(podman_);
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    char pattern[] = "/tmp/oh-backend-it-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    suffix_ = randomSandboxId().substr(0, 10);
    for (char& c : suffix_) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));  // image names are lowercase
    }
    network_ = "oh-user-it-" + suffix_;
    backend_ = newBackend();
  }

  WorkloadBackendPtr newBackend() const {
    return makeDockerBackend({.socket = podman_->socket(),
                              .workspace_root = root_.string(),
                              .network_prefix = "oh-user-",
                              .request_timeout = std::chrono::seconds(30),
                              .pull_timeout = std::chrono::seconds(60)});
  }

  void TearDown() override {
    if (!podman_) {
      return;
    }
    if (!podman_->running()) {
      (void)podman_->start();
    }
    podman_->removeAll();
    podman_->api("DELETE", "/networks/" + network_);
    podman_.reset();
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  // A workspace directory owned by the agent's uid (what the service prepares).
  fs::path workspace(const std::string& sandbox) const {
    const fs::path dir = root_ / "u1" / sandbox;
    fs::create_directories(dir);
    EXPECT_EQ(::chown(dir.c_str(), kAgentUid, kAgentUid), 0);
    return dir;
  }

  WorkloadSpec spec(const std::string& sandbox, std::string command = "sleep 600") {
    WorkloadSpec s;
    s.name = "oh-sbx-" + suffix_ + "-" + sandbox;
    s.image = PodmanService::image();
    s.command = {"sh", "-c", std::move(command)};
    s.working_dir = "/workspace";
    s.environment = {{"OH_SESSION_API_KEYS_0", "key-" + sandbox}, {"SANDBOX", sandbox}};
    s.labels = {{"org.openhands.managed", "it-" + suffix_}, {"org.openhands.sandbox", sandbox}};
    s.user = "10001:10001";
    s.supplementary_groups = {4242};
    s.network = network_;
    s.workspace = workspace(sandbox).string();
    s.limits = {.cpus = 0.5, .memory_bytes = 256ull << 20, .pids = 128};
    podman_->adopt(s.name);
    return s;
  }

  std::string libpodNetwork() const { return "/v4.0.0/libpod/networks/" + network_ + "/json"; }

  json::object inspectJson(const std::string& name) const {
    const auto answer = podman_->api("GET", "/containers/" + name + "/json");
    EXPECT_EQ(answer.status, 200) << answer.body;
    return json::parse(answer.body).as_object();
  }

  std::unique_ptr<PodmanService> podman_;
  fs::path root_;
  std::string suffix_;
  std::string network_;
  WorkloadBackendPtr backend_;
};

// ensureNetwork creates the network once with our labels; again, or from four threads at once,
// it is success and still one network; one removed behind the backend's back is made again.
TEST_F(DockerBackendPodmanTest, EnsureNetworkIsIdempotent) {
  ASSERT_TRUE(backend_->ensureNetwork(network_, {{"org.openhands.managed", "it"}}).ok());
  ASSERT_TRUE(backend_->ensureNetwork(network_, {{"org.openhands.managed", "it"}}).ok());
  // Podman's own inspect: its Docker-compatible one walks every container on the host to list
  // the members, which takes minutes on a machine that many tests share.
  const auto answer = podman_->api("GET", libpodNetwork());
  ASSERT_EQ(answer.status, 200) << answer.body;
  const json::object network = json::parse(answer.body).as_object();
  EXPECT_EQ(network.at("labels").as_object().at("org.openhands.managed"), "it");
  EXPECT_EQ(network.at("internal"), false);

  // Removed behind the backend's back: a new backend (a restarted gateway) makes it again, from
  // four threads at once. (The first backend remembers the network: a container create finding
  // it gone makes it forget, which the unit tests show.)
  ASSERT_EQ(podman_->api("DELETE", "/networks/" + network_).status, 204);
  const WorkloadBackendPtr restarted = newBackend();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] { ok += restarted->ensureNetwork(network_, {}).ok() ? 1 : 0; });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok.load(), 4);
  EXPECT_EQ(podman_->api("GET", libpodNetwork()).status, 200);

  // Removed again: the first backend, which remembers it, learns from the failed create.
  ASSERT_EQ(podman_->api("DELETE", "/networks/" + network_).status, 204);
  const auto created = backend_->create(spec("netgone"));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(podman_->api("GET", libpodNetwork()).status, 404);
  ASSERT_TRUE(backend_->ensureNetwork(network_, {}).ok());
  EXPECT_EQ(podman_->api("GET", libpodNetwork()).status, 200);
}

// networkGateway reads the address Podman gave the network's gateway (its own inspect says the
// same, and a running member sees it as its gateway); removeNetwork refuses a network with a
// member, then removes it, and an absent one is success.
TEST_F(DockerBackendPodmanTest, NetworkGatewayAndRemoval) {
  ASSERT_TRUE(backend_->ensureNetwork(network_, {}).ok());
  const auto gateway = backend_->networkGateway(network_);
  ASSERT_TRUE(gateway.ok()) << gateway.error().reason;
  const auto answer = podman_->api("GET", libpodNetwork());
  ASSERT_EQ(answer.status, 200) << answer.body;
  const json::object network = json::parse(answer.body).as_object();
  EXPECT_EQ(*gateway, std::string(network.at("subnets").as_array().at(0).as_object().at("gateway").as_string()));
  EXPECT_FALSE(backend_->networkGateway(network_ + "-absent").ok());

  const WorkloadSpec s = spec("member");
  ASSERT_TRUE(backend_->create(s).ok());
  const auto running = backend_->start(s.name);
  ASSERT_TRUE(running.ok()) << running.error().reason;
  const json::object seen = inspectJson(s.name);
  EXPECT_EQ(*gateway, std::string(seen.at("NetworkSettings").as_object().at("Networks").as_object().at(network_)
                                      .as_object().at("Gateway").as_string()));
  EXPECT_FALSE(backend_->removeNetwork(network_).ok()) << "a network with a member is not removed";
  ASSERT_TRUE(backend_->remove(s.name).ok());
  ASSERT_TRUE(backend_->removeNetwork(network_).ok());
  EXPECT_FALSE(backend_->networkGateway(network_).ok()) << "the remembered gateway went with its network";
  EXPECT_EQ(podman_->api("GET", libpodNetwork()).status, 404);
  EXPECT_TRUE(backend_->removeNetwork(network_).ok()) << "absent already is success";
  // Removed, it is made again by the next ensureNetwork (the backend forgot it).
  ASSERT_TRUE(backend_->ensureNetwork(network_, {}).ok());
  EXPECT_EQ(podman_->api("GET", libpodNetwork()).status, 200);
}

// The whole lifecycle: create (created, our labels), start (running on our network, the
// workspace bind-mounted read-write as uid 10001, the limits and isolation in Podman's own
// inspect), stop, start again, remove, absent.
TEST_F(DockerBackendPodmanTest, Lifecycle) {
  ASSERT_TRUE(backend_->ensureNetwork(network_, {}).ok());
  const WorkloadSpec s = spec("life", "echo hello $SANDBOX $(pwd) > /workspace/from-container; exec sleep 600");
  const auto created = backend_->create(s);
  ASSERT_TRUE(created.ok()) << created.error().reason;
  EXPECT_EQ(created->name, s.name);
  EXPECT_EQ(created->state, WorkloadState::created);
  EXPECT_FALSE(created->backend_id.empty());
  EXPECT_EQ(created->labels.at("org.openhands.sandbox"), "life");
  EXPECT_EQ(created->address, "");

  const auto started = backend_->start(s.name);
  ASSERT_TRUE(started.ok()) << started.error().reason;
  EXPECT_EQ(started->state, WorkloadState::running);
  EXPECT_EQ(started->backend_id, created->backend_id);
  ASSERT_FALSE(started->address.empty());

  // The file the container wrote is in the host directory, owned by the agent's uid.
  const fs::path written = fs::path(s.workspace) / "from-container";
  ASSERT_TRUE(eventually([&] { return fs::exists(written); }));
  std::ifstream in(written);
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "hello life /workspace");  // the environment and working directory reached it
  struct stat info {};
  ASSERT_EQ(::stat(written.c_str(), &info), 0);
  EXPECT_EQ(info.st_uid, kAgentUid);

  // What Podman itself reports.
  const json::object inspected = inspectJson(s.name);
  const json::object& host = inspected.at("HostConfig").as_object();
  EXPECT_EQ(host.at("NanoCpus").to_number<std::int64_t>(), 500000000);
  EXPECT_EQ(host.at("Memory").to_number<std::int64_t>(), 256 << 20);
  EXPECT_EQ(host.at("MemorySwap").to_number<std::int64_t>(), 256 << 20);
  EXPECT_EQ(host.at("PidsLimit").to_number<std::int64_t>(), 128);
  EXPECT_EQ(host.at("Privileged"), false);
  EXPECT_EQ(host.at("CapAdd"), json::array{});
  // Podman lists the dropped set by name, in its own spelling (with or without "CAP_").
  std::set<std::string> dropped;
  for (const json::value& name : host.at("CapDrop").as_array()) {
    std::string cap(name.as_string());
    dropped.insert(cap.starts_with("CAP_") ? cap.substr(4) : cap);
  }
  for (const char* expected : {"NET_RAW", "MKNOD", "AUDIT_WRITE"}) {
    EXPECT_TRUE(dropped.contains(expected)) << expected;
  }
  EXPECT_EQ(host.at("PortBindings"), json::object{});
  EXPECT_EQ(host.at("RestartPolicy").as_object().at("Name"), "no");
  EXPECT_EQ(host.at("GroupAdd"), (json::array{"4242"}));
  const json::object& config = inspected.at("Config").as_object();
  EXPECT_EQ(config.at("User"), "10001:10001");
  EXPECT_EQ(textOf(config.at("Labels").as_object().at("org.openhands.managed")), "it-" + suffix_);
  const json::array& mounts = inspected.at("Mounts").as_array();
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(textOf(mounts.at(0).as_object().at("Source")), s.workspace);
  EXPECT_EQ(mounts.at(0).as_object().at("Destination"), "/workspace");
  EXPECT_EQ(mounts.at(0).as_object().at("RW"), true);
  const json::object& networks = inspected.at("NetworkSettings").as_object().at("Networks").as_object();
  ASSERT_EQ(networks.size(), 1u);
  EXPECT_EQ(textOf(networks.at(network_).as_object().at("IPAddress")), started->address);

  ASSERT_TRUE(backend_->stop(s.name, std::chrono::seconds(1)).ok());
  auto observed = backend_->inspect(s.name);
  ASSERT_TRUE(observed.ok()) << observed.error().reason;
  EXPECT_EQ(observed->state, WorkloadState::exited);
  EXPECT_EQ(observed->address, "");
  EXPECT_TRUE(backend_->stop(s.name, std::chrono::seconds(1)).ok());  // stopped already

  const auto restarted = backend_->start(s.name);
  ASSERT_TRUE(restarted.ok()) << restarted.error().reason;
  EXPECT_EQ(restarted->state, WorkloadState::running);
  EXPECT_TRUE(backend_->start(s.name).ok());  // running already

  ASSERT_TRUE(backend_->remove(s.name).ok());
  observed = backend_->inspect(s.name);
  ASSERT_TRUE(observed.ok()) << observed.error().reason;
  EXPECT_EQ(observed->state, WorkloadState::absent);
  EXPECT_TRUE(backend_->remove(s.name).ok());                           // absent already
  EXPECT_TRUE(backend_->stop(s.name, std::chrono::seconds(1)).ok());    // absent: nothing to stop
  EXPECT_TRUE(fs::exists(written));                                      // the workspace outlives it
}

// The command replaces the image's entrypoint, and the image's CMD is not appended to it (what
// OpenHands' agent-server image needs: its ENTRYPOINT is the server itself).
TEST_F(DockerBackendPodmanTest, CommandReplacesEntrypointAndCmd) {
  ASSERT_TRUE(backend_->ensureNetwork(network_, {}).ok());
  // An image with its own ENTRYPOINT and CMD, committed from a workload of the test image.
  const WorkloadSpec base = spec("base");
  ASSERT_TRUE(backend_->create(base).ok());
  const std::string image = "localhost/oh-backend-entrypoint-" + suffix_ + ":1";
  const std::string changes = "&changes=ENTRYPOINT%20%5B%22sh%22%2C%22-c%22%2C%22echo%20image-entrypoint%20%3E%20%2Fworkspace%2Fout%22%5D"
                              "&changes=CMD%20%5B%22image-cmd%22%5D";
  const auto committed = podman_->api("POST", "/commit?container=" + base.name + "&repo=localhost/oh-backend-entrypoint-" +
                                                  suffix_ + "&tag=1" + changes, "{}");
  ASSERT_EQ(committed.status, 201) << committed.body;
  WorkloadSpec s = spec("ep", "echo mine:$0 > /workspace/out; exec sleep 600");
  s.image = image;
  const auto created = backend_->create(s);
  ASSERT_TRUE(created.ok()) << created.error().reason;
  ASSERT_TRUE(backend_->start(s.name).ok());
  const fs::path out = fs::path(s.workspace) / "out";
  ASSERT_TRUE(eventually([&] { return fs::exists(out) && fs::file_size(out) > 0; }));
  std::ifstream in(out);
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "mine:sh");  // "image-entrypoint" if not replaced, "mine:image-cmd" if CMD appended
  ASSERT_TRUE(backend_->remove(s.name).ok());
  podman_->api("DELETE", "/images/" + image + "?force=true");
}

// list finds exactly the workloads carrying the label with that value, running or not.
TEST_F(DockerBackendPodmanTest, ListByLabel) {
  ASSERT_TRUE(backend_->ensureNetwork(network_, {}).ok());
  WorkloadSpec a = spec("a");
  WorkloadSpec b = spec("b");
  WorkloadSpec other = spec("other");
  other.labels["org.openhands.managed"] = "someone-else-" + suffix_;
  for (const WorkloadSpec* s : {&a, &b, &other}) {
    ASSERT_TRUE(backend_->create(*s).ok()) << s->name;
  }
  ASSERT_TRUE(backend_->start(a.name).ok());
  const auto listed = backend_->list("org.openhands.managed", "it-" + suffix_);
  ASSERT_TRUE(listed.ok()) << listed.error().reason;
  std::map<std::string, WorkloadState> found;
  for (const WorkloadObservation& o : *listed) {
    found[o.name] = o.state;
    EXPECT_EQ(o.labels.at("org.openhands.managed"), "it-" + suffix_);
  }
  EXPECT_EQ(found, (std::map<std::string, WorkloadState>{{a.name, WorkloadState::running},
                                                         {b.name, WorkloadState::created}}));
  const auto none = backend_->list("org.openhands.managed", "nobody-" + suffix_);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// A second create of the same name is a conflict (Podman 4 answers 500 "already in use").
// A disk limit where the engine's storage cannot enforce it (here: overlay on ext4) fails the
// create, refused (not retried), with a reason naming the setting and what it needs; nothing is
// created, so a sandbox never runs without the limit it was given.
TEST_F(DockerBackendPodmanTest, DiskLimitRefusedClearlyWhereStorageCannotEnforceIt) {
  const auto info = podman_->api("GET", "/info");
  ASSERT_EQ(info.status, 200);
  if (info.body.find("\"xfs\"") != std::string::npos) {
    GTEST_SKIP() << "the storage is on xfs: whether it is mounted with pquota decides, not checked here";
  }
  ASSERT_TRUE(backend_->ensureNetwork(network_, {}).ok());
  WorkloadSpec s = spec("disk");
  s.limits.disk_bytes = 100ull << 20;
  const auto created = backend_->create(s);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, Kind::refused);
  EXPECT_NE(created.error().reason.find("sandbox.limits.disk_mb"), std::string::npos) << created.error().reason;
  EXPECT_NE(created.error().reason.find("pquota"), std::string::npos) << created.error().reason;
  const auto seen = backend_->inspect(s.name);
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->state, WorkloadState::absent);
}

TEST_F(DockerBackendPodmanTest, CreatingAnExistingNameIsAConflict) {
  ASSERT_TRUE(backend_->ensureNetwork(network_, {}).ok());
  const WorkloadSpec s = spec("dup");
  ASSERT_TRUE(backend_->create(s).ok());
  const auto again = backend_->create(s);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, Kind::conflict);
  EXPECT_EQ(again.error().reason, "workload " + s.name + " exists already");
}

// An image no registry has: the backend pulls (Podman tries localhost's registry, which refuses
// the connection), then refuses the spec with Podman's reason, and creates nothing.
TEST_F(DockerBackendPodmanTest, MissingImageIsRefusedAfterAPull) {
  ASSERT_TRUE(backend_->ensureNetwork(network_, {}).ok());
  WorkloadSpec s = spec("noimage");
  s.image = "localhost/oh-no-such-image-" + suffix_ + ":1";
  const auto created = backend_->create(s);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, Kind::refused);
  EXPECT_EQ(created.error().reason.rfind("pull " + s.image + ": ", 0), 0u) << created.error().reason;
  EXPECT_EQ(created.error().reason.find("key-noimage"), std::string::npos);
  // An uppercase repository is refused before Podman sees it (Podman would answer 500).
  s.image = "localhost/Upper:1";
  EXPECT_EQ(backend_->create(s).error().kind, Kind::refused);
  const auto observed = backend_->inspect(s.name);
  ASSERT_TRUE(observed.ok());
  EXPECT_EQ(observed->state, WorkloadState::absent);
}

// A network that does not exist is Podman's refusal, not a crash; the host network and a
// workspace outside the root never reach Podman.
TEST_F(DockerBackendPodmanTest, RefusedSpecs) {
  WorkloadSpec missing_network = spec("nonet");
  const auto created = backend_->create(missing_network);  // ensureNetwork was not called
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.error().kind, Kind::unavailable) << created.error().reason;
  WorkloadSpec host = spec("host");
  host.network = "host";
  EXPECT_EQ(backend_->create(host).error().kind, Kind::refused);
  WorkloadSpec etc = spec("etc");
  etc.workspace = "/etc";
  EXPECT_EQ(backend_->create(etc).error().kind, Kind::refused);
  for (const WorkloadSpec* s : {&host, &etc}) {
    EXPECT_EQ(podman_->api("GET", "/containers/" + s->name + "/json").status, 404) << s->name;
  }
}

// The API service going away: every call fails fast as unavailable (no hang), and works again
// once it is back; the containers kept running meanwhile (conmon).
TEST_F(DockerBackendPodmanTest, ApiGoingAwayIsUnavailable) {
  ASSERT_TRUE(backend_->ensureNetwork(network_, {}).ok());
  const WorkloadSpec s = spec("away");
  ASSERT_TRUE(backend_->create(s).ok());
  ASSERT_TRUE(backend_->start(s.name).ok());
  podman_->stop();
  EXPECT_EQ(backend_->inspect(s.name).error().kind, Kind::unavailable);
  EXPECT_EQ(backend_->start(s.name).error().kind, Kind::unavailable);
  EXPECT_EQ(backend_->stop(s.name, std::chrono::seconds(1)).error().kind, Kind::unavailable);
  EXPECT_EQ(backend_->remove(s.name).error().kind, Kind::unavailable);
  EXPECT_EQ(backend_->list("org.openhands.managed", "x").error().kind, Kind::unavailable);
  EXPECT_TRUE(backend_->ensureNetwork(network_, {}).ok());  // ensured before: no call needed
  EXPECT_EQ(backend_->ensureNetwork(network_ + "b", {}).error().kind, Kind::unavailable);
  EXPECT_EQ(backend_->create(spec("away2")).error().kind, Kind::unavailable);
  ASSERT_EQ(podman_->start(), std::nullopt);
  const auto observed = backend_->inspect(s.name);
  ASSERT_TRUE(observed.ok()) << observed.error().reason;
  EXPECT_EQ(observed->state, WorkloadState::running);
}

}  // namespace
}  // namespace oh::control
