// The systemd units the user data installs, checked by systemd itself (systemd-analyze verify)
// in a scratch root: the distribution's units, ours, and empty executables where ours point
// (verify only checks that they exist), plus a stand-in docker.service that AL2023 provides.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "instance/embedded_files.h"

namespace oh::infra::instance {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUnits[] = {"oh-prepare.service", "oh-db-tls.service", "openhands.service",
                                  "oh-gateway.service", "watchtower.service"};

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
  std::ofstream(root_ / "etc/systemd/system/watchtower.service", std::ios::app)
      << "[Service]\nExecStartPost=/usr/bin/docker \"unbalanced\n";
  std::string output;
  EXPECT_NE(verify(output), 0);
  EXPECT_NE(output.find("Unbalanced quoting"), std::string::npos) << output;
}

}  // namespace
}  // namespace oh::infra::instance
