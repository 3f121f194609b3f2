// [credentials]: container credentials for sandboxes (issue 15) and their validation.

#include <gtest/gtest.h>

#include <string>

#include "config/load_settings.h"
#include "config_test_util.h"

namespace oh::gateway {
namespace {

using testing::hasProblem;
using testing::kSecretLine;
using testing::problemsOf;
using testing::settingsOf;

const std::string kSandbox =
    "[sandbox]\nenabled = true\nkey_file = \"/run/oh/sandbox-api.key\"\nseal_key_file = \"/run/oh/sandbox-seal.key\"\n"
    "allowed_images = [\"img\"]\nworkspace_root = \"/srv/ws\"\nruntime_suffix = \"runtime.oh.test\"\n";

// A complete, valid [credentials] section after a valid [sandbox]; tests add or replace lines.
std::string enabledCredentials(const std::string& extra = "") {
  return std::string(kSecretLine) + kSandbox +
         "[credentials]\nenabled = true\nrole_arn = \"arn:aws:iam::123456789012:role/oh-bedrock\"\n"
         "region = \"eu-west-1\"\ntoken_key_file = \"/run/oh/credentials.key\"\n" + extra;
}

TEST(CredentialsSettings, OffByDefaultWithTheAgreedDefaults) {
  auto settings = settingsOf(kSecretLine);
  ASSERT_TRUE(settings);
  const CredentialsSettings& c = settings->credentials;
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.listen_address, "169.254.170.2");
  EXPECT_EQ(c.listen_port, 8091);
  EXPECT_EQ(c.gateway_credentials, "instance");
  EXPECT_EQ(c.imds_url, "http://169.254.169.254");
  EXPECT_EQ(c.session_duration, std::chrono::seconds(3600));
}

TEST(CredentialsSettings, ReadsEveryKey) {
  auto settings = settingsOf(enabledCredentials(
      "listen_address = \"127.0.0.1\"\nlisten_port = 9091\nsts_endpoint = \"http://127.0.0.1:5000\"\n"
      "gateway_credentials = \"environment\"\nimds_url = \"http://127.0.0.1:1338\"\nsession_duration_seconds = 900\n"));
  ASSERT_TRUE(settings);
  const CredentialsSettings& c = settings->credentials;
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.listen_address, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 9091);
  EXPECT_EQ(c.role_arn, "arn:aws:iam::123456789012:role/oh-bedrock");
  EXPECT_EQ(c.region, "eu-west-1");
  EXPECT_EQ(c.sts_endpoint, "http://127.0.0.1:5000");
  EXPECT_EQ(c.token_key_file, "/run/oh/credentials.key");
  EXPECT_EQ(c.gateway_credentials, "environment");
  EXPECT_EQ(c.imds_url, "http://127.0.0.1:1338");
  EXPECT_EQ(c.session_duration, std::chrono::seconds(900));
}

TEST(CredentialsSettings, RequiredKeysAndSandboxNamed) {
  auto problems = problemsOf(std::string(kSecretLine) + "[credentials]\nenabled = true\n");
  EXPECT_TRUE(hasProblem(problems, "credentials.enabled", "needs sandbox.enabled"));
  EXPECT_TRUE(hasProblem(problems, "credentials.role_arn", "IAM role ARN"));
  EXPECT_TRUE(hasProblem(problems, "credentials.region", "AWS region"));
  EXPECT_TRUE(hasProblem(problems, "credentials.token_key_file", "is required"));
}

TEST(CredentialsSettings, RefusesBadValuesByName) {
  struct Case {
    std::string line;
    const char* key;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"listen_address = \"0.0.0.0\"", "credentials.listen_address", "never a wildcard"},
      {"listen_address = \"not-an-ip\"", "credentials.listen_address", "IP address"},
      {"listen_port = 8090", "credentials.listen_port", "must differ"},
      {"sts_endpoint = \"http://sts.example.com\"", "credentials.sts_endpoint", "loopback"},
      {"sts_endpoint = \"https://sts.example.com/path\"", "credentials.sts_endpoint", "https://HOST"},
      {"imds_url = \"http://10.0.0.1\"", "credentials.imds_url", "169.254.169.254"},
      {"token_key_file = \"/run/oh/sandbox-api.key\"", "credentials.token_key_file", "another file"},
  };
  for (const Case& c : cases) {
    std::string text = enabledCredentials();
    const std::string key = c.line.substr(0, c.line.find(' '));
    const std::size_t at = text.find("\n" + key + " = ");
    if (at != std::string::npos) {
      text.erase(at + 1, text.find('\n', at + 1) - at);
    }
    text += c.line + "\n";
    EXPECT_TRUE(hasProblem(problemsOf(text), c.key, c.message)) << c.line;
  }
  for (const char* arn : {"arn:aws:iam::12345678901:role/x", "arn:aws:iam::123456789012:user/x",
                          "arn:aws:iam::123456789012:role/", "arn:aws:s3:::bucket", "role/x"}) {
    std::string text = enabledCredentials();
    text.replace(text.find("arn:aws:iam::123456789012:role/oh-bedrock"), 41, arn);
    EXPECT_TRUE(hasProblem(problemsOf(text), "credentials.role_arn", "IAM role ARN")) << arn;
  }
  EXPECT_FALSE(problemsOf(enabledCredentials("session_duration_seconds = 899\n")).empty());
  EXPECT_FALSE(problemsOf(enabledCredentials("session_duration_seconds = 3601\n")).empty());
  EXPECT_FALSE(problemsOf(enabledCredentials("gateway_credentials = \"file\"\n")).empty());
}

TEST(CredentialsSettings, EnvironmentCredentialsOnlyInLocalMode) {
  auto problems = problemsOf("mode = \"aws\"\n" + enabledCredentials("gateway_credentials = \"environment\"\n"));
  EXPECT_TRUE(hasProblem(problems, "credentials.gateway_credentials", "must be \"instance\""));
}

}  // namespace
}  // namespace oh::gateway
