// The instance's boot services against real peers: moto_server for Secrets Manager, SSM, SNS
// and SQS, and a PostgreSQL 15 started for the test (boot_services_driver.sh runs both in a
// private network namespace and stops them by PID). What needs EC2 itself (dnf, EFS, the
// CloudWatch agent, systemd, pulling the images) cannot run here; docs/instance.md says so.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include "gateway_image_files.h"
#include "rendered_instance_env.h"

namespace oh::infra::instance {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void writeFile(const fs::path& path, std::string_view text, fs::perms mode) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
  fs::permissions(path, mode);
}

unsigned modeOf(const fs::path& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return 0;
  }
  return st.st_mode & 0777u;
}

std::string sha256Hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  std::string hex;
  for (const unsigned char byte : digest) {
    hex += "0123456789abcdef"[byte >> 4];
    hex += "0123456789abcdef"[byte & 15];
  }
  return hex;
}

bool have(const char* command) {
  return std::system((std::string("command -v ") + command + " >/dev/null 2>&1").c_str()) == 0;
}

// The instance.env of the rendered user data, naming the driver's moto resources.
std::string renderedInstanceEnv() { return testing::renderedInstanceEnv(testing::sampleInputs()); }

// oh-gateway's keys as the boot derives them from the session secret (one label per purpose).
std::string derivedKey(std::string_view label, std::string_view secret) {
  return sha256Hex("oh-gateway " + std::string(label) + " key v1\n" + std::string(secret)) + "\n";
}

uid_t ownerOf(const fs::path& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? st.st_uid : static_cast<uid_t>(-1);
}

class BootServicesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0 || !have("moto_server") || !have("unshare") || !have("aws") || !have("jq") || !have("stunnel") ||
        std::system("/usr/bin/python3 -c 'import asyncpg' >/dev/null 2>&1") != 0 ||
        !fs::exists("/usr/lib/postgresql/15/bin/initdb")) {
      skip_ = "needs root, unshare, moto_server, aws, jq, stunnel, python3-asyncpg and PostgreSQL 15 (TESTING.md)";
      return;
    }
    std::string pattern = (fs::temp_directory_path() / "oh-boot-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    work_ = pattern;
    const fs::path root = work_ / "root";
    const auto exec = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                      fs::perms::others_read | fs::perms::others_exec;
    const auto plain = fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read;
    // The files exactly as oh-prepare copies them out of the gateway image (verbatim).
    writeFile(root / "opt/openhands/bin/boot-services.sh",
              testing::gatewayImageFile("boot-services.sh"), exec);
    writeFile(root / "opt/openhands/bin/db-bootstrap.sh",
              testing::gatewayImageFile("db-bootstrap.sh"), exec);
    writeFile(root / "opt/openhands/gateway.toml.in",
              testing::gatewayImageFile("gateway.toml.in"), plain);
    writeFile(root / "etc/openhands/instance.env", renderedInstanceEnv(), plain);
    const std::string command = std::string("bash '") + OH_BOOT_DRIVER + "' '" + work_.string() + "' >'" +
                                (work_ / "driver.log").string() + "' 2>&1";
    driver_status_ = std::system(command.c_str());
  }
  static void TearDownTestSuite() {
    if (!work_.empty() && std::getenv("OH_KEEP_TEST_DIR") == nullptr) {
      fs::remove_all(work_);
    }
  }
  void SetUp() override {
    if (!skip_.empty()) {
      GTEST_SKIP() << skip_;
    }
    ASSERT_EQ(driver_status_, 0) << readFile(work_ / "driver.log");
  }
  void checkSecretsLandInRootOnlyFiles();
  void checkNothingSecretIsLogged();
  void checkImagesFromSsm();
  void checkServiceConfigurationWritten();
  void checkDatabaseBootstrapIsIdempotent();
  void checkDatabaseReachedThroughTheTlsBridge();
  void checkGatewayReachesItsStore();
  void checkRotatedPasswordApplied();
  void checkFailurePublishesToTheTopic();
  static std::string result(const std::string& name) { return readFile(work_ / "results" / name); }
  static fs::path secrets() { return work_ / "root/etc/openhands/secrets"; }

  static inline fs::path work_;
  static inline std::string skip_;
  static inline int driver_status_ = -1;
};

