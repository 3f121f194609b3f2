// Tests for parseSettings / loadSettingsFile: defaults, every key, file-level failures.

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/load_settings.h"
#include "config_test_util.h"

namespace oh::gateway {
namespace {

using testing::hasProblem;
using testing::kSecretLine;
using testing::problemsOf;
using testing::settingsOf;

// A file that sets every key to a value other than its default.
constexpr std::string_view kEveryKey = R"(
mode = "aws"

[server]
listen_address = "::"
listen_port = 8443
threads = 3
client_header_timeout_seconds = 11
client_idle_timeout_seconds = 12
drain_timeout_seconds = 13
max_connections = 14

[upstream]
url = "http://openhands.internal:3001"
connect_timeout_seconds = 21
read_timeout_seconds = 22
pool_idle_timeout_seconds = 23
pool_max_idle_per_thread = 24

[websocket]
idle_timeout_seconds = 31
max_message_bytes = 32

[origin]
enabled = true
header = "X-Edge-Secret"
current_secret_file = "/run/oh/current"
previous_secret_file = "/run/oh/previous"

[limits]
max_header_bytes = 4096
max_header_count = 42
max_body_bytes = 43

[[limits.body]]
path_prefix = "/api/upload"
max_bytes = 4400

[[limits.body]]
path_prefix = "/api/small"
max_bytes = 0

[rate_limit]
enabled = false
requests_per_second = 5.5
burst = 51
max_tracked_clients = 52
trusted_proxies = ["10.0.0.0/16", "::1"]

[admin]
enabled = false
listen_address = "::1"
listen_port = 9999

[log]
level = "debug"
access_log = false

[auth]
provider = "cognito"
client_id = "client-123"
client_secret_file = "/run/oh/client-secret"
scope = "openid email"
callback_hosts = ["openhands.example.com", "oh.example.org:8443"]
leeway_seconds = 30
session_days = 7
cookie_secure = true
cookie_key_file = "/run/oh/cookie-key"
cookie_previous_key_file = "/run/oh/cookie-key.old"
ticket_key_file = "/run/oh/ticket-key"
users_file = "/run/oh/users"
ca_file = "/etc/oh/ca.pem"
http_timeout_seconds = 4

[auth.cognito]
region = "eu-west-1"
user_pool_id = "eu-west-1_AbC123xyZ"
domain_prefix = "my-openhands"

[runtime]
enabled = true
host_suffixes = ["runtime.openhands.example.com"]
docker_socket = "/run/podman/podman.sock"
access = "public"
conversation_label = "oh.conversation"
user_label = "oh.user"
network = "oh-net"
connect_timeout_seconds = 3
)";

class TempDir {
public:
  TempDir() {
    char pattern[] = "/tmp/oh-config-test-XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string write(const std::string& name, std::string_view content) const {
    const std::string file = path_ + "/" + name;
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

// This test verifies an empty file gives the defaults except for the required keys: the origin
// secret and the files of the default provider, "local".
TEST(LoadSettings, EmptyFileNeedsOnlyTheRequiredFiles) {
  const auto problems = problemsOf("");
  ASSERT_EQ(problems.size(), 3u) << describe(problems);
  EXPECT_TRUE(hasProblem(problems, "origin.current_secret_file", "required"));
  EXPECT_TRUE(hasProblem(problems, "auth.cookie_key_file", "required when auth.provider is \"local\""));
  EXPECT_TRUE(hasProblem(problems, "auth.users_file", "required when auth.provider is \"local\""));
}

// This test verifies that a file with only the secret file yields every documented default.
TEST(LoadSettings, DefaultsMatchTheHeader) {
  auto settings = settingsOf(kSecretLine);
  ASSERT_TRUE(settings);
  const Settings defaults;
  EXPECT_EQ(settings->mode, Mode::local);
  EXPECT_EQ(settings->server.listen_address, "0.0.0.0");
  EXPECT_EQ(settings->server.listen_port, 8080);
  EXPECT_EQ(settings->server.threads, 0u);
  EXPECT_EQ(settings->server.client_header_timeout, std::chrono::seconds(30));
  EXPECT_EQ(settings->server.client_idle_timeout, std::chrono::seconds(75));
  EXPECT_EQ(settings->server.drain_timeout, std::chrono::seconds(25));
  EXPECT_EQ(settings->server.max_connections, 10000u);
  EXPECT_EQ(settings->upstream.url, "http://127.0.0.1:3000");
  EXPECT_EQ(settings->upstream.host, "127.0.0.1");
  EXPECT_EQ(settings->upstream.port, 3000);
  EXPECT_EQ(settings->upstream.connect_timeout, std::chrono::seconds(60));
  EXPECT_EQ(settings->upstream.read_timeout, std::chrono::seconds(300));
  EXPECT_EQ(settings->upstream.pool_idle_timeout, defaults.upstream.pool_idle_timeout);
  EXPECT_EQ(settings->upstream.pool_max_idle_per_thread, defaults.upstream.pool_max_idle_per_thread);
  EXPECT_EQ(settings->websocket.idle_timeout, std::chrono::seconds(300));
  EXPECT_EQ(settings->websocket.max_message_bytes, 16u * 1024 * 1024);
  EXPECT_TRUE(settings->origin.enabled);
  EXPECT_EQ(settings->origin.header, "X-Origin-Verify");
  EXPECT_EQ(settings->origin.current_secret_file, "/run/oh/origin");
  EXPECT_EQ(settings->origin.previous_secret_file, "");
  EXPECT_EQ(settings->limits.max_header_bytes, 16u * 1024);
  EXPECT_EQ(settings->limits.max_header_count, 100u);
  EXPECT_EQ(settings->limits.max_body_bytes, 1024ull * 1024 * 1024);
  EXPECT_TRUE(settings->limits.body_rules.empty());
  EXPECT_TRUE(settings->rate_limit.enabled);
  EXPECT_DOUBLE_EQ(settings->rate_limit.requests_per_second, 50.0);
  EXPECT_DOUBLE_EQ(settings->rate_limit.burst, 200.0);
  EXPECT_EQ(settings->rate_limit.max_tracked_clients, 100000u);
  EXPECT_TRUE(settings->rate_limit.trusted_proxies.empty());
  EXPECT_TRUE(settings->admin.enabled);
  EXPECT_EQ(settings->admin.listen_address, "127.0.0.1");
  EXPECT_EQ(settings->admin.listen_port, 9090);
  EXPECT_EQ(settings->log.level, "info");
  EXPECT_TRUE(settings->log.access_log);
}

// This test verifies that every key reaches its field.
TEST(LoadSettings, EveryKeyIsRead) {
  auto settings = settingsOf(kEveryKey);
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->mode, Mode::aws);
  EXPECT_EQ(settings->server.listen_address, "::");
  EXPECT_EQ(settings->server.listen_port, 8443);
  EXPECT_EQ(settings->server.threads, 3u);
  EXPECT_EQ(settings->server.client_header_timeout, std::chrono::seconds(11));
  EXPECT_EQ(settings->server.client_idle_timeout, std::chrono::seconds(12));
  EXPECT_EQ(settings->server.drain_timeout, std::chrono::seconds(13));
  EXPECT_EQ(settings->server.max_connections, 14u);
  EXPECT_EQ(settings->upstream.url, "http://openhands.internal:3001");
  EXPECT_EQ(settings->upstream.host, "openhands.internal");
  EXPECT_EQ(settings->upstream.port, 3001);
  EXPECT_EQ(settings->upstream.connect_timeout, std::chrono::seconds(21));
  EXPECT_EQ(settings->upstream.read_timeout, std::chrono::seconds(22));
  EXPECT_EQ(settings->upstream.pool_idle_timeout, std::chrono::seconds(23));
  EXPECT_EQ(settings->upstream.pool_max_idle_per_thread, 24u);
  EXPECT_EQ(settings->websocket.idle_timeout, std::chrono::seconds(31));
  EXPECT_EQ(settings->websocket.max_message_bytes, 32u);
  EXPECT_TRUE(settings->origin.enabled);
  EXPECT_EQ(settings->origin.header, "X-Edge-Secret");
  EXPECT_EQ(settings->origin.current_secret_file, "/run/oh/current");
  EXPECT_EQ(settings->origin.previous_secret_file, "/run/oh/previous");
  EXPECT_EQ(settings->limits.max_header_bytes, 4096u);
  EXPECT_EQ(settings->limits.max_header_count, 42u);
  EXPECT_EQ(settings->limits.max_body_bytes, 43u);
  ASSERT_EQ(settings->limits.body_rules.size(), 2u);
  EXPECT_EQ(settings->limits.body_rules[0].path_prefix, "/api/upload");
  EXPECT_EQ(settings->limits.body_rules[0].max_bytes, 4400u);
  EXPECT_EQ(settings->limits.body_rules[1].path_prefix, "/api/small");
  EXPECT_EQ(settings->limits.body_rules[1].max_bytes, 0u);
  EXPECT_FALSE(settings->rate_limit.enabled);
  EXPECT_DOUBLE_EQ(settings->rate_limit.requests_per_second, 5.5);
  EXPECT_DOUBLE_EQ(settings->rate_limit.burst, 51.0);
  EXPECT_EQ(settings->rate_limit.max_tracked_clients, 52u);
  EXPECT_EQ(settings->rate_limit.trusted_proxies, (std::vector<std::string>{"10.0.0.0/16", "::1"}));
  EXPECT_FALSE(settings->admin.enabled);
  EXPECT_EQ(settings->admin.listen_address, "::1");
  EXPECT_EQ(settings->admin.listen_port, 9999);
  EXPECT_EQ(settings->log.level, "debug");
  EXPECT_FALSE(settings->log.access_log);
  EXPECT_EQ(settings->auth.provider, AuthProvider::cognito);
  EXPECT_EQ(settings->auth.client_id, "client-123");
  EXPECT_EQ(settings->auth.client_secret_file, "/run/oh/client-secret");
  EXPECT_EQ(settings->auth.scope, "openid email");
  EXPECT_EQ(settings->auth.callback_hosts, (std::vector<std::string>{"openhands.example.com", "oh.example.org:8443"}));
  EXPECT_EQ(settings->auth.leeway, std::chrono::seconds(30));
  EXPECT_EQ(settings->auth.session_lifetime, std::chrono::hours(7 * 24));
  EXPECT_TRUE(settings->auth.cookie_secure);
  EXPECT_EQ(settings->auth.cookie_key_file, "/run/oh/cookie-key");
  EXPECT_EQ(settings->auth.cookie_previous_key_file, "/run/oh/cookie-key.old");
  EXPECT_EQ(settings->auth.ticket_key_file, "/run/oh/ticket-key");
  EXPECT_EQ(settings->auth.users_file, "/run/oh/users");
  EXPECT_EQ(settings->auth.ca_file, "/etc/oh/ca.pem");
  EXPECT_EQ(settings->auth.http_timeout, std::chrono::seconds(4));
  EXPECT_EQ(settings->auth.cognito.region, "eu-west-1");
  EXPECT_EQ(settings->auth.cognito.user_pool_id, "eu-west-1_AbC123xyZ");
  EXPECT_EQ(settings->auth.cognito.domain_prefix, "my-openhands");
  EXPECT_TRUE(settings->runtime.enabled);
  EXPECT_EQ(settings->runtime.host_suffixes, (std::vector<std::string>{"runtime.openhands.example.com"}));
  EXPECT_EQ(settings->runtime.docker_socket, "/run/podman/podman.sock");
  EXPECT_EQ(settings->runtime.access, RuntimeAccess::public_);
  EXPECT_EQ(settings->runtime.conversation_label, "oh.conversation");
  EXPECT_EQ(settings->runtime.user_label, "oh.user");
  EXPECT_EQ(settings->runtime.network, "oh-net");
  EXPECT_EQ(settings->runtime.connect_timeout, std::chrono::seconds(3));
}

// This test verifies that dotted keys and inline tables are the same keys as sections.
TEST(LoadSettings, DottedKeysAndInlineTablesAreAccepted) {
  auto settings = settingsOf("server.listen_port = 1\nadmin = { listen_port = 2 }\n" + std::string(kSecretLine));
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->server.listen_port, 1);
  EXPECT_EQ(settings->admin.listen_port, 2);
}

// This test verifies that port 0 (ephemeral) is allowed for both listeners, even together.
TEST(LoadSettings, EphemeralPortsAllowed) {
  auto settings = settingsOf("[server]\nlisten_port = 0\n[admin]\nlisten_port = 0\n" + std::string(kSecretLine));
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->server.listen_port, 0);
  EXPECT_EQ(settings->admin.listen_port, 0);
}

