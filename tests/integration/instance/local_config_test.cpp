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
  EXPECT_EQ(checkConfig(), 0) << output_;
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

}  // namespace