// This test verifies the secrets land in root-only files with the values Secrets Manager holds;
// the gateway's own files belong to its uid (10001), and it gets only what it needs.
void BootServicesTest::checkSecretsLandInRootOnlyFiles() {
  EXPECT_EQ(result("boot1.rc"), "0\n") << result("boot1.log");
  EXPECT_EQ(modeOf(secrets()), 0700u);
  EXPECT_EQ(modeOf(secrets() / "gateway"), 0700u);
  EXPECT_EQ(ownerOf(secrets() / "gateway"), 10001u);
  // After boot3 (the rotations): the current key is the new value's, the previous the old one's;
  // likewise the origin secret's two values.
  const std::map<std::string, std::string> expected{
      {"gateway/origin-secret", "origin-r0tated-value-9876543210\n"},
      {"gateway/origin-previous-secret", "origin-s3cr3t-value-0123456789\n"},
      {"gateway/cookie-key", derivedKey("cookie", "session-key-r0tated-fedcbafedcba")},
      {"gateway/ticket-key", derivedKey("ticket", "session-key-r0tated-fedcbafedcba")},
      {"gateway/cookie-previous-key", derivedKey("cookie", "session-key-s3cr3t-abcdefabcdef")},
      {"gateway/client-secret", "client-s3cr3t-xyz\n"},
      // The database role's rotated password (the driver checks it signs in).
      {"gateway/pgpass", "*:*:*:openhands_app:" + readFile(secrets() / "app-db-password")}};
  for (const auto& [name, value] : expected) {
    EXPECT_EQ(readFile(secrets() / name), value) << name;
    EXPECT_EQ(modeOf(secrets() / name), 0600u) << name;
    EXPECT_EQ(ownerOf(secrets() / name), 10001u) << name;
  }
  EXPECT_NE(readFile(secrets() / "gateway/cookie-key"), readFile(secrets() / "gateway/ticket-key"));
  // Before the rotation (boot1) the previous origin secret was the current one again.
  EXPECT_EQ(result("origin-current1.txt"), "origin-s3cr3t-value-0123456789\n");
  EXPECT_EQ(result("origin-previous1.txt"), "origin-s3cr3t-value-0123456789\n");
  // ... and no previous cookie key: a failed AWSPREVIOUS fetch must not leave a key derived
  // from an empty secret (one anybody can compute).
  EXPECT_EQ(result("gateway-files1.txt").find("cookie-previous-key"), std::string::npos) << result("gateway-files1.txt");
  // Nothing else, not even what a failed boot (the last run) was writing.
  std::set<std::string> gateway_files;
  for (const auto& entry : fs::directory_iterator(secrets() / "gateway")) {
    gateway_files.insert("gateway/" + entry.path().filename().string());
  }
  std::set<std::string> expected_files;
  for (const auto& [name, value] : expected) {
    expected_files.insert(name);
  }
  // The sandbox API's keys, the app servers' secret key and the credential tokens' key (issue
  // 15): 32 random bytes each, kept root-only on EFS and the same after every boot (sealed
  // records, users' API keys and sandboxes' credential tokens survive an instance replacement).
  const fs::path keys = work_ / "root/data/openhands/keys";
  EXPECT_EQ(modeOf(keys), 0700u);
  for (const char* name : {"sandbox-key", "sandbox-seal-key", "appserver-key", "credentials-token-key"}) {
    const std::string key = readFile(secrets() / "gateway" / name);
    EXPECT_TRUE(std::regex_match(key, std::regex("[0-9a-f]{64}\n"))) << name;
    EXPECT_EQ(readFile(keys / name), key) << name;
    EXPECT_EQ(modeOf(keys / name), 0600u) << name;
    EXPECT_EQ(ownerOf(keys / name), 0u) << name;
    EXPECT_EQ(modeOf(secrets() / "gateway" / name), 0600u) << name;
    EXPECT_EQ(ownerOf(secrets() / "gateway" / name), 10001u) << name;
    expected_files.insert(std::string("gateway/") + name);
  }
  std::set<std::string> distinct;
  for (const char* name : {"sandbox-key", "sandbox-seal-key", "appserver-key", "credentials-token-key"}) {
    distinct.insert(readFile(secrets() / "gateway" / name));
  }
  EXPECT_EQ(distinct.size(), 4u);
  EXPECT_EQ(result("sandbox-keys1.txt"), result("sandbox-keys3.txt"));
  EXPECT_EQ(gateway_files, expected_files);
  for (const char* name : {"db-admin.json", "app-db.json", "app-db-password", "auth-settings.json"}) {
    EXPECT_EQ(modeOf(secrets() / name), 0600u) << name;
    EXPECT_EQ(ownerOf(secrets() / name), 0u) << name;
  }
  // No single OpenHands any more, so no environment file with its password.
  EXPECT_FALSE(fs::exists(secrets() / "openhands-db.env"));
  for (const char* name : {"session-key.source", "session-key.previous"}) {
    EXPECT_FALSE(fs::exists(secrets() / name)) << name;
  }
}