// This test verifies that local mode may turn the origin check off without a secret file.
TEST(LoadSettings, LocalModeMayDisableOrigin) {
  auto settings = settingsOf("mode = \"local\"\n[origin]\nenabled = false\n[auth]\nprovider = \"none\"\n");
  ASSERT_TRUE(settings);
  EXPECT_FALSE(settings->origin.enabled);
}

// This test verifies that an integer is accepted where a float is expected.
TEST(LoadSettings, IntegerAcceptedForRate) {
  auto settings = settingsOf("[rate_limit]\nrequests_per_second = 7\n" + std::string(kSecretLine));
  ASSERT_TRUE(settings);
  EXPECT_DOUBLE_EQ(settings->rate_limit.requests_per_second, 7.0);
}

// This test verifies that the disabled admin listener may share the server's port number.
TEST(LoadSettings, DisabledAdminMayShareThePort) {
  auto settings = settingsOf("[admin]\nenabled = false\nlisten_port = 8080\n" + std::string(kSecretLine));
  EXPECT_TRUE(settings);
}

// This test verifies that TOML syntax errors give line and column.
TEST(LoadSettings, MalformedTomlGivesLineAndColumn) {
  const auto problems = problemsOf("mode = \"local\"\n[server]\nlisten_port = = 3\n");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, "");
  EXPECT_NE(problems[0].message.find("test.toml is not valid TOML at line 3"), std::string::npos)
      << problems[0].message;
  EXPECT_NE(problems[0].message.find("column"), std::string::npos);
}

