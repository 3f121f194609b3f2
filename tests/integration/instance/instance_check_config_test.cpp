// The instance's gateway.toml as the boot writes it, accepted by the real `oh-gateway
// check-config` (which also reads every key and secret file it names). The paths inside are the
// gateway container's: the test maps them to the scratch root the way oh-gateway.service mounts
// them (/etc/oh-gateway/secrets is the host's secrets/gateway, /data/openhands is EFS), with
// stand-in secret files where boot-services' secrets phase (covered by the boot test) puts them.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "boot_config_fixture.h"

namespace oh::infra::instance {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the fixture's helpers

class InstanceCheckConfigTest : public BootConfigFixture {
 protected:
  void SetUp() override {
    if (geteuid() != 0 || !have("unshare")) {
      GTEST_SKIP() << "needs root and unshare (check-config runs without a network)";
    }
    BootConfigFixture::SetUp();
  }
  // Runs `oh-gateway check-config` on the rendered file with the container paths mapped.
  int checkConfig(std::string& output) {
    std::string toml = gatewayToml();
    replaceAll(toml, "/etc/oh-gateway/secrets/", (secrets() / "gateway").string() + "/");
    replaceAll(toml, "\"/data/openhands/", "\"" + (work_ / "data").string() + "/");
    writeFile(work_ / "gateway.toml", toml);
    // In a network namespace of its own: the check would otherwise try to fetch Cognito's keys.
    const std::string command = std::string("unshare -n '") + OH_GATEWAY_BIN + "' check-config '" + (work_ / "gateway.toml").string() +
                                "' >'" + (work_ / "check.txt").string() + "' 2>&1";
    const int status = std::system(command.c_str());
    output = readFile(work_ / "check.txt");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  // The files the secrets phase writes for the gateway (values as it derives them: 64 hex digits).
  void writeGatewaySecrets() {
    char digit = 'a';
    for (const char* name : {"cookie-key", "ticket-key", "sandbox-key", "sandbox-seal-key", "appserver-key",
                             "credentials-token-key"}) {
      writeFile(secrets() / "gateway" / name, std::string(64, digit++) + "\n");
    }
    writeFile(secrets() / "gateway/origin-secret", "origin-value-0123456789abcdef\n");
    writeFile(secrets() / "gateway/origin-previous-secret", "origin-value-0123456789abcdef\n");
    writeFile(secrets() / "gateway/client-secret", std::string(kClientSecret) + "\n");
    writeFile(secrets() / "gateway/pgpass", "*:*:*:openhands_app:" + std::string(kAppPassword) + "\n");
  }
  static void replaceAll(std::string& text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  }
};

// This test verifies the rendered configuration passes check-config: every section, key file
// and secret file the instance gives the gateway.
TEST_F(InstanceCheckConfigTest, RenderedConfigurationPassesCheckConfig) {
  ASSERT_EQ(boot("openhands.example.com,openhands.example.org", kGoodAuthSettings), 0) << log_;
  writeGatewaySecrets();
  std::string output;
  EXPECT_EQ(checkConfig(output), 0) << output << "\n" << gatewayToml();
  EXPECT_NE(output.find("configuration OK"), std::string::npos) << output;
}

// This test verifies the check is not vacuous: the same file with a key missing (the secrets
// phase did not run) is refused. (check-config does not open the sandbox keys or the store: the
// boot test covers those.)
TEST_F(InstanceCheckConfigTest, MissingKeyIsRefused) {
  ASSERT_EQ(boot("openhands.example.com", kGoodAuthSettings), 0) << log_;
  writeGatewaySecrets();
  fs::remove(secrets() / "gateway/ticket-key");
  std::string output;
  EXPECT_EQ(checkConfig(output), 2) << output;
  EXPECT_NE(output.find("ticket-key"), std::string::npos) << output;
}

}  // namespace
}  // namespace oh::infra::instance