// This test verifies no secret value reaches the boot output (what the journal would log).
void BootServicesTest::checkNothingSecretIsLogged() {
  const std::string logs = result("boot1.log") + result("boot2.log") + result("boot3.log");
  const std::string app_password = readFile(secrets() / "app-db-password");
  for (const std::string& secret : {std::string("origin-s3cr3t"), std::string("origin-r0tated"), std::string("session-key-s3cr3t"),
                                    std::string("session-key-r0tated"), std::string("client-s3cr3t"),
                                    std::string("admin-"), app_password.substr(0, 16)}) {
    EXPECT_EQ(logs.find(secret), std::string::npos) << secret;
  }
  EXPECT_NE(result("boot1.log").find("db-bootstrap: "), std::string::npos);
}

// This test verifies the image versions come from the SSM parameters.
void BootServicesTest::checkImagesFromSsm() {
  const std::string images = readFile(work_ / "root/etc/openhands/images.env");
  EXPECT_NE(images.find("OPENHANDS_IMAGE=docker.openhands.dev/openhands/openhands:1.7.0\n"), std::string::npos);
  EXPECT_NE(images.find("AGENT_SERVER_IMAGE_REPOSITORY=ghcr.io/openhands/agent-server\n"), std::string::npos);
  EXPECT_NE(images.find("AGENT_SERVER_IMAGE_TAG=1.20.1-python\n"), std::string::npos);
  EXPECT_NE(images.find("AGENT_SERVER_IMAGE=ghcr.io/openhands/agent-server:1.20.1-python\n"), std::string::npos);
}

// This test verifies the OpenHands environment and the gateway configuration are written.
void BootServicesTest::checkServiceConfigurationWritten() {
  EXPECT_FALSE(fs::exists(work_ / "root/etc/openhands/openhands.env"));
  const std::string gateway = readFile(work_ / "root/etc/openhands/gateway.toml");
  EXPECT_NE(gateway.find("listen_port = 8080\n"), std::string::npos);
  EXPECT_NE(gateway.find("mode = \"aws\""), std::string::npos);
  EXPECT_NE(gateway.find("trusted_proxies = [\"10.20.0.0/16\"]\n"), std::string::npos);
  EXPECT_NE(gateway.find("provider = \"cognito\"\n"), std::string::npos);
  EXPECT_NE(gateway.find("client_id = \"client123\"\n"), std::string::npos);
  EXPECT_NE(gateway.find("callback_hosts = [\"openhands.example.com\"]\n"), std::string::npos);
  EXPECT_NE(gateway.find("host_suffixes = [\"runtime.openhands.example.com\"]\n"), std::string::npos);
  EXPECT_NE(gateway.find("access = \"owner\"\n"), std::string::npos);
  EXPECT_NE(gateway.find("allowed_images = [\"ghcr.io/openhands/agent-server:1.20.1-python\"]\n"), std::string::npos);
  // Sandboxes' credentials: the Bedrock role the user data names, in the deployment's region.
  EXPECT_NE(gateway.find("role_arn = \"" + std::string(testing::sampleInputs().bedrock_role_arn.as_string()) + "\"\n"),
            std::string::npos);
  EXPECT_NE(gateway.find("region = \"eu-central-1\"\n"), std::string::npos);
  // Rotated once (boot3): the previous cookie key is offered.
  EXPECT_NE(gateway.find("cookie_previous_key_file = \"/etc/oh-gateway/secrets/cookie-previous-key\"\n"),
            std::string::npos);
  EXPECT_EQ(gateway.find("client-s3cr3t"), std::string::npos);
  // The sign-in placeholders, filled from the non-secret fields of the sign-in secret.
  EXPECT_EQ(readFile(work_ / "root/etc/openhands/gateway-auth.env"),
            "AUTH_REGION=us-east-1\nAUTH_USER_POOL_ID=us-east-1_Abc\nAUTH_CLIENT_ID=client123\nAUTH_DOMAIN_PREFIX=auth\n");
}

