// [appserver]: one OpenHands app server per user (issue 14), its keys and their validation.

#include <gtest/gtest.h>

#include <string>

#include "config/load_settings.h"
#include "config_test_util.h"

namespace oh::gateway {
namespace {

using testing::hasProblem;
using testing::problemsOf;
using testing::settingsOf;

// A complete, valid file with [sandbox], a local sign-in and [appserver]; tests replace one line.
std::string enabledAppServer(const std::string& extra = "") {
  return "[origin]\ncurrent_secret_file = \"/run/oh/origin\"\n"
         "[auth]\nprovider = \"local\"\nusers_file = \"/run/oh/users\"\ncookie_key_file = \"/run/oh/cookie.key\"\n"
         "[sandbox]\n"
         "enabled = true\n"
         "key_file = \"/run/oh/sandbox-api.key\"\n"
         "seal_key_file = \"/run/oh/sandbox-seal.key\"\n"
         "allowed_images = [\"ghcr.io/openhands/agent-server:1.20.1-python\"]\n"
         "workspace_root = \"/srv/oh/workspaces\"\n"
         "runtime_suffix = \"runtime.oh.test\"\n"
         "[appserver]\n"
         "enabled = true\n"
         "image = \"docker.openhands.dev/openhands/openhands:1.7.0\"\n"
         "data_root = \"/srv/oh/users\"\n"
         "web_url = \"https://oh.test\"\n"
         "secret_key_file = \"/run/oh/appserver.key\"\n" +
         extra;
}

std::string replacing(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

// The valid file with `lines` ("key = value" lines of [appserver]) replacing the keys it sets
// already (a repeated key is a TOML error) and appending the others.
std::string enabledAppServerWith(const std::string& lines) {
  std::string text = enabledAppServer();
  std::string extra;
  std::size_t start = 0;
  while (start < lines.size()) {
    std::size_t end = lines.find('\n', start);
    end = end == std::string::npos ? lines.size() : end;
    const std::string line = lines.substr(start, end - start);
    start = end + 1;
    const std::string key = line.substr(0, line.find(" = ") + 3);
    const std::size_t section = text.find("[appserver]\n");
    const std::size_t at = text.find("\n" + key, section);
    if (at == std::string::npos) {
      extra += line + "\n";
      continue;
    }
    const std::size_t line_end = text.find('\n', at + 1);
    text.replace(at + 1, line_end - at - 1, line);
  }
  return text + extra;
}

// This test verifies a file without [appserver] carries no obligations and keeps it off.
TEST(AppServerSettings, OffByDefaultWithoutObligations) {
  auto settings = settingsOf(testing::kSecretLine);
  ASSERT_TRUE(settings);
  EXPECT_FALSE(settings->appserver.enabled);
  EXPECT_EQ(settings->appserver.port, 3000);
  EXPECT_EQ(settings->appserver.idle_timeout, std::chrono::minutes(30));
}

// This test verifies every key is read into its field.
TEST(AppServerSettings, ReadsEveryKey) {
  auto settings = settingsOf(enabledAppServer(
      "openhands_version = \"1.7.1\"\nport = 3001\ncommand = [\"/app/run\", \"--fast\"]\n"
      "managed_label_value = \"apps-7\"\nsandbox_api_url = \"http://172.18.0.1:8090\"\n"
      "cors_origins = [\"https://oh.test\", \"https://other.test:8443\"]\n"
      "pass_environment = [\"LLM_MODEL\", \"LLM_BASE_URL\", \"AWS_REGION_NAME\", \"LMNR_PROJECT_API_KEY\"]\n"
      "database_url = \"postgresql://oh_admin@db.internal:5433/postgres?sslmode=require\"\n"
      "database_password_file = \"/run/oh/db.password\"\ndatabase_host = \"172.18.0.1\"\ndatabase_port = 6432\n"
      "database_name_prefix = \"ohu_\"\nevent_bucket = \"oh-events.test\"\ns3_endpoint = \"http://127.0.0.1:5000\"\n"
      "max_running = 3\nidle_timeout_seconds = 600\nstart_timeout_seconds = 90\nretry_delay_seconds = 5\n"
      "cpus = 0.5\nmemory_mb = 1024\npids = 256\n"));
  ASSERT_TRUE(settings);
  const AppServerSettings& a = settings->appserver;
  EXPECT_TRUE(a.enabled);
  EXPECT_EQ(a.image, "docker.openhands.dev/openhands/openhands:1.7.0");
  EXPECT_EQ(a.openhands_version, "1.7.1");
  EXPECT_EQ(a.port, 3001);
  EXPECT_EQ(a.command, (std::vector<std::string>{"/app/run", "--fast"}));
  EXPECT_EQ(a.data_root, "/srv/oh/users");
  EXPECT_EQ(a.managed_label_value, "apps-7");
  EXPECT_EQ(a.sandbox_api_url, "http://172.18.0.1:8090");
  EXPECT_EQ(a.web_url, "https://oh.test");
  EXPECT_EQ(a.cors_origins.size(), 2U);
  EXPECT_EQ(a.secret_key_file, "/run/oh/appserver.key");
  EXPECT_EQ(a.pass_environment.size(), 4U);
  EXPECT_EQ(a.database_url, "postgresql://oh_admin@db.internal:5433/postgres?sslmode=require");
  EXPECT_EQ(a.database_password_file, "/run/oh/db.password");
  EXPECT_EQ(a.database_host, "172.18.0.1");
  EXPECT_EQ(a.database_port, 6432);
  EXPECT_EQ(a.database_name_prefix, "ohu_");
  EXPECT_EQ(a.event_bucket, "oh-events.test");
  EXPECT_EQ(a.s3_endpoint, "http://127.0.0.1:5000");
  EXPECT_EQ(a.max_running, 3U);
  EXPECT_EQ(a.idle_timeout, std::chrono::seconds(600));
  EXPECT_EQ(a.start_timeout, std::chrono::seconds(90));
  EXPECT_EQ(a.retry_delay, std::chrono::seconds(5));
  EXPECT_DOUBLE_EQ(a.cpus, 0.5);
  EXPECT_EQ(a.memory_mb, 1024U);
  EXPECT_EQ(a.pids, 256);
}

// This test verifies app servers need the sandbox API (RUNTIME=remote) and a sign-in (the
// session's subject is the only thing that picks a server).
TEST(AppServerSettings, NeedsSandboxAndSignIn) {
  EXPECT_TRUE(hasProblem(problemsOf(replacing(enabledAppServer(), "[sandbox]\nenabled = true", "[sandbox]\nenabled = false")),
                         "appserver.enabled", "sandbox.enabled"));
  EXPECT_TRUE(hasProblem(problemsOf(replacing(enabledAppServer(), "provider = \"local\"", "provider = \"none\"")),
                         "appserver.enabled", "sign-in"));
}

// This test verifies the required keys are named when missing.
TEST(AppServerSettings, RequiredKeysAreNamed) {
  const auto problems = problemsOf(
      "[origin]\ncurrent_secret_file = \"/o\"\n[auth]\nprovider = \"local\"\nusers_file = \"/u\"\ncookie_key_file = \"/c\"\n"
      "[sandbox]\nenabled = true\nkey_file = \"/k\"\nseal_key_file = \"/s\"\nallowed_images = [\"i:1\"]\n"
      "workspace_root = \"/w\"\nruntime_suffix = \"runtime.oh.test\"\n[appserver]\nenabled = true\n");
  EXPECT_TRUE(hasProblem(problems, "appserver.image", "pinned OpenHands image"));
  EXPECT_TRUE(hasProblem(problems, "appserver.data_root", "absolute directory"));
  EXPECT_TRUE(hasProblem(problems, "appserver.web_url", "is required"));
  EXPECT_TRUE(hasProblem(problems, "appserver.secret_key_file", "is required"));
}

// This test verifies hostile or malformed values are refused with the key named.
TEST(AppServerSettings, RefusesMalformedValues) {
  struct Case {
    std::string line;
    std::string key;
    std::string message;
  };
  const std::vector<Case> cases{
      {"image = \"openhands openhands\"", "appserver.image", "without whitespace"},
      {"openhands_version = \"1.7.0; rm\"", "appserver.openhands_version", "release"},
      {"data_root = \"/\"", "appserver.data_root", "other than /"},
      {"data_root = \"/srv/../etc\"", "appserver.data_root", "absolute directory"},
      {"data_root = \"relative/dir\"", "appserver.data_root", "absolute directory"},
      {"managed_label_value = \"sandbox\"", "appserver.managed_label_value", "must differ"},
      {"managed_label_value = \"Bad Label\"", "appserver.managed_label_value", "1-30"},
      {"sandbox_api_url = \"http://127.0.0.1:8090/\"", "appserver.sandbox_api_url", "trailing slash"},
      {"sandbox_api_url = \"ftp://127.0.0.1\"", "appserver.sandbox_api_url", "origin"},
      {"web_url = \"https://oh.test/app\"", "appserver.web_url", "without a path"},
      {"web_url = \"https://user:pw@oh.test\"", "appserver.web_url", "origin"},
      {"web_url = \"javascript:alert(1)\"", "appserver.web_url", "origin"},
      {"cors_origins = [\"https://ok.test\", \"*\"]", "appserver.cors_origins", "origins"},
      {"secret_key_file = \"/run/oh/sandbox-api.key\"", "appserver.secret_key_file", "another file"},
      {"pass_environment = [\"JWT_SECRET\"]", "appserver.pass_environment", "LLM's settings only"},
      {"pass_environment = [\"LLM_\"]", "appserver.pass_environment", "LLM's settings only"},
      {"pass_environment = [\"LLM_MODEL=x\"]", "appserver.pass_environment", "LLM's settings only"},
      {"pass_environment = [\"AWS_SECRET_ACCESS_KEY\"]", "appserver.pass_environment", "LLM's settings only"},
      {"database_url = \"postgresql://admin:hunter2@db/postgres\"\ndatabase_password_file = \"/p\"",
       "appserver.database_url", "must not contain a password"},
      {"database_url = \"mysql://admin@db/postgres\"\ndatabase_password_file = \"/p\"", "appserver.database_url",
       "postgresql://"},
      {"database_url = \"postgresql://db.internal/postgres\"\ndatabase_password_file = \"/p\"", "appserver.database_url",
       "name the role"},
      {"database_url = \"postgresql://admin@db/postgres\"", "appserver.database_password_file", "is required"},
      {"database_host = \"db internal\"", "appserver.database_host", "host name"},
      {"database_name_prefix = \"1abc\"", "appserver.database_name_prefix", "not starting with a digit"},
      {"database_name_prefix = \"oh-user-\"", "appserver.database_name_prefix", "[a-z0-9_]"},
      {"database_name_prefix = \"" + std::string(32, 'a') + "\"", "appserver.database_name_prefix", "1-31"},
      {"event_bucket = \"Bad_Bucket\"", "appserver.event_bucket", "S3 bucket"},
      {"s3_endpoint = \"127.0.0.1:5000\"", "appserver.s3_endpoint", "origin"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    const auto problems = problemsOf(enabledAppServerWith(c.line));
    EXPECT_TRUE(hasProblem(problems, c.key, c.message)) << describe(problems);
  }
}

// This test verifies the ranges of the numeric keys.
TEST(AppServerSettings, NumericRanges) {
  EXPECT_FALSE(problemsOf(enabledAppServer("max_running = 0\n")).empty());
  EXPECT_FALSE(problemsOf(enabledAppServer("idle_timeout_seconds = 10\n")).empty());
  EXPECT_FALSE(problemsOf(enabledAppServer("start_timeout_seconds = 5\n")).empty());
  EXPECT_FALSE(problemsOf(enabledAppServer("port = 0\n")).empty());
  EXPECT_FALSE(problemsOf(enabledAppServer("cpus = -1\n")).empty());
  EXPECT_FALSE(problemsOf(enabledAppServer("memory_mb = -5\n")).empty());
}

// This test verifies http:// public origins are for one machine only (mode = "local").
TEST(AppServerSettings, HttpWebUrlOnlyLocally) {
  EXPECT_TRUE(problemsOf(enabledAppServerWith("web_url = \"http://localhost:8080\"")).empty());
  const std::string aws = "mode = \"aws\"\n" + enabledAppServerWith("web_url = \"http://oh.test\"");
  EXPECT_TRUE(hasProblem(problemsOf(aws), "appserver.web_url", "origin"));
}

// This test verifies a reload that changes [appserver] is reported as needing a restart.
TEST(AppServerSettings, ChangeNeedsRestart) {
  auto running = settingsOf(enabledAppServer());
  auto reloaded = settingsOf(enabledAppServer("max_running = 5\n"));
  ASSERT_TRUE(running && reloaded);
  const auto keys = keysNeedingRestart(*running, *reloaded);
  EXPECT_NE(std::find(keys.begin(), keys.end(), "appserver"), keys.end());
}

}  // namespace
}  // namespace oh::gateway
