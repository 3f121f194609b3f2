// Issue 15's isolation, with real Podman containers on two users' networks, inside network
// namespaces this test creates (TESTING.md: nothing touches the machine's own rules):
//
//   "host" netns: the Podman API service (so its bridges live here), the networks made by our
//     Docker backend (bridges ohu*), a stand-in admin listener on every address, a stand-in
//     credential endpoint on 169.254.170.2, the real SandboxApiServer with an app-server
//     predicate, and deploy/instance/oh-firewall.sh;
//   "outside" netns, behind a veth as EC2's network is: 169.254.169.254 (IMDS) and 198.51.100.7
//     (the internet), both served by busybox httpd.
//
// From user A's sandbox every probe is made twice: without the rules (each succeeds, so a
// failure later means the rules, not a broken set-up) and with them (installed twice: rerunning
// must not change anything). Probes run in the container's network namespace (setns on a thread
// of this process): network-wise exactly what code in the sandbox does.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "backend/docker_backend.h"
#include "backend/docker_requests.h"
#include "http/sandbox_api_server.h"
#include "podman_fixture.h"
#include "support/child_processes.h"

namespace oh::control {
namespace {

namespace fs = std::filesystem;
using oh::testing::PodmanService;
using oh::testing::spawnProcess;
using oh::testing::terminateProcess;

constexpr std::uint16_t kAppPort = 8080;        // the containers' httpd
constexpr std::uint16_t kAdminPort = 9090;      // the gateway's admin listener (stand-in)
constexpr std::uint16_t kCredPort = 8091;       // [credentials].listen_port's default
constexpr std::uint16_t kSandboxApiPort = 9300; // the sandbox API, which app servers call
constexpr const char* kCredAddress = "169.254.170.2";
constexpr const char* kImds = "169.254.169.254";
constexpr const char* kInternet = "198.51.100.7";
constexpr const char* kUplinkHost = "192.0.2.1";  // the host's address towards the outside
// A dropped SYN is retried for minutes: this is how long a probe waits for a connection. Not a
// timing assertion: a negative counts only because the same probe succeeded without the rules.
constexpr auto kConnectWait = std::chrono::seconds(3);

// Runs fn on a thread that has joined the network namespace at ns_path; processes spawned and
// sockets made there belong to that namespace. nullopt when the namespace cannot be joined.
template <class F>
auto inNetns(const std::string& ns_path, F fn) -> std::optional<decltype(fn())> {
  std::optional<decltype(fn())> out;
  std::thread worker([&] {
    const int fd = ::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && ::setns(fd, CLONE_NEWNET) == 0) {
      out = fn();
    }
    if (fd >= 0) {
      ::close(fd);
    }
  });
  worker.join();
  return out;
}

int runCommand(const std::vector<std::string>& argv) {
  const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  const pid_t pid = spawnProcess(argv, null_fd);
  if (null_fd >= 0) {
    ::close(null_fd);
  }
  const auto status = oh::testing::waitForExit(pid, std::chrono::minutes(2));
  if (!status) {
    terminateProcess(pid, std::chrono::seconds(2));
    return -1;
  }
  return oh::testing::exitCodeOf(*status);
}

// GET / on ip:port: the status code, or 0 when no connection was made within kConnectWait or
// the peer closed it without answering.
int probe(const std::string& ip, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (fd < 0) {
    return 0;
  }
  if (::inet_pton(AF_INET, ip.c_str(), &address.sin_addr) != 1) {
    ::close(fd);
    return 0;
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return 0;
  }
  pollfd p{fd, POLLOUT, 0};
  int error = 0;
  socklen_t length = sizeof error;
  if (::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kConnectWait).count())) != 1 ||
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
    ::close(fd);
    return 0;
  }
  const std::string_view request = "GET / HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n";
  std::string reply;
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buffer[512];
    pollfd in{fd, POLLIN, 0};
    while (reply.size() < 12 && ::poll(&in, 1, 5000) == 1) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) {
        break;
      }
      reply.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return reply.size() >= 12 && reply.starts_with("HTTP/1.") ? std::atoi(reply.substr(9, 3).c_str()) : 0;
}

class SandboxIsolationTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root (network namespaces, iptables)";
    }
    if (auto why = PodmanService::unavailable()) {
      GTEST_SKIP() << *why;
    }
    for (const char* tool : {"iptables", "ip", "unshare"}) {
      if (runCommand({"sh", "-c", std::string("command -v ") + tool + " >/dev/null"}) != 0) {
        GTEST_SKIP() << tool << " is not installed";
      }
    }
    char pattern[] = "/tmp/oh-isolation-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    fs::create_directories(dir_ / "www");
    std::ofstream(dir_ / "www/index.html") << "host listener\n";

    // Two namespaces held by sleepers, joined by a veth: 192.0.2.1 (host) - 192.0.2.2 (outside).
    host_holder_ = spawnProcess({"unshare", "-n", "sleep", "3600"});
    outside_holder_ = spawnProcess({"unshare", "-n", "sleep", "3600"});
    ASSERT_GT(host_holder_, 0);
    ASSERT_GT(outside_holder_, 0);
    ASSERT_TRUE(oh::testing::eventually([&] { return netnsDiffers(host_holder_) && netnsDiffers(outside_holder_); },
                                        std::chrono::seconds(10)));
    host_ns_ = "/proc/" + std::to_string(host_holder_) + "/ns/net";
    outside_ns_ = "/proc/" + std::to_string(outside_holder_) + "/ns/net";
    const std::string outside_pid = std::to_string(outside_holder_);
    ASSERT_TRUE(inHost({{"ip", "link", "set", "lo", "up"},
                        {"ip", "link", "add", "oh-up0", "type", "veth", "peer", "name", "oh-up1", "netns", outside_pid},
                        {"ip", "addr", "add", std::string(kUplinkHost) + "/24", "dev", "oh-up0"},
                        {"ip", "link", "set", "oh-up0", "up"},
                        {"ip", "route", "add", "default", "via", "192.0.2.2"},
                        {"sysctl", "-qw", "net.ipv4.ip_forward=1"}}));
    ASSERT_TRUE(inOutside({{"ip", "link", "set", "lo", "up"},
                           {"ip", "addr", "add", "192.0.2.2/24", "dev", "oh-up1"},
                           {"ip", "link", "set", "oh-up1", "up"},
                           {"ip", "addr", "add", std::string(kImds) + "/32", "dev", "lo"},
                           {"ip", "addr", "add", std::string(kInternet) + "/32", "dev", "lo"}}));
    outside_httpd_ = spawnIn(outside_ns_, {"busybox", "httpd", "-f", "-p", "80", "-h", (dir_ / "www").string()});

    // The Podman service in the host namespace: the bridges it makes are created there.
    podman_ = std::make_unique<PodmanService>();
    const auto started = inNetns(host_ns_, [&] { return podman_->start(); });
    ASSERT_TRUE(started.has_value());
    ASSERT_EQ(*started, std::nullopt);
    ASSERT_EQ(podman_->ensureImage(), std::nullopt);
    backend_ = makeDockerBackend({.socket = podman_->socket(),
                                  .workspace_root = dir_.string(),
                                  .network_prefix = "oh-user-",
                                  .request_timeout = std::chrono::seconds(30),
                                  .pull_timeout = std::chrono::seconds(60)});
  }

  void TearDown() override {
    if (podman_) {
      for (const auto& name : podman_->created()) {
        podman_->api("POST", "/containers/" + name + "/kill");  // httpd as PID 1 ignores SIGTERM
      }
      podman_->removeAll();
      for (const auto& network : networks_) {
        podman_->api("DELETE", "/networks/" + network);
      }
      podman_.reset();
    }
    if (api_server_) {
      api_server_->stop();
    }
    for (pid_t pid : {outside_httpd_, admin_httpd_, cred_httpd_, host_holder_, outside_holder_}) {
      if (pid > 0) {
        terminateProcess(pid, std::chrono::seconds(5));
      }
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  static bool netnsDiffers(pid_t pid) {
    std::error_code ec;
    const auto theirs = fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/net", ec);
    return !ec && theirs != fs::read_symlink("/proc/self/ns/net", ec);
  }

  bool runAll(const std::string& ns, const std::vector<std::vector<std::string>>& commands) {
    return inNetns(ns, [&] {
             for (const auto& command : commands) {
               if (runCommand(command) != 0) {
                 ADD_FAILURE() << "failed: " << command.front() << " " << (command.size() > 1 ? command[1] : "");
                 return false;
               }
             }
             return true;
           }).value_or(false);
  }
  bool inHost(const std::vector<std::vector<std::string>>& commands) { return runAll(host_ns_, commands); }
  bool inOutside(const std::vector<std::vector<std::string>>& commands) { return runAll(outside_ns_, commands); }
  static pid_t spawnIn(const std::string& ns, const std::vector<std::string>& argv) {
    return inNetns(ns, [&] { return spawnProcess(argv); }).value_or(-1);
  }

  int firewall(const std::vector<std::string>& arguments) {
    std::vector<std::string> argv{OH_FIREWALL_SCRIPT};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return inNetns(host_ns_, [&] { return runCommand(argv); }).value_or(-1);
  }
  int installFirewall() {
    return firewall({"--cred-port", std::to_string(kCredPort), "--api-port", std::to_string(kSandboxApiPort)});
  }
  std::string rulesNow() {
    const fs::path out = dir_ / "rules.txt";
    inNetns(host_ns_, [&] {
      return runCommand({"sh", "-c", "{ iptables-save -t mangle; ip6tables-save -t mangle; } | grep '^-A' >'" + out.string() + "'"});
    });
    std::ifstream in(out);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // A user's network through our backend, and a container on it serving httpd on kAppPort.
  std::string network(const std::string& user) {
    const std::string name = "oh-user-" + user;
    networks_.push_back(name);
    EXPECT_TRUE(backend_->ensureNetwork(name, {{"org.openhands.managed", "isolation-test"}}).ok());
    return name;
  }
  struct Started {
    std::string ip;
    std::string ns;  // /proc/{pid}/ns/net of the container
  };
  Started container(const std::string& network_name, const std::string& role) {
    WorkloadSpec spec;
    spec.name = "oh-iso-" + role + "-" + suffix_;
    spec.image = PodmanService::image();
    spec.command = {"httpd", "-f", "-p", std::to_string(kAppPort), "-h", "/www"};
    spec.labels = {{"org.openhands.managed", "isolation-test"}};
    spec.network = network_name;
    spec.workspace = (dir_ / role).string();
    fs::create_directories(spec.workspace);
    spec.limits = {.cpus = 0.5, .memory_bytes = 64ull << 20, .pids = 64};
    podman_->adopt(spec.name);
    auto created = backend_->create(spec);
    EXPECT_TRUE(created.ok()) << (created ? "" : created.error().reason);
    auto started = backend_->start(spec.name);
    EXPECT_TRUE(started.ok()) << (started ? "" : started.error().reason);
    const auto inspected = podman_->api("GET", "/containers/" + spec.name + "/json");
    const auto pid = boost::json::parse(inspected.body).at("State").at("Pid").to_number<std::int64_t>();
    return {started ? started->address : std::string(), "/proc/" + std::to_string(pid) + "/ns/net"};
  }

  // What code in the sandbox gets for GET / on ip:port (0: no connection or closed unanswered).
  static int from(const Started& who, const std::string& ip, std::uint16_t port) {
    return inNetns(who.ns, [&] { return probe(ip, port); }).value_or(-1);
  }

  fs::path dir_;
  std::string suffix_ = oh::testing::randomConversationId().substr(0, 10);
  pid_t host_holder_ = -1, outside_holder_ = -1, outside_httpd_ = -1, admin_httpd_ = -1, cred_httpd_ = -1;
  std::string host_ns_, outside_ns_;
  std::unique_ptr<PodmanService> podman_;
  WorkloadBackendPtr backend_;
  std::vector<std::string> networks_;
  gateway::SandboxApiMetrics api_metrics_;
  std::unique_ptr<gateway::SandboxApiServer> api_server_;
};

TEST_F(SandboxIsolationTest, SandboxReachesOnlyItsOwnAppServerCredentialsAndTheInternet) {
  const std::string net_a = network("a" + suffix_), net_b = network("b" + suffix_);
  const Started sandbox_a = container(net_a, "sandbox-a"), app_a = container(net_a, "app-a");
  const Started sandbox_b = container(net_b, "sandbox-b"), app_b = container(net_b, "app-b");
  ASSERT_FALSE(sandbox_a.ip.empty());
  ASSERT_FALSE(app_a.ip.empty());
  ASSERT_FALSE(sandbox_b.ip.empty());
  ASSERT_FALSE(app_b.ip.empty());
  // The bridges carry the names the firewall matches (made with the first container).
  EXPECT_TRUE(inHost({{"ip", "link", "show", sandboxBridgeName(net_a)}, {"ip", "link", "show", sandboxBridgeName(net_b)}}));
  // The engine's own isolation between bridges (CNI's same-bridge ingress policy here, Docker's
  // DOCKER-ISOLATION chains on AWS) is overruled by an accept-all at the top of the filter
  // table: the positives below then show that what blocks is the rules under test, and that
  // they hold whatever an engine's filter rules accept.
  ASSERT_TRUE(inHost({{"iptables", "-w", "-I", "FORWARD", "1", "-j", "ACCEPT"}}));

  // The firewall script puts the credential address on the host (lo here: no dummy driver in
  // this kernel); removed again, the rules are gone but the address stays for the listener.
  ASSERT_EQ(installFirewall(), 0);
  ASSERT_EQ(firewall({"--remove"}), 0);
  EXPECT_EQ(rulesNow(), "");
  const std::string www = (dir_ / "www").string();
  admin_httpd_ = spawnIn(host_ns_, {"busybox", "httpd", "-f", "-p", std::to_string(kAdminPort), "-h", www});
  cred_httpd_ = spawnIn(host_ns_, {"busybox", "httpd", "-f", "-p", std::string(kCredAddress) + ":" + std::to_string(kCredPort), "-h", www});
  const std::string app_a_ip = app_a.ip;
  api_server_ = std::make_unique<gateway::SandboxApiServer>(
      gateway::SandboxApiServerOptions{.listen_address = "0.0.0.0", .listen_port = kSandboxApiPort, .access_log = false,
                                       .app_server_user = [app_a_ip](std::string_view ip) -> std::optional<std::string> {
                                         return ip == app_a_ip ? std::optional<std::string>("user-a") : std::nullopt;
                                       }},
      [](const ApiRequest&) {
        ApiResponse response;
        response.status = 200;
        response.body = "{}";
        return response;
      },
      api_metrics_);
  const auto listening = inNetns(host_ns_, [&] { return api_server_->start(); });
  ASSERT_TRUE(listening.has_value());
  ASSERT_EQ(*listening, std::nullopt);
  // The host as sandbox A sees it: the gateway address of its network (the bridge's), and the
  // host's other address.
  const std::string host_a = sandbox_a.ip.substr(0, sandbox_a.ip.rfind('.')) + ".1";

  struct Probe {
    const char* what;
    std::string ip;
    std::uint16_t port;
    bool allowed;  // with the rules
  };
  const std::vector<Probe> probes = {
      {"own app server", app_a.ip, kAppPort, true},
      {"credential endpoint", kCredAddress, kCredPort, true},
      {"the internet", kInternet, 80, true},
      {"user B's sandbox", sandbox_b.ip, kAppPort, false},
      {"user B's app server", app_b.ip, kAppPort, false},
      {"the metadata address", kImds, 80, false},
      {"the admin port on its network's gateway address", host_a, kAdminPort, false},
      {"the admin port on the host's uplink address", kUplinkHost, kAdminPort, false},
  };
  for (const Probe& p : probes) {
    ASSERT_TRUE(oh::testing::eventually([&] { return from(sandbox_a, p.ip, p.port) == 200; }, std::chrono::seconds(20)))
        << "without the rules, sandbox A does not reach " << p.what << " (" << p.ip << ":" << p.port << "): the set-up is broken";
  }
  // The sandbox API: app server A is served; sandbox A, on the same network, is closed unread.
  EXPECT_EQ(from(app_a, host_a, kSandboxApiPort), 200);
  EXPECT_EQ(from(sandbox_a, host_a, kSandboxApiPort), 0);
  EXPECT_EQ(from(sandbox_b, host_a, kSandboxApiPort), 0);
  EXPECT_GE(api_metrics_.refusedPeers(), 2u);

  // With the rules (installed twice: the second run changes nothing).
  ASSERT_EQ(installFirewall(), 0);
  const std::string rules = rulesNow();
  ASSERT_EQ(installFirewall(), 0);
  EXPECT_EQ(rulesNow(), rules);
  EXPECT_NE(rules.find("-d 169.254.169.254/32 -i ohu+ -j DROP"), std::string::npos) << rules;
  EXPECT_NE(rules.find("-d fd00:ec2::254/128 -i ohu+ -j DROP"), std::string::npos) << rules;
  for (const Probe& p : probes) {
    EXPECT_EQ(from(sandbox_a, p.ip, p.port), p.allowed ? 200 : 0) << "with the rules, sandbox A and " << p.what;
  }
  // And the other way round, and the sandbox API as before.
  EXPECT_EQ(from(sandbox_b, app_a.ip, kAppPort), 0) << "sandbox B reaches user A's app server";
  EXPECT_EQ(from(sandbox_b, app_b.ip, kAppPort), 200) << "sandbox B no longer reaches its own app server";
  EXPECT_EQ(from(app_a, host_a, kSandboxApiPort), 200) << "app server A no longer reaches the sandbox API";
  const std::uint64_t refused_before = api_metrics_.refusedPeers();
  EXPECT_EQ(from(sandbox_a, host_a, kSandboxApiPort), 0);
  EXPECT_EQ(api_metrics_.refusedPeers(), refused_before + 1);
}

// The script on its own, in a fresh namespace: shellcheck finds nothing; hostile or malformed
// arguments (a newline that would smuggle a rule into iptables-restore, a bad port, a bad CIDR)
// exit 2 or fail and leave no rule; --remove leaves nothing, twice in a row.
TEST(SandboxFirewallScript, RefusesBadArgumentsAndRemovesCleanly) {
  if (::geteuid() != 0 || runCommand({"sh", "-c", "command -v iptables && command -v unshare"}) != 0) {
    GTEST_SKIP() << "needs root, iptables and unshare";
  }
  if (runCommand({"sh", "-c", "command -v shellcheck"}) == 0) {
    EXPECT_EQ(runCommand({"shellcheck", "--severity=style", OH_FIREWALL_SCRIPT}), 0);
  }
  // Runs the script with arguments in a new namespace; then counts the mangle rules left there.
  const auto ruleCount = [](const std::string& arguments) {
    const std::string script = std::string(OH_FIREWALL_SCRIPT);
    char out[] = "/tmp/oh-fw-count-XXXXXX";
    const int fd = ::mkstemp(out);
    ::close(fd);
    const int rc = runCommand({"unshare", "-n", "sh", "-c",
                               "bash '" + script + "' " + arguments + " >/dev/null 2>&1; rc=$?; "
                               "{ iptables-save -t mangle; ip6tables-save -t mangle; } | grep -c '^-A' >'" + out + "'; exit $rc"});
    std::ifstream in(out);
    int count = -1;
    in >> count;
    ::unlink(out);
    return std::pair{rc, count};
  };
  const auto installed = ruleCount("--api-port 9300 --deny-cidr 10.0.0.0/16");
  EXPECT_EQ(installed.first, 0);
  EXPECT_GT(installed.second, 20);
  for (const char* bad : {"--cred-port 0", "--cred-port 65536", "--api-port x", "--deny-cidr '10.0.0.0/8\n-A INPUT -j ACCEPT'",
                          "--cred-address '1.2.3.4 -j ACCEPT'", "--cred-interface 'a/b'", "--deny-cidr 10.0.0.0/33",
                          "--deny-cidr 300.1.1.1/8", "--unknown", "--cred-port"}) {
    const auto result = ruleCount(bad);
    EXPECT_NE(result.first, 0) << bad;
    EXPECT_EQ(result.second, 0) << bad;
  }
  EXPECT_EQ(ruleCount("--api-port 9300; bash '" + std::string(OH_FIREWALL_SCRIPT) + "' --remove; bash '" +
                      std::string(OH_FIREWALL_SCRIPT) + "' --remove"),
            std::pair(0, 0));
}

}  // namespace
}  // namespace oh::control