// This test verifies the database bootstrap: role and database exist, the app signs in, and a
// second boot changes nothing in the catalogs (row versions included).
void BootServicesTest::checkDatabaseBootstrapIsIdempotent() {
  const std::string first = result("catalog1.txt");
  EXPECT_NE(first.find("role|"), std::string::npos) << first;
  // Login, not superuser, a password, CREATEDB and CREATEROLE (each user's database and role).
  EXPECT_NE(first.find("|openhands_app|t|f|t|t|t"), std::string::npos) << first;
  EXPECT_NE(first.find("db|"), std::string::npos) << first;
  EXPECT_NE(first.find("|oh_gateway|openhands_app|"), std::string::npos) << first;
  EXPECT_EQ(result("boot2.rc"), "0\n") << result("boot2.log");
  EXPECT_EQ(result("catalog2.txt"), first);
  EXPECT_EQ(result("app-login.txt"), "openhands_app@oh_gateway\n");
}

// This test verifies the gateway reaches its store with the URL and pgpass file the boot wrote
// (TLS, certificate and name verified), creates a user's database and role there as the pool
// does, cannot grant superuser, and follows a password rotation.
void BootServicesTest::checkGatewayReachesItsStore() {
  EXPECT_EQ(result("gateway-login.txt"), "openhands_app@oh_gateway:true\ncreated:1\n");
  EXPECT_NE(result("gateway-superuser.txt").find("must be superuser"), std::string::npos) << result("gateway-superuser.txt");
  EXPECT_EQ(result("gateway-login-rotated.txt"), "gateway-rotated-ok\n");
}

// This test verifies OpenHands' TLS-less client reaches the TLS-only server through the stunnel
// configuration the boot services write (certificate and name verified), and not without it.
void BootServicesTest::checkDatabaseReachedThroughTheTlsBridge() {
  EXPECT_EQ(result("app-login-tunnel.txt"), "tunnel:t\n") << result("stunnel.log");
  EXPECT_NE(result("app-login-plain.txt").find("no encryption"), std::string::npos) << result("app-login-plain.txt");
  const std::string conf = readFile(work_ / "root/etc/openhands/db-tls.conf");
  EXPECT_NE(conf.find("protocol = pgsql\n"), std::string::npos);
  EXPECT_NE(conf.find("checkHost = localhost\n"), std::string::npos);
  EXPECT_NE(conf.find("verifyChain = yes\n"), std::string::npos);
}

// This test verifies a rotated password is applied by the next boot.
void BootServicesTest::checkRotatedPasswordApplied() {
  EXPECT_EQ(result("boot3.rc"), "0\n") << result("boot3.log");
  EXPECT_EQ(result("app-login-rotated.txt"), "rotated-ok\n");
}

// This test verifies a failing step publishes its line and command to the alert topic.
void BootServicesTest::checkFailurePublishesToTheTopic() {
  EXPECT_NE(result("boot-fail.rc"), "0\n");
  const std::string alerts = result("alerts.json");
  EXPECT_NE(alerts.find("boot-services.sh line "), std::string::npos) << alerts;
  EXPECT_NE(alerts.find(" in fetch_secret: aws secretsmanager get-secret-value"), std::string::npos) << alerts;
  EXPECT_NE(alerts.find("(exit 255)"), std::string::npos) << alerts;
}


// One run of the driver (about a minute) serves every check above, so they are one CTest test
// rather than one driver run per test case.
TEST_F(BootServicesTest, BootsAgainstMotoAndPostgres) {
  {
    SCOPED_TRACE("SecretsLandInRootOnlyFiles");
    checkSecretsLandInRootOnlyFiles();
  }
  {
    SCOPED_TRACE("NothingSecretIsLogged");
    checkNothingSecretIsLogged();
  }
  {
    SCOPED_TRACE("ImagesFromSsm");
    checkImagesFromSsm();
  }
  {
    SCOPED_TRACE("ServiceConfigurationWritten");
    checkServiceConfigurationWritten();
  }
  {
    SCOPED_TRACE("DatabaseBootstrapIsIdempotent");
    checkDatabaseBootstrapIsIdempotent();
  }
  {
    SCOPED_TRACE("DatabaseReachedThroughTheTlsBridge");
    checkDatabaseReachedThroughTheTlsBridge();
  }
  {
    SCOPED_TRACE("GatewayReachesItsStore");
    checkGatewayReachesItsStore();
  }
  {
    SCOPED_TRACE("RotatedPasswordApplied");
    checkRotatedPasswordApplied();
  }
  {
    SCOPED_TRACE("FailurePublishesToTheTopic");
    checkFailurePublishesToTheTopic();
  }
}

}  // namespace
}  // namespace oh::infra::instance
