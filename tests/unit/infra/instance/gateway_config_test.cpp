// The gateway configuration the boot services write on the instance (deploy/instance/
// gateway.toml.in, filled as boot-services.sh fills it) must load with oh-gateway's own parser.

#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "config/load_settings.h"
#include "instance/embedded_files.h"

namespace oh::infra::instance {
namespace {

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

// As boot-services.sh's phase_config does with sed.
std::string filled(const std::string& port, const std::string& proxies) {
  std::string text(*embeddedFile("gateway.toml.in"));
  text = replaceAll(text, "@GATEWAY_PORT@", port);
  return replaceAll(text, "@TRUSTED_PROXIES@", proxies);
}

// This test verifies the instance configuration loads in aws mode with the origin check on.
TEST(InstanceGatewayConfigTest, LoadsWithTheGatewayParser) {
  const auto result = gateway::parseSettings(filled("8080", "\"10.0.0.0/16\""), "gateway.toml");
  ASSERT_TRUE(std::holds_alternative<gateway::Settings>(result))
      << gateway::describe(std::get<std::vector<gateway::ConfigProblem>>(result));
  const auto& settings = std::get<gateway::Settings>(result);
  EXPECT_EQ(settings.mode, gateway::Mode::aws);
  EXPECT_TRUE(settings.origin.enabled);
  EXPECT_EQ(settings.origin.current_secret_file, "/etc/oh-gateway/secrets/origin-secret");
  EXPECT_EQ(settings.server.listen_port, 8080);
  EXPECT_EQ(settings.upstream.port, 3000);
  EXPECT_EQ(settings.rate_limit.trusted_proxies, (std::vector<std::string>{"10.0.0.0/16"}));
  EXPECT_EQ(settings.admin.listen_address, "127.0.0.1");
}

// This test verifies the configuration without a VPC CIDR and on another port loads too.
TEST(InstanceGatewayConfigTest, LoadsWithoutTrustedProxies) {
  const auto result = gateway::parseSettings(filled("18080", ""), "gateway.toml");
  ASSERT_TRUE(std::holds_alternative<gateway::Settings>(result))
      << gateway::describe(std::get<std::vector<gateway::ConfigProblem>>(result));
  EXPECT_TRUE(std::get<gateway::Settings>(result).rate_limit.trusted_proxies.empty());
  EXPECT_EQ(std::get<gateway::Settings>(result).server.listen_port, 18080);
}

}  // namespace
}  // namespace oh::infra::instance
