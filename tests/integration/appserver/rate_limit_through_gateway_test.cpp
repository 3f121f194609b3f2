// OpenHands' per-client rate limit behind the gateway (issue 14; docs/instance.md, "The rate
// limit and the gateway"): the real data plane in this process routes a signed-in user to the
// app-server stand-in's binary, run as a process with FORWARDED_ALLOW_IPS set to the address the
// gateway reaches it from, as the pool sets it (here 127.0.0.1). Two clients of one user (two
// addresses, named to the gateway by a trusted proxy at 127.0.0.3 as the ALB does, after an
// entry each client wrote itself) are limited apart, and a
// peer that is not the gateway (127.0.0.2, as a sandbox on the user's network would be) is not
// believed when it writes X-Forwarded-For itself. The stand-in's access log names the key each
// request was counted under.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "auth/cookies.h"
#include "http/gateway_server.h"
#include "routing/gateway_gate.h"
#include "sandbox/user_key.h"
#include "support/child_processes.h"
#include "support/fake_app_servers.h"
#include "support/raw_client.h"

namespace oh::gateway {
namespace {

using namespace std::chrono_literals;

const std::string kAlice = control::userKeyForSubject("alice");

// The session is the test cookie "who=NAME" (sign-in itself is tested elsewhere).
class CookieSignIn final : public SignIn {
public:
  void authenticate(const GateRequest& request, HostRole, bool, Done done) override {
    const auto found = auth::findCookies(request.cookie, "who");
    AuthOutcome outcome;
    if (found.size() != 1) {
      ErrorReply reply;
      reply.status = 401;
      outcome.decision = GateDecision::answer(std::move(reply), "test: no session");
      return done(std::move(outcome));
    }
    outcome.identity = Identity{std::string(found.front()), "", false};
    outcome.plan.user = outcome.identity->sub;
    done(std::move(outcome));
  }
};

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// One request from a chosen source address (127.0.0.2 and .3 are on lo like 127.0.0.1) to
// 127.0.0.1:port; the response's status, or 0.
int statusFrom(const char* source, std::uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return 0;
  }
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string answer;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0 &&
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buffer[512];
    ssize_t n = 0;
    while (answer.find("\r\n") == std::string::npos && (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) {
      answer.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return answer.starts_with("HTTP/1.1 ") && answer.size() >= 12 ? std::atoi(answer.substr(9, 3).c_str()) : 0;
}

class RateLimitThroughGatewayTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("oh-ratelimit-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
    std::filesystem::create_directories(dir_ / "persistence");
    const int out = ::open((dir_ / "access.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const int err = ::open((dir_ / "server.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(out, 0);
    ASSERT_GE(err, 0);
    standin_ = oh::testing::spawnProcess(
        {"env", "-i", "RUNTIME=remote", "SANDBOX_API_KEY=test-sandbox-api-key",
         "SANDBOX_REMOTE_RUNTIME_API_URL=http://127.0.0.1:9", "OH_PERSISTENCE_DIR=" + (dir_ / "persistence").string(),
         "HOME=" + dir_.string(), "FORWARDED_ALLOW_IPS=127.0.0.1", OH_APPSERVER_STANDIN_BINARY, "--host", "127.0.0.1",
         "--port", "0"},
        out, err);
    ::close(out);
    ::close(err);
    ASSERT_GT(standin_, 0);
    const std::regex running("Uvicorn running on http://127\\.0\\.0\\.1:([0-9]+)");
    for (int i = 0; i < 500 && standin_port_ == 0; ++i) {
      std::smatch match;
      const std::string log = readFile(dir_ / "server.log");
      if (std::regex_search(log, match, running)) {
        standin_port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
      } else {
        std::this_thread::sleep_for(20ms);
      }
    }
    ASSERT_NE(standin_port_, 0) << readFile(dir_ / "server.log");

    auto settings = std::make_shared<Settings>();
    settings->server.listen_address = "127.0.0.1";
    settings->server.listen_port = 0;
    settings->server.threads = 2;
    settings->origin.enabled = false;
    settings->rate_limit.enabled = false;  // OpenHands' limit is under test, not the gateway's
    settings->rate_limit.trusted_proxies = {"127.0.0.3/32"};  // the ALB's role: it names the client
    settings->admin.enabled = false;
    settings->log.access_log = false;
    settings->auth.provider = AuthProvider::local;
    settings->upstream.url = "http://127.0.0.1:1";
    settings->upstream.host = "127.0.0.1";
    settings->upstream.port = 1;
    servers_->setReady(kAlice, "127.0.0.1", standin_port_);
    auto router = std::make_shared<const AppServerRouter>(servers_, nullptr);
    auto gate = std::make_shared<GatewayGate>(settings, std::make_shared<CookieSignIn>(), nullptr, nullptr, router);
    auto built = buildSnapshot(settings, nullptr, [gate](const SettingsPtr&) { return RequestGatePtr(gate); });
    ASSERT_TRUE(std::holds_alternative<SnapshotPtr>(built)) << std::get<std::string>(built);
    server_ = std::make_unique<GatewayServer>(std::get<SnapshotPtr>(built), metrics_);
    ASSERT_EQ(server_->start(), std::nullopt);
    gateway_port_ = server_->listenAddress().port;
  }

  void TearDown() override {
    if (server_) {
      server_->stop();
    }
    oh::testing::terminateProcess(standin_, 2s);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // How many requests the stand-in counted under each key (its access log's "client").
  std::map<std::string, int> keysCounted() const {
    std::map<std::string, int> keys;
    const std::string log = readFile(dir_ / "access.log");
    const std::regex client("\"client\":\"([^\"]*)\"");
    for (auto it = std::sregex_iterator(log.begin(), log.end(), client); it != std::sregex_iterator(); ++it) {
      ++keys[(*it)[1]];
    }
    return keys;
  }

  std::filesystem::path dir_;
  pid_t standin_ = -1;
  std::uint16_t standin_port_ = 0;
  Metrics metrics_;
  std::shared_ptr<testing::FakeAppServers> servers_ = std::make_shared<testing::FakeAppServers>();
  std::unique_ptr<GatewayServer> server_;
  std::uint16_t gateway_port_ = 0;
};

// This test verifies two clients of one user, through the gateway to one app server, are
// limited apart: a burst of 25 from one is refused in part (429 past 20 a second) while 5 from the
// other, sent at the same time, all pass; and the server counted each under its own address,
// never under the gateway's.
TEST_F(RateLimitThroughGatewayTest, TwoClientsOfOneUserAreLimitedApart) {
  std::atomic<int> busy_refused{0};
  std::atomic<int> quiet_ok{0};
  std::vector<std::thread> clients;
  // From the "ALB" at 127.0.0.3, which names the client in X-Forwarded-For as the last hop.
  const auto send = [this](const std::string& client) {
    return statusFrom("127.0.0.3", gateway_port_,
                      "GET /alive HTTP/1.1\r\nHost: oh.example.com\r\nCookie: who=alice\r\nX-Forwarded-For: 198.51.100.99, " +
                          client + "\r\nConnection: close\r\n\r\n");
  };
  for (int i = 0; i < 25; ++i) {
    clients.emplace_back([&] { busy_refused += send("203.0.113.1") == 429 ? 1 : 0; });
  }
  for (int i = 0; i < 5; ++i) {
    clients.emplace_back([&] { quiet_ok += send("203.0.113.2") == 200 ? 1 : 0; });
  }
  for (auto& client : clients) {
    client.join();
  }
  EXPECT_GE(busy_refused.load(), 1) << "25 requests within a second from one client: some are refused";
  EXPECT_EQ(quiet_ok.load(), 5) << "the other client has a bucket of its own";
  const auto keys = keysCounted();
  EXPECT_EQ(keys.count("203.0.113.1") ? keys.at("203.0.113.1") : 0, 25);
  EXPECT_EQ(keys.count("203.0.113.2") ? keys.at("203.0.113.2") : 0, 5);
  EXPECT_EQ(keys.size(), 2u) << "none under the gateway's or the ALB's address, none under the client's own claim";
}

// This test verifies a peer that is not the gateway (a sandbox on the user's network) gains
// nothing by writing X-Forwarded-For: a new address in each of 25 requests, and all are counted
// under its own address and refused past the limit.
TEST_F(RateLimitThroughGatewayTest, XForwardedForFromAnotherPeerIsNotBelieved) {
  std::atomic<int> refused{0};
  std::vector<std::thread> spoofers;
  for (int i = 0; i < 25; ++i) {
    spoofers.emplace_back([&, i] {
      const std::string request = "GET /alive HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: 198.51.100." +
                                  std::to_string(i + 1) + "\r\nConnection: close\r\n\r\n";
      refused += statusFrom("127.0.0.2", standin_port_, request) == 429 ? 1 : 0;
    });
  }
  for (auto& spoofer : spoofers) {
    spoofer.join();
  }
  EXPECT_GE(refused.load(), 1);
  const auto keys = keysCounted();
  EXPECT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys.count("127.0.0.2") ? keys.at("127.0.0.2") : 0, 25);
}

}  // namespace
}  // namespace oh::gateway
