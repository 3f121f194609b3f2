// The one-machine deployment: deploy/local/compose.yaml validated by a real Compose
// implementation (docker-compose config), and start-services.sh's answer when no engine can run.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;

int run(const std::string& command, std::string& output) {
  const fs::path out = fs::temp_directory_path() / ("oh-local-test-" + std::to_string(::getpid()) + ".txt");
  const int status = std::system((command + " >'" + out.string() + "' 2>&1").c_str());
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  output = text.str();
  fs::remove(out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// This test verifies the compose file is valid Compose and resolves its variables.
TEST(LocalDeploymentTest, ComposeFileIsValid) {
  if (std::system("command -v docker-compose >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "docker-compose (Debian package) is not installed";
  }
  std::string output;
  ASSERT_EQ(run(std::string("cd / && OH_STATE=/srv/oh OH_PORT=18080 OH_UID=1234 OH_GID=1235 DOCKER_GID=994 "
                            "docker-compose -f '") +
                    OH_LOCAL_COMPOSE + "' config",
                output),
            0)
      << output;
  // The gateway runs as the owner of the state folder, reads the engine socket (read-only) by group.
  EXPECT_NE(output.find("user: 1234:1235"), std::string::npos) << output;
  EXPECT_NE(output.find("- '994'"), std::string::npos) << output;
  EXPECT_NE(output.find("/var/run/docker.sock:/var/run/docker.sock:ro"), std::string::npos) << output;
  EXPECT_NE(output.find("network_mode: host"), std::string::npos) << output;
  EXPECT_NE(output.find("/srv/oh/gateway.toml:/etc/oh-gateway/gateway.toml:ro"), std::string::npos) << output;
  // The state folder at the same path: the engine binds its host paths into users' containers.
  EXPECT_NE(output.find("/srv/oh:/srv/oh"), std::string::npos) << output;
  EXPECT_NE(output.find("restart: always"), std::string::npos) << output;
  // The gateway is the only service: it starts every account's OpenHands itself.
  EXPECT_EQ(output.find("openhands-app"), std::string::npos) << output;
  EXPECT_EQ(output.find("docker.openhands.dev"), std::string::npos) << output;
}

// This test verifies a missing OH_STATE is refused by Compose itself (the :? guard).
TEST(LocalDeploymentTest, ComposeNeedsTheStateDirectory) {
  if (std::system("command -v docker-compose >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "docker-compose (Debian package) is not installed";
  }
  std::string output;
  EXPECT_NE(run(std::string("cd / && env -u OH_STATE docker-compose -f '") + OH_LOCAL_COMPOSE + "' config", output), 0);
  EXPECT_NE(output.find("OH_STATE"), std::string::npos) << output;
}

// This test verifies that with no container engine the script says what is missing and exits 3.
TEST(LocalDeploymentTest, NoEngineGivesExitCode3) {
  const fs::path bin = fs::temp_directory_path() / ("oh-no-engine-" + std::to_string(::getpid()));
  fs::create_directories(bin);
  for (const char* tool : {"bash", "dirname", "env", "cat", "mkdir", "sed"}) {
    std::string path;
    run(std::string("command -v ") + tool, path);
    path.erase(path.find_last_not_of('\n') + 1);
    fs::create_symlink(path, bin / tool);
  }
  std::string output;
  const int code = run("env PATH='" + bin.string() + "' bash '" + OH_LOCAL_START + "' /tmp/oh-state 8080", output);
  fs::remove_all(bin);
  EXPECT_EQ(code, 3) << output;
  EXPECT_NE(output.find("neither Docker nor Podman"), std::string::npos) << output;
  EXPECT_NE(output.find("oh-gateway runs alone"), std::string::npos) << output;
  // Exactly what to install, and the pinned images it must be able to pull.
  EXPECT_NE(output.find("apt-get install -y podman podman-compose && systemctl enable --now podman.socket"),
            std::string::npos) << output;
  EXPECT_NE(output.find("docker.openhands.dev/openhands/openhands:1.7.0"), std::string::npos) << output;
  EXPECT_NE(output.find("ghcr.io/openhands/agent-server:1.20.1-python"), std::string::npos) << output;
}

// This test verifies a relative state directory is a usage error (exit 2), not a silent mount.
TEST(LocalDeploymentTest, RelativeStateIsUsageError) {
  std::string output;
  EXPECT_EQ(run(std::string("bash '") + OH_LOCAL_START + "' .local", output), 2) << output;
}

}  // namespace
