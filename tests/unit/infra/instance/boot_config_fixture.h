#pragma once
// The boot services' config phase run for real (bash, jq, sed as on the instance) in a scratch
// root, with the instance.env the user data writes and stand-in secret files; the resulting
// gateway.toml is loaded by oh-gateway's own parser. `aws` is a stub that fails, so nothing here
// can reach AWS. Shared by the gateway configuration and the multi-domain tests.

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "config/load_settings.h"
#include "gateway_image_files.h"
#include "rendered_instance_env.h"

namespace oh::infra::instance::testing {

namespace fs = std::filesystem;

// Stand-in secret values: none of them may appear in what the boot writes outside secrets/.
inline constexpr const char* kClientSecret = "client-s3cr3t-value-xyz";
inline constexpr const char* kAppPassword = "app-db-s3cr3t-password-0123";
inline constexpr const char* kGoodAuthSettings =
    R"({"issuer":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123","clientId":"5abcdefghijklmnopqrstuvwx1",)"
    R"("clientSecret":"client-s3cr3t-value-xyz","domain":"openhands-123456789012-shared.auth.us-east-1.amazoncognito.com"})";

inline std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void writeFile(const fs::path& path, std::string_view text, fs::perms mode = fs::perms::owner_read | fs::perms::owner_write) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
  fs::permissions(path, mode);
}

inline bool have(const char* command) {
  return std::system((std::string("command -v ") + command + " >/dev/null 2>&1").c_str()) == 0;
}

inline gateway::Settings parse(const std::string& text) {
  auto result = gateway::parseSettings(text, "gateway.toml");
  if (auto* problems = std::get_if<std::vector<gateway::ConfigProblem>>(&result)) {
    ADD_FAILURE() << gateway::describe(*problems) << "\n" << text;
    return {};
  }
  return std::get<gateway::Settings>(result);
}

class BootConfigFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have("bash") || !have("jq") || !have("openssl") || !have("sed")) {
      GTEST_SKIP() << "needs bash, jq, openssl and sed";
    }
    std::string pattern = (fs::temp_directory_path() / "oh-gwconf-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    work_ = pattern;
    root_ = work_ / "root";
    const auto exec = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec;
    writeFile(root_ / "opt/openhands/bin/boot-services.sh", gatewayImageFile("boot-services.sh"), exec);
    writeFile(root_ / "opt/openhands/gateway.toml.in", gatewayImageFile("gateway.toml.in"));
    writeFile(work_ / "bin/aws", "#!/bin/sh\nexit 1\n", exec);
    writeFile(secrets() / "app-db-password", std::string(kAppPassword) + "\n");
    fs::create_directories(secrets() / "gateway");
  }
  void TearDown() override {
    if (!work_.empty()) {
      fs::remove_all(work_);
    }
  }
  fs::path secrets() const { return root_ / "etc/openhands/secrets"; }
  fs::path etc() const { return root_ / "etc/openhands"; }

  // Runs the config phase with the main hosts as phase_images leaves them (the SSM parameter's
  // value); returns the script's exit status. Its output goes to log_.
  int boot(std::string_view main_hosts, std::string_view auth_settings,
           std::string_view agent_server_image = "ghcr.io/openhands/agent-server:1.20.1-python") {
    writeFile(etc() / "instance.env", testing::renderedInstanceEnv(testing::sampleInputs()) + instance_env_extra_);
    // As phase_images leaves it (the SSM parameters' values).
    writeFile(etc() / "images.env", "OPENHANDS_IMAGE=docker.openhands.dev/openhands/openhands:1.7.0\nAGENT_SERVER_IMAGE=" +
                                        std::string(agent_server_image) + "\n");
    writeFile(etc() / "main-hosts", std::string(main_hosts) + "\n");
    writeFile(secrets() / "auth-settings.json", auth_settings);
    const std::string command = "env PATH='" + (work_ / "bin").string() + ":/usr/bin:/bin' OH_ROOT='" +
                                root_.string() + "' OH_PHASES=config OH_DOCKER_GID=994 OH_GATEWAY_UID=" +
                                std::to_string(getuid()) + " OH_DATA_DIR='" +
                                (work_ / "data").string() + "' bash '" +
                                (root_ / "opt/openhands/bin/boot-services.sh").string() + "' >'" +
                                (work_ / "boot.log").string() + "' 2>&1";
    const int status = std::system(command.c_str());
    log_ = readFile(work_ / "boot.log");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string gatewayToml() const { return readFile(etc() / "gateway.toml"); }

  fs::path work_;
  fs::path root_;
  std::string log_;
  // Lines appended to instance.env (a later assignment wins when boot-services.sh sources it).
  std::string instance_env_extra_;
};

}  // namespace oh::infra::instance::testing