// This test verifies a handful of syntax errors are each reported, none crash.
TEST(LoadSettings, VariousSyntaxErrors) {
  for (std::string_view text : {"[server", "a = ", "= 1", "[server]\n[server]\n", "x = \"unterminated",
                                "mode = 'local'\nmode = 'aws'\n", "[[origin]]\n", "k = 1979-05-27T07:32:00Z-",
                                "\xff\xfe = 1", "a = [1, 2", "a = {b = 1"}) {
    const auto problems = problemsOf(text);
    EXPECT_FALSE(problems.empty()) << text;
  }
}

// This test verifies that a NUL byte in the text is a problem, not a truncated parse.
TEST(LoadSettings, NulByteInText) {
  const std::string text = std::string("mode = \"local\"\n") + '\0' + "[server]\n";
  EXPECT_FALSE(problemsOf(text).empty());
}

// This test verifies that deep nesting is refused by the parser rather than overflowing the stack.
TEST(LoadSettings, DeepNestingDoesNotCrash) {
  const std::string text = "a = " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  const auto problems = problemsOf(text);
  EXPECT_FALSE(problems.empty());
}

// This test verifies that a 10 MB text is refused with a clear message before parsing.
TEST(LoadSettings, HugeTextRefused) {
  std::string text = "# " + std::string(10 * 1024 * 1024, 'x') + "\n";
  const auto problems = problemsOf(text);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("at most 1048576 bytes"), std::string::npos) << problems[0].message;
}

