// The one-machine deployment's configuration: deploy/local/write-config.sh (what
// scripts/run-local.sh runs first) writes the keys, the accounts file and gateway.toml into a
// scratch state folder, and the real oh-gateway binary checks the result (`check-config`) and
// adds the first account as run-local tells the user to.

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "support/gateway_process.h"
#include "support/raw_client.h"

namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

unsigned modeOf(const fs::path& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777u) : 0u;
}

std::string quoted(const std::string& text) { return "'" + text + "'"; }

// The oh-gateway binary of this build, or $OH_GATEWAY_BIN.
std::string gatewayBinary() {
  const char* override = std::getenv("OH_GATEWAY_BIN");
  return override != nullptr && *override != '\0' ? override : OH_GATEWAY_BIN;
}

class LocalConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(gatewayBinary())) << gatewayBinary() << " is missing: build the oh-gateway target";
    std::string pattern = (fs::temp_directory_path() / "oh-local-config-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    work_ = pattern;
    state_ = work_ / "state";
  }
  void TearDown() override {
    if (socket_fd_ >= 0) {
      ::close(socket_fd_);
    }
    fs::remove_all(work_);
  }

  // Runs a shell command; returns its exit status, its output in output_.
  int run(const std::string& command) {
    const fs::path out = work_ / "output.txt";
    const int status = std::system((command + " >" + quoted(out.string()) + " 2>&1").c_str());
    output_ = readFile(out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  // write-config.sh with DOCKER_SOCKET set to `socket` (a path with no socket: runtime off).
  int writeConfig(const std::string& args, const std::string& socket = "/nonexistent/engine.sock") {
    return run("env DOCKER_SOCKET=" + quoted(socket) + " bash " + quoted(OH_LOCAL_WRITE_CONFIG) + " " + args);
  }
  int checkConfig() { return run(quoted(gatewayBinary()) + " check-config " + quoted((state_ / "gateway.toml").string())); }

  // A listening Unix socket standing in for the Docker or Podman API socket.
  std::string engineSocket() {
    const fs::path path = work_ / "engine.sock";
    socket_fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    EXPECT_GE(socket_fd_, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    EXPECT_EQ(::bind(socket_fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(::listen(socket_fd_, 1), 0);
    return path.string();
  }

  fs::path work_;
  fs::path state_;
  std::string output_;
  int socket_fd_ = -1;
};

bool isHexKey(const std::string& text) {
  if (text.size() != 65 || text.back() != '\n') {
    return false;
  }
  for (std::size_t i = 0; i < 64; ++i) {
    if (std::isxdigit(static_cast<unsigned char>(text[i])) == 0) {
      return false;
    }
  }
  return true;
}

// This test verifies the first run makes two distinct 32-byte keys (64 hex digits, 0600), an
// accounts file, and a gateway.toml that oh-gateway accepts: local sign-in over plain http.
TEST_F(LocalConfigTest, FirstRunWritesKeysAccountsAndAValidConfig) {
  ASSERT_EQ(writeConfig(quoted(state_.string()) + " 18080"), 0) << output_;
  EXPECT_EQ(modeOf(state_), 0700u);
  const std::string cookie = readFile(state_ / "keys/cookie-key");
  const std::string ticket = readFile(state_ / "keys/ticket-key");
  EXPECT_TRUE(isHexKey(cookie)) << cookie;
  EXPECT_TRUE(isHexKey(ticket)) << ticket;
  EXPECT_NE(cookie, ticket);
  for (const char* name : {"keys/cookie-key", "keys/ticket-key", "users", "gateway.toml"}) {
    EXPECT_EQ(modeOf(state_ / name), 0600u) << name;
  }
  const std::string toml = readFile(state_ / "gateway.toml");
  EXPECT_EQ(toml.find('@'), std::string::npos) << toml;
  EXPECT_NE(toml.find("provider = \"local\"\n"), std::string::npos);
  EXPECT_NE(toml.find("users_file = \"" + (state_ / "users").string() + "\"\n"), std::string::npos);
  EXPECT_NE(toml.find("cookie_secure = false\n"), std::string::npos);
  EXPECT_NE(toml.find("listen_port = 18080\n"), std::string::npos);
  EXPECT_NE(toml.find("[runtime]\nenabled = false\n"), std::string::npos) << toml;
  // One OpenHands per account stays off until an engine can run the images.
  EXPECT_NE(toml.find("[sandbox]\nenabled = false\n"), std::string::npos) << toml;
  EXPECT_NE(toml.find("[appserver]\nenabled = false\n"), std::string::npos) << toml;
  EXPECT_EQ(checkConfig(), 0) << output_;
}

// This test verifies --multi-user (what start-services.sh passes once an engine can run the
// pinned images) gives a configuration oh-gateway accepts with the sandbox API and one app
// server per account on: SQLite and folders under the state folder, the pinned images, the
// owner policy, keys of their own (0600); and that it turns them on in an existing file too.
TEST_F(LocalConfigTest, MultiUserTurnsOnSandboxesAndAppServers) {
  const std::string socket = engineSocket();
  ASSERT_EQ(writeConfig(quoted(state_.string()) + " 18080", socket), 0) << output_;
  const std::string single = readFile(state_ / "gateway.toml");
  ASSERT_EQ(writeConfig("--multi-user " + quoted(state_.string()) + " 18080", socket), 0) << output_;
  for (const fs::path& path : {state_ / "gateway.toml", state_ / "fresh.toml"}) {
    if (path.filename() == "fresh.toml") {
      fs::remove_all(state_ / "gateway.toml");
      ASSERT_EQ(writeConfig("--multi-user " + quoted(state_.string()) + " 18080", socket), 0) << output_;
    }
    const std::string toml = readFile(state_ / "gateway.toml");
    EXPECT_NE(toml.find("[sandbox]\nenabled = true\n"), std::string::npos) << toml;
    EXPECT_NE(toml.find("[appserver]\nenabled = true\n"), std::string::npos) << toml;
    EXPECT_NE(toml.find("access = \"owner\"\n"), std::string::npos) << toml;
    EXPECT_NE(toml.find("store_url = \"sqlite://" + (state_ / "sandboxes.db").string() + "\"\n"), std::string::npos) << toml;
    EXPECT_NE(toml.find("allowed_images = [\"ghcr.io/openhands/agent-server:1.20.1-python\"]\n"), std::string::npos) << toml;
    EXPECT_NE(toml.find("image = \"docker.openhands.dev/openhands/openhands:1.7.0\"\n"), std::string::npos) << toml;
    EXPECT_NE(toml.find("data_root = \"" + (state_ / "users.d").string() + "\"\n"), std::string::npos) << toml;
    EXPECT_NE(toml.find("web_url = \"http://openhands.localhost:18080\"\n"), std::string::npos) << toml;
    EXPECT_EQ(checkConfig(), 0) << output_ << toml;
  }
  EXPECT_NE(single, readFile(state_ / "gateway.toml"));
  for (const char* name : {"keys/sandbox-key", "keys/sandbox-seal-key", "keys/appserver-key"}) {
    EXPECT_TRUE(isHexKey(readFile(state_ / name))) << name;
    EXPECT_EQ(modeOf(state_ / name), 0600u) << name;
  }
  EXPECT_NE(readFile(state_ / "keys/sandbox-key"), readFile(state_ / "keys/appserver-key"));
  EXPECT_EQ(modeOf(state_ / "workspaces"), 0700u);
  EXPECT_EQ(modeOf(state_ / "users.d"), 0700u);
}

// This test verifies a gateway.toml from before one OpenHands per account (no [appserver]) is
// moved aside by --multi-user and written anew, keys and accounts kept.
TEST_F(LocalConfigTest, MultiUserReplacesAConfigWithoutAppServers) {
  ASSERT_EQ(writeConfig(quoted(state_.string())), 0) << output_;
  const std::string cookie = readFile(state_ / "keys/cookie-key");
  std::string old = readFile(state_ / "gateway.toml");
  old = old.substr(0, old.find("\n[sandbox]"));
  std::ofstream(state_ / "gateway.toml", std::ios::trunc) << old;
  ASSERT_EQ(writeConfig("--multi-user " + quoted(state_.string())), 0) << output_;
  EXPECT_EQ(readFile(state_ / "gateway.toml.before-multi-user"), old);
  EXPECT_NE(readFile(state_ / "gateway.toml").find("[appserver]\nenabled = true\n"), std::string::npos);
  EXPECT_EQ(readFile(state_ / "keys/cookie-key"), cookie);
}

// This test verifies later runs keep the keys and an edited gateway.toml as they are.
TEST_F(LocalConfigTest, KeysAndEditsAreKeptAcrossRuns) {
  ASSERT_EQ(writeConfig(quoted(state_.string())), 0) << output_;
  const std::string cookie = readFile(state_ / "keys/cookie-key");
  const std::string ticket = readFile(state_ / "keys/ticket-key");
  std::ofstream(state_ / "gateway.toml", std::ios::app) << "# edited by hand\n";
  ASSERT_EQ(writeConfig(quoted(state_.string()) + " 9999"), 0) << output_;
  EXPECT_EQ(readFile(state_ / "keys/cookie-key"), cookie);
  EXPECT_EQ(readFile(state_ / "keys/ticket-key"), ticket);
  const std::string toml = readFile(state_ / "gateway.toml");
  EXPECT_NE(toml.find("# edited by hand\n"), std::string::npos);
  EXPECT_NE(toml.find("listen_port = 8080\n"), std::string::npos);
}

// This test verifies runtime apps are switched on, with the socket found, when an engine's API
// socket exists, and that oh-gateway accepts the *.localhost runtime suffix.
TEST_F(LocalConfigTest, RuntimeAppsOnWhenAnEngineSocketExists) {
  const std::string socket = engineSocket();
  ASSERT_EQ(writeConfig(quoted(state_.string()), socket), 0) << output_;
  const std::string toml = readFile(state_ / "gateway.toml");
  EXPECT_NE(toml.find("[runtime]\nenabled = true\n"), std::string::npos) << toml;
  EXPECT_NE(toml.find("docker_socket = \"" + socket + "\"\n"), std::string::npos) << toml;
  EXPECT_NE(toml.find("host_suffixes = [\"runtime.openhands.localhost\"]\n"), std::string::npos) << toml;
  EXPECT_EQ(checkConfig(), 0) << output_;
}

// This test verifies a gateway.toml from before sign-in existed is moved aside and replaced.
TEST_F(LocalConfigTest, ConfigFromBeforeSignInIsReplaced) {
  fs::create_directories(state_);
  std::ofstream(state_ / "gateway.toml") << "mode = \"local\"\n[origin]\nenabled = false\n";
  ASSERT_EQ(writeConfig(quoted(state_.string())), 0) << output_;
  EXPECT_EQ(readFile(state_ / "gateway.toml.before-sign-in"), "mode = \"local\"\n[origin]\nenabled = false\n");
  EXPECT_NE(readFile(state_ / "gateway.toml").find("\n[auth]\n"), std::string::npos);
  EXPECT_EQ(checkConfig(), 0) << output_;
}

// This test verifies the first account is made exactly as run-local says, and the
// configuration still checks with it.
TEST_F(LocalConfigTest, FirstAccountAsRunLocalSays) {
  ASSERT_EQ(writeConfig(quoted(state_.string())), 0) << output_;
  const std::string users = (state_ / "users").string();
  ASSERT_EQ(run("printf 'correct horse battery staple\\n' | " + quoted(gatewayBinary()) + " users add alice --file " +
                quoted(users) + " --password-stdin"),
            0)
      << output_;
  ASSERT_EQ(run(quoted(gatewayBinary()) + " users list --file " + quoted(users)), 0) << output_;
  EXPECT_EQ(output_, "alice\n");
  EXPECT_EQ(modeOf(users), 0600u);
  EXPECT_EQ(checkConfig(), 0) << output_;
}

// This test verifies bad arguments are usage errors that write nothing.
TEST_F(LocalConfigTest, BadArgumentsAreRefused) {
  for (const std::string& args :
       {std::string("relative/state"), quoted(state_.string()) + " 0", quoted(state_.string()) + " 65536",
        quoted(state_.string()) + " 80a", quoted(state_.string()) + " 8080 " + quoted("http://x\"\n[auth]"),
        quoted(state_.string()) + " 8080 https://upstream.example.com", quoted(state_.string() + "\"x"),
        quoted(state_.string() + "|x"), quoted(state_.string() + "\\x")}) {
    EXPECT_EQ(writeConfig(args), 2) << args << "\n" << output_;
    EXPECT_FALSE(fs::exists(state_)) << args;
  }
  EXPECT_EQ(writeConfig(quoted(state_.string()), "/tmp/engine sock\"x"), 2) << output_;
  EXPECT_FALSE(fs::exists(state_));
}

// A minimal browser for the local sign-in: keeps cookies, sends navigations and form posts.
class LocalBrowser {
 public:
  LocalBrowser(std::uint16_t port, std::string host) : port_(port), host_(std::move(host)) {}
  std::optional<oh::testing::RawResponse> get(const std::string& target) {
    return send("GET", target, {{"Accept", "text/html"}, {"Sec-Fetch-Mode", "navigate"}}, "");
  }
  std::optional<oh::testing::RawResponse> postForm(const std::string& target, const std::string& body) {
    return send("POST", target,
                {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "text/html"},
                 {"Sec-Fetch-Mode", "navigate"}, {"Origin", "http://" + host_}},
                body);
  }

 private:
  std::optional<oh::testing::RawResponse> send(const std::string& method, const std::string& target,
                                               oh::testing::Headers headers, const std::string& body) {
    std::string cookies;
    for (const auto& [name, value] : jar_) {
      cookies += (cookies.empty() ? "" : "; ") + name + "=" + value;
    }
    if (!cookies.empty()) {
      headers.push_back({"Cookie", cookies});
    }
    auto response = oh::testing::simpleRequest(port_, method, target, headers, body, host_);
    if (response) {
      for (const auto& field : response->headers) {
        if (oh::testing::equalsIgnoreCase(field.name, "Set-Cookie")) {
          const std::string pair = field.value.substr(0, field.value.find(';'));
          const auto eq = pair.find('=');
          if (eq != std::string::npos && eq + 1 < pair.size()) {
            jar_[pair.substr(0, eq)] = pair.substr(eq + 1);
          }
        }
      }
    }
    return response;
  }
  std::uint16_t port_;
  std::string host_;
  std::map<std::string, std::string> jar_;
};

std::string formEncode(const std::string& text) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += "0123456789ABCDEF"[c >> 4];
      out += "0123456789ABCDEF"[c & 15];
    }
  }
  return out;
}

