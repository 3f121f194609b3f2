// Tests that the configuration files shipped in deploy/ parse, and that the example documents
// every key of the schema, so neither can rot silently.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "common/openhands_release.h"
#include "config/load_settings.h"
#include "config/schema.h"

namespace oh::gateway {
namespace {

std::string readSource(const std::string& relative) {
  std::ifstream in(std::string(OH_SOURCE_DIR) + "/" + relative, std::ios::binary);
  EXPECT_TRUE(in) << relative;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string replaceAll(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// This test verifies the example file parses and holds the defaults (plus its secret path).
TEST(DeployConfigs, ExampleParsesToDefaults) {
  auto result = parseSettings(readSource("deploy/gateway.example.toml"), "gateway.example.toml");
  auto* problems = std::get_if<std::vector<ConfigProblem>>(&result);
  ASSERT_EQ(problems, nullptr) << describe(*problems);
  const Settings& settings = std::get<Settings>(result);
  const Settings defaults;
  EXPECT_EQ(settings.mode, defaults.mode);
  EXPECT_EQ(settings.server.listen_port, defaults.server.listen_port);
  EXPECT_EQ(settings.server.client_idle_timeout, defaults.server.client_idle_timeout);
  EXPECT_EQ(settings.upstream.url, defaults.upstream.url);
  EXPECT_EQ(settings.upstream.connect_timeout, defaults.upstream.connect_timeout);
  EXPECT_EQ(settings.upstream.read_timeout, defaults.upstream.read_timeout);
  EXPECT_EQ(settings.upstream.pool_idle_timeout, defaults.upstream.pool_idle_timeout);
  EXPECT_EQ(settings.upstream.pool_max_idle_per_thread, defaults.upstream.pool_max_idle_per_thread);
  EXPECT_EQ(settings.websocket.max_message_bytes, defaults.websocket.max_message_bytes);
  EXPECT_EQ(settings.limits.max_header_bytes, defaults.limits.max_header_bytes);
  EXPECT_EQ(settings.limits.max_body_bytes, defaults.limits.max_body_bytes);
  EXPECT_DOUBLE_EQ(settings.rate_limit.requests_per_second, defaults.rate_limit.requests_per_second);
  EXPECT_DOUBLE_EQ(settings.rate_limit.burst, defaults.rate_limit.burst);
  EXPECT_EQ(settings.rate_limit.max_tracked_clients, defaults.rate_limit.max_tracked_clients);
  EXPECT_EQ(settings.admin.listen_port, defaults.admin.listen_port);
  EXPECT_EQ(settings.log.level, defaults.log.level);
  EXPECT_EQ(settings.auth.provider, defaults.auth.provider);
  EXPECT_EQ(settings.auth.scope, defaults.auth.scope);
  EXPECT_EQ(settings.auth.leeway, defaults.auth.leeway);
  EXPECT_EQ(settings.auth.session_lifetime, defaults.auth.session_lifetime);
  EXPECT_EQ(settings.auth.cookie_secure, defaults.auth.cookie_secure);
  EXPECT_EQ(settings.auth.http_timeout, defaults.auth.http_timeout);
  EXPECT_EQ(settings.auth.oidc.require_token_use_id, defaults.auth.oidc.require_token_use_id);
  EXPECT_EQ(settings.runtime.enabled, defaults.runtime.enabled);
  EXPECT_EQ(settings.runtime.docker_socket, defaults.runtime.docker_socket);
  EXPECT_EQ(settings.runtime.access, defaults.runtime.access);
  EXPECT_EQ(settings.runtime.conversation_label, defaults.runtime.conversation_label);
  EXPECT_EQ(settings.runtime.user_label, defaults.runtime.user_label);
  EXPECT_EQ(settings.runtime.connect_timeout, defaults.runtime.connect_timeout);
  EXPECT_EQ(settings.sandbox, defaults.sandbox);
  EXPECT_EQ(settings.appserver, defaults.appserver);
  EXPECT_EQ(settings.credentials, defaults.credentials);
}

// This test verifies the example mentions every key the loader accepts (as "key =" lines,
// active or commented), including the keys of a [[limits.body]] entry.
TEST(DeployConfigs, ExampleDocumentsEveryKey) {
  const std::string text = readSource("deploy/gateway.example.toml");
  for (const config_schema::FieldSpec& field : config_schema::settingsSchema()) {
    const std::string_view key = field.key;
    const std::size_t dot = key.rfind('.');
    if (dot == std::string_view::npos) {
      EXPECT_NE(text.find("\n" + std::string(key) + " = "), std::string::npos) << key;
      continue;
    }
    const std::string section(key.substr(0, dot));
    const std::string name(key.substr(dot + 1));
    if (name == "body") {
      EXPECT_NE(text.find("[[limits.body]]"), std::string::npos);
      EXPECT_NE(text.find(std::string(config_schema::kBodyRulePathPrefix) + " = "), std::string::npos);
      EXPECT_NE(text.find(std::string(config_schema::kBodyRuleMaxBytes) + " = "), std::string::npos);
      continue;
    }
    const std::size_t section_at = text.find("\n[" + section + "]\n");
    ASSERT_NE(section_at, std::string::npos) << section;
    const std::size_t next_section = text.find("\n[", section_at + 1);
    const std::size_t key_at = text.find("\n" + name + " = ", section_at);
    EXPECT_TRUE(key_at != std::string::npos && key_at < next_section) << key << " not documented in [" << section << "]";
  }
}

// This test verifies the commented [[limits.body]] example parses when uncommented.
TEST(DeployConfigs, ExampleBodyRuleParsesWhenUncommented) {
  std::string text = readSource("deploy/gateway.example.toml");
  text = replaceAll(text, "# [[limits.body]]", "[[limits.body]]");
  text = replaceAll(text, "# path_prefix = ", "path_prefix = ");
  text = replaceAll(text, "# max_bytes = ", "max_bytes = ");
  auto result = parseSettings(text, "gateway.example.toml");
  auto* problems = std::get_if<std::vector<ConfigProblem>>(&result);
  ASSERT_EQ(problems, nullptr) << describe(*problems);
  EXPECT_EQ(std::get<Settings>(result).limits.body_rules.size(), 1u);
}

// deploy/local/gateway.toml.in with every placeholder replaced as deploy/local/write-config.sh
// does, the pinned release's images from deploy/openhands-release.env (common/openhands_release.h).
std::string renderLocalTemplate(const std::string& state_dir, const std::string& port, const std::string& upstream) {
  std::string text = readSource("deploy/local/gateway.toml.in");
  text = replaceAll(text, "@STATE_DIR@", state_dir);
  text = replaceAll(text, "@PORT@", port);
  text = replaceAll(text, "@UPSTREAM@", upstream);
  text = replaceAll(text, "@OPENHANDS_IMAGE@", std::string(openhands_release::kAppServerImage));
  text = replaceAll(text, "@OPENHANDS_VERSION@", std::string(openhands_release::kVersion));
  text = replaceAll(text, "@AGENT_SERVER_IMAGE@", std::string(openhands_release::kAgentServerImage));
  return text;
}

// This test verifies the local template, rendered as scripts/run-local.sh does, is a local
// configuration with the origin check off and metrics on loopback.
TEST(DeployConfigs, LocalTemplateRendersAndParses) {
  const std::string text = renderLocalTemplate("/home/dev/project/.local", "8080", "http://127.0.0.1:3000");
  EXPECT_EQ(text.find('@'), std::string::npos);
  auto result = parseSettings(text, "gateway.toml");
  auto* problems = std::get_if<std::vector<ConfigProblem>>(&result);
  ASSERT_EQ(problems, nullptr) << describe(*problems);
  const Settings& settings = std::get<Settings>(result);
  EXPECT_EQ(settings.mode, Mode::local);
  EXPECT_FALSE(settings.origin.enabled);
  EXPECT_EQ(settings.server.listen_port, 8080);
  EXPECT_EQ(settings.upstream.host, "127.0.0.1");
  EXPECT_EQ(settings.upstream.port, 3000);
  EXPECT_TRUE(settings.admin.enabled);
  EXPECT_EQ(settings.admin.listen_address, "127.0.0.1");
  // Local accounts on plain http://localhost.
  EXPECT_EQ(settings.auth.provider, AuthProvider::local);
  EXPECT_FALSE(settings.auth.cookie_secure);
  EXPECT_EQ(settings.auth.users_file, "/home/dev/project/.local/users");
  EXPECT_FALSE(settings.auth.cookie_key_file.empty());
  EXPECT_NE(settings.auth.cookie_key_file, settings.auth.ticket_key_file);
}

// This test verifies the local template with another port and upstream (OH_PORT, OH_UPSTREAM).
TEST(DeployConfigs, LocalTemplateWithOtherValues) {
  const std::string text = renderLocalTemplate("/tmp/state", "18080", "http://[::1]:3300");
  auto result = parseSettings(text, "gateway.toml");
  ASSERT_TRUE(std::holds_alternative<Settings>(result));
  EXPECT_EQ(std::get<Settings>(result).server.listen_port, 18080);
  EXPECT_EQ(std::get<Settings>(result).upstream.host, "::1");
  EXPECT_EQ(std::get<Settings>(result).upstream.port, 3300);
}

}  // namespace
}  // namespace oh::gateway