// This test verifies the size limit is exact: kMaxConfigBytes parses, one byte more does not.
TEST(LoadSettings, SizeLimitBoundary) {
  std::string text(kSecretLine);
  text += "# ";
  text += std::string(kMaxConfigBytes - text.size() - 1, 'x');
  text += "\n";
  ASSERT_EQ(text.size(), kMaxConfigBytes);
  EXPECT_TRUE(settingsOf(text));
  text.insert(0, " ");
  const auto problems = problemsOf(text);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("1048577 bytes"), std::string::npos) << problems[0].message;
}

// This test verifies that a 10 MB file is refused while reading, without reading all of it.
TEST(LoadSettings, HugeFileRefused) {
  TempDir dir;
  const std::string file = dir.write("big.toml", std::string(10 * 1024 * 1024, '#'));
  auto result = loadSettingsFile(file);
  auto* problems = std::get_if<std::vector<ConfigProblem>>(&result);
  ASSERT_NE(problems, nullptr);
  ASSERT_EQ(problems->size(), 1u);
  EXPECT_NE((*problems)[0].message.find("larger than 1048576 bytes"), std::string::npos);
}

// This test verifies that a missing file is one file-level problem naming the path.
TEST(LoadSettings, MissingFile) {
  auto result = loadSettingsFile("/nonexistent/oh-gateway.toml");
  auto* problems = std::get_if<std::vector<ConfigProblem>>(&result);
  ASSERT_NE(problems, nullptr);
  ASSERT_EQ(problems->size(), 1u);
  EXPECT_EQ((*problems)[0].key, "");
  EXPECT_NE((*problems)[0].message.find("/nonexistent/oh-gateway.toml"), std::string::npos);
  EXPECT_NE((*problems)[0].message.find("No such file"), std::string::npos);
}