// This test verifies the configuration run-local writes actually serves: oh-gateway starts on
// it, sends an unsigned browser to the login page, signs in the first account made as
// run-local says (with the generated cookie key), and then proxies to OpenHands (down here: 502).
TEST_F(LocalConfigTest, GatewayStartsAndSignsInTheFirstAccount) {
  // An upstream port nothing listens on, so a signed-in request ends in a deterministic 502.
  const std::string upstream = "http://127.0.0.1:" + std::to_string(oh::testing::unusedPort());
  ASSERT_EQ(writeConfig(quoted(state_.string()) + " 18080 " + upstream), 0) << output_;
  ASSERT_EQ(run("printf 'correct horse battery staple\\n' | " + quoted(gatewayBinary()) + " users add alice --file " +
                quoted((state_ / "users").string()) + " --password-stdin"),
            0)
      << output_;
  // The file as written, with ephemeral ports (the Host header keeps the configured one).
  const std::string toml =
      std::regex_replace(readFile(state_ / "gateway.toml"), std::regex("listen_port = [0-9]+"), "listen_port = 0");
  oh::testing::GatewayProcess gateway(gatewayBinary());
  const auto error = gateway.start(toml);
  ASSERT_FALSE(error) << *error;

  LocalBrowser browser(gateway.port(), "openhands.localhost:18080");
  auto first = browser.get("/");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 302);
  EXPECT_NE(first->header("Location").value_or("").find("/_gateway/login"), std::string::npos);
  auto page = browser.get("/_gateway/login?rd=%2F");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  std::smatch csrf;
  ASSERT_TRUE(std::regex_search(page->body, csrf, std::regex("name=\"csrf\" value=\"([^\"]+)\"")));
  auto signed_in = browser.postForm("/_gateway/login", "username=alice&password=" +
                                                           formEncode("correct horse battery staple") +
                                                           "&rd=%2F&csrf=" + formEncode(csrf[1].str()));
  ASSERT_TRUE(signed_in);
  EXPECT_EQ(signed_in->status, 302) << signed_in->body;
  auto app = browser.get("/");
  ASSERT_TRUE(app);
  EXPECT_EQ(app->status, 502) << app->body;
  gateway.stop();
}

}  // namespace
