// The systemd units the user data installs, checked by systemd itself (systemd-analyze verify)
// in a scratch root: the distribution's units, ours, and empty executables where ours point
// (verify only checks that they exist), plus a stand-in docker.service that AL2023 provides.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway_image_files.h"
#include "instance/embedded_files.h"

namespace oh::infra::instance {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUnits[] = {"oh-prepare.service", "oh-db-tls.service", "oh-gateway.service",
                                  "oh-pull-images.service"};

class SystemdUnitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v systemd-analyze >/dev/null 2>&1") != 0 || !fs::is_directory("/lib/systemd/system")) {
      GTEST_SKIP() << "systemd-analyze and /lib/systemd/system are needed";
    }
    std::string pattern = (fs::temp_directory_path() / "oh-units-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    fs::create_directories(root_ / "usr/lib/systemd");
    fs::copy("/lib/systemd/system", root_ / "usr/lib/systemd/system", fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    fs::create_directories(root_ / "etc/systemd/system");
    for (const char* unit : kUnits) {
      std::ofstream(root_ / "etc/systemd/system" / unit) << *embeddedFile(unit);
    }
    std::ofstream(root_ / "etc/systemd/system/docker.service") << "[Service]\nExecStart=/usr/bin/docker\n";
    for (const char* exe : {"usr/bin/docker", "usr/bin/stunnel", "bin/sh", "opt/openhands/bin/boot-services.sh"}) {
      fs::create_directories((root_ / exe).parent_path());
      std::ofstream(root_ / exe) << "#!/bin/sh\n";
      fs::permissions(root_ / exe, fs::perms::owner_all);
    }
  }
  void TearDown() override {
    if (!root_.empty()) {
      fs::remove_all(root_);
    }
  }

  int verify(std::string& output) {
    std::string command = "systemd-analyze verify --man=no --root='" + root_.string() + "'";
    for (const char* unit : kUnits) {
      command += std::string(" ") + unit;
    }
    const auto out = root_ / "verify.txt";
    const int status = std::system((command + " >'" + out.string() + "' 2>&1").c_str());
    std::ifstream in(out);
    std::stringstream text;
    text << in.rdbuf();
    output = text.str();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  fs::path root_;
};

// This test verifies systemd accepts every unit with no warning.
TEST_F(SystemdUnitsTest, UnitsVerify) {
  std::string output;
  EXPECT_EQ(verify(output), 0) << output;
  EXPECT_EQ(output, "");
}

// This test verifies the check catches a broken unit (unbalanced quoting in ExecStart).
TEST_F(SystemdUnitsTest, BrokenUnitIsCaught) {
  std::ofstream(root_ / "etc/systemd/system/oh-pull-images.service", std::ios::app)
      << "[Service]\nExecStartPost=/usr/bin/docker \"unbalanced\n";
  std::string output;
  EXPECT_NE(verify(output), 0);
  EXPECT_NE(output.find("Unbalanced quoting"), std::string::npos) << output;
}

// The docker run of a unit as one line (continuations joined).
std::string execStart(std::string_view unit) {
  std::string text(*embeddedFile(unit));
  for (auto at = text.find("\\\n"); at != std::string::npos; at = text.find("\\\n", at)) {
    text.replace(at, 2, " ");
  }
  const auto begin = text.find("\nExecStart=");
  return begin == std::string::npos ? "" : text.substr(begin + 1, text.find('\n', begin + 1) - begin - 1);
}

// This test verifies the gateway container runs as its own uid (which owns its secrets) with the
// Docker socket's group and the socket mounted read-only, EFS at the same path (Docker binds
// host paths) and the store's password file; and that it is the only container the units start
// (no single OpenHands, no Watchtower: nothing else holds the Docker socket).
TEST(ServiceCommandsTest, OnlyTheGatewayContainerHoldsTheDockerSocket) {
  const std::string gateway = execStart("oh-gateway.service");
  EXPECT_NE(gateway.find("--user ${GATEWAY_UID}:${GATEWAY_UID}"), std::string::npos) << gateway;
  EXPECT_NE(gateway.find("--group-add ${DOCKER_GID}"), std::string::npos) << gateway;
  EXPECT_NE(gateway.find("-v /var/run/docker.sock:/var/run/docker.sock:ro"), std::string::npos) << gateway;
  EXPECT_NE(gateway.find("-v /etc/openhands/secrets/gateway:/etc/oh-gateway/secrets:ro"), std::string::npos) << gateway;
  EXPECT_EQ(gateway.find("/etc/openhands/secrets:"), std::string::npos) << gateway;
  EXPECT_NE(std::string(*embeddedFile("oh-gateway.service")).find("EnvironmentFile=/etc/openhands/gateway.env\n"),
            std::string::npos);
  EXPECT_NE(gateway.find("-v /data/openhands:/data/openhands "), std::string::npos) << gateway;
  EXPECT_NE(gateway.find("-e PGPASSFILE=/etc/oh-gateway/secrets/pgpass "), std::string::npos) << gateway;
  // What [appserver].pass_environment names, for every user's app server.
  EXPECT_NE(gateway.find("-e LLM_MODEL=${LLM_MODEL} -e AWS_REGION_NAME=${REGION} "), std::string::npos) << gateway;
  for (const auto& file : embeddedFiles()) {
    if (file.name.ends_with(".service") && file.name != "oh-gateway.service") {
      EXPECT_EQ(std::string(file.content).find("docker run"), std::string::npos) << file.name;
      EXPECT_EQ(std::string(file.content).find("docker.sock"), std::string::npos) << file.name;
    }
  }
  EXPECT_FALSE(embeddedFile("openhands.service"));
  EXPECT_FALSE(embeddedFile("watchtower.service"));
  // The host firewall lets app servers (on sandbox networks) reach the sandbox API's port.
  EXPECT_NE(std::string(*embeddedFile("oh-gateway.service")).find("--cred-port 8091 --api-port 8090'"), std::string::npos);
  EXPECT_NE(testing::gatewayImageFile("gateway.toml.in").find("\nlisten_port = 8090\n"), std::string::npos);
  // The images are pre-pulled, best effort (a failed pull fails nothing).
  const std::string pull(*embeddedFile("oh-pull-images.service"));
  EXPECT_NE(pull.find("ExecStart=-/usr/bin/docker pull ${OPENHANDS_IMAGE}\n"), std::string::npos) << pull;
  EXPECT_NE(pull.find("ExecStart=-/usr/bin/docker pull ${AGENT_SERVER_IMAGE}\n"), std::string::npos) << pull;
}

// The words of each `COPY` line of a Dockerfile (continuations joined).
std::vector<std::vector<std::string>> copyLines(std::string dockerfile) {
  for (auto at = dockerfile.find("\\\n"); at != std::string::npos; at = dockerfile.find("\\\n", at)) {
    dockerfile.replace(at, 2, " ");
  }
  std::vector<std::vector<std::string>> out;
  std::istringstream lines(dockerfile);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("COPY ")) {
      std::istringstream words(line.substr(5));
      out.emplace_back();
      for (std::string word; words >> word;) {
        out.back().push_back(word);
      }
    }
  }
  return out;
}