// This test verifies that a directory given as the file is a problem, not a crash or a hang.
TEST(LoadSettings, DirectoryInsteadOfFile) {
  TempDir dir;
  auto result = loadSettingsFile(dir.path());
  auto* problems = std::get_if<std::vector<ConfigProblem>>(&result);
  ASSERT_NE(problems, nullptr);
  ASSERT_EQ(problems->size(), 1u);
  EXPECT_NE((*problems)[0].message.find(dir.path()), std::string::npos);
}

// This test verifies that loading a good file works and that reload is the same operation.
TEST(LoadSettings, LoadAndReloadFile) {
  TempDir dir;
  const std::string file = dir.write("gateway.toml", std::string(kSecretLine) + "[server]\nlisten_port = 81\n");
  auto result = loadSettingsFile(file);
  ASSERT_TRUE(std::holds_alternative<Settings>(result));
  EXPECT_EQ(std::get<Settings>(result).server.listen_port, 81);
  dir.write("gateway.toml", std::string(kSecretLine) + "[server]\nlisten_port = 82\n");
  auto reloaded = reloadSettingsFile(file);
  ASSERT_TRUE(std::holds_alternative<Settings>(reloaded));
  EXPECT_EQ(std::get<Settings>(reloaded).server.listen_port, 82);
  dir.write("gateway.toml", "[server]\nlisten_port = -1\n");
  EXPECT_TRUE(std::holds_alternative<std::vector<ConfigProblem>>(reloadSettingsFile(file)));
}

// This test verifies that problems in a file name the file and position.
TEST(LoadSettings, FileProblemsNameThePath) {
  TempDir dir;
  const std::string file = dir.write("gateway.toml", "[server]\nlisten_port = 70000\n");
  auto result = loadSettingsFile(file);
  auto* problems = std::get_if<std::vector<ConfigProblem>>(&result);
  ASSERT_NE(problems, nullptr);
  EXPECT_TRUE(hasProblem(*problems, "server.listen_port", file + " line 2"));
}

// This test verifies describe() prints one "key: message" line per problem.
TEST(LoadSettings, DescribeFormat) {
  const std::string text = describe({{"server.listen_port", "must be between 0 and 65535"}, {"", "file is bad"}});
  EXPECT_EQ(text, "server.listen_port: must be between 0 and 65535\nfile is bad\n");
}

// This test verifies that keysNeedingRestart lists listener and thread changes only.
TEST(LoadSettings, KeysNeedingRestart) {
  Settings running;
  Settings reloaded;
  reloaded.rate_limit.burst = 3;
  reloaded.upstream.read_timeout = std::chrono::seconds(5);
  EXPECT_TRUE(keysNeedingRestart(running, reloaded).empty());
  reloaded.server.listen_port = 1;
  reloaded.server.threads = 9;
  reloaded.admin.listen_address = "::1";
  EXPECT_EQ(keysNeedingRestart(running, reloaded),
            (std::vector<std::string>{"server.listen_port", "server.threads", "admin.listen_address"}));
}

}  // namespace
}  // namespace oh::gateway