// This test verifies the host files that left the user data arrive from the gateway image: the
// Dockerfile copies each to /opt/openhands/ as the host wants it (scripts executable), the build
// context admits it, oh-prepare copies /opt/openhands/ out of this deployment's image before it
// runs the boot services from there, and oh-gateway runs the firewall from there.
TEST(ServiceCommandsTest, GatewayImageCarriesTheHostFiles) {
  const auto copies = copyLines(testing::projectFile("deploy/gateway.Dockerfile"));
  const std::string ignore = testing::projectFile(".dockerignore");
  for (const auto& [name, path] : testing::kGatewayImageFiles) {
    const std::string source = "deploy/instance/" + std::string(name);
    const std::string target = "/opt/openhands/" + std::string(path);
    int found = 0;
    for (const auto& words : copies) {
      const bool copied = words.size() >= 2 && std::find(words.begin(), words.end() - 1, source) != words.end() - 1;
      if (!copied) {
        continue;
      }
      ++found;
      EXPECT_EQ(words.back(), target.substr(0, target.rfind('/') + 1)) << name;
      const bool script = std::string_view(name).ends_with(".sh");
      EXPECT_EQ(words.front(), script ? "--chmod=0755" : "--chmod=0644") << name;
    }
    EXPECT_EQ(found, 1) << name;
    EXPECT_NE(ignore.find("\n!" + source + "\n"), std::string::npos) << name;
  }
  const std::string prepare(*embeddedFile("oh-prepare.service"));
  const auto pull = prepare.find("ExecStartPre=/usr/bin/docker pull ${GATEWAY_IMAGE}\n");
  const auto copy = prepare.find("docker create ${GATEWAY_IMAGE}) && docker cp \"$$c:/opt/openhands/.\" /opt/openhands/;");
  const auto run = prepare.find("\nExecStart=/opt/openhands/bin/boot-services.sh\n");
  ASSERT_NE(pull, std::string::npos) << prepare;
  ASSERT_NE(copy, std::string::npos) << prepare;
  ASSERT_NE(run, std::string::npos) << prepare;
  EXPECT_LT(pull, copy);
  EXPECT_LT(copy, run);
  EXPECT_NE(prepare.find("EnvironmentFile=/etc/openhands/instance.env\n"), std::string::npos);
  EXPECT_NE(std::string(*embeddedFile("oh-gateway.service"))
                .find("ExecStartPre=/bin/sh -c '/opt/openhands/bin/oh-firewall.sh --deny-cidr"),
            std::string::npos);
  const std::string boot = testing::gatewayImageFile("boot-services.sh");
  EXPECT_NE(boot.find("\"$root/opt/openhands/bin/db-bootstrap.sh\""), std::string::npos);
  EXPECT_NE(boot.find("\"$root/opt/openhands/gateway.toml.in\""), std::string::npos);
  // oh-infra no longer carries them: a copy in the user data would go stale against the image.
  for (const auto& file : testing::kGatewayImageFiles) {
    EXPECT_FALSE(embeddedFile(file.first)) << file.first;
  }
}

}  // namespace
}  // namespace oh::infra::instance
