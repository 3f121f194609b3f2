// The gateway configuration the instance writes at boot: boot-services.sh's config phase runs for
// real (bash, jq, sed as on the instance) in a scratch root, with the instance.env the user data
// writes and stand-in secret files, and its gateway.toml is loaded by oh-gateway's own parser.
// `aws` is a stub that fails, so nothing here can reach AWS.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "boot_config_fixture.h"

namespace oh::infra::instance {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the fixture's helpers

class InstanceGatewayConfigTest : public BootConfigFixture {};

constexpr const char* kTwoDomains = "openhands.example.com,openhands.example.org";
constexpr const char* kOneDomain = "openhands.example.com";

// This test verifies the rendered file loads in aws mode with Cognito sign-in (values from the
// sign-in secret's non-secret fields), every domain's main host and runtime suffix, the two
// derived keys, the owner policy and the Docker socket.
TEST_F(InstanceGatewayConfigTest, LoadsWithCognitoSignInAndRuntimeApps) {
  ASSERT_EQ(boot(kTwoDomains, kGoodAuthSettings), 0) << log_;
  const auto s = parse(gatewayToml());
  EXPECT_EQ(s.mode, gateway::Mode::aws);
  EXPECT_TRUE(s.origin.enabled);
  EXPECT_EQ(s.origin.current_secret_file, "/etc/oh-gateway/secrets/origin-secret");
  // Always set: during a rotation it holds the previous value, otherwise the current one again.
  EXPECT_EQ(s.origin.previous_secret_file, "/etc/oh-gateway/secrets/origin-previous-secret");
  EXPECT_EQ(s.server.listen_port, 8080);
  EXPECT_EQ(s.rate_limit.trusted_proxies, (std::vector<std::string>{"10.20.0.0/16"}));
  EXPECT_EQ(s.auth.provider, gateway::AuthProvider::cognito);
  EXPECT_EQ(s.auth.client_id, "5abcdefghijklmnopqrstuvwx1");
  EXPECT_EQ(s.auth.client_secret_file, "/etc/oh-gateway/secrets/client-secret");
  EXPECT_EQ(s.auth.cognito.region, "us-east-1");
  EXPECT_EQ(s.auth.cognito.user_pool_id, "us-east-1_AbCdEf123");
  EXPECT_EQ(s.auth.cognito.domain_prefix, "openhands-123456789012-shared");
  EXPECT_EQ(s.auth.callback_hosts, (std::vector<std::string>{"openhands.example.com", "openhands.example.org"}));
  EXPECT_TRUE(s.auth.cookie_secure);
  EXPECT_EQ(s.auth.cookie_key_file, "/etc/oh-gateway/secrets/cookie-key");
  EXPECT_EQ(s.auth.ticket_key_file, "/etc/oh-gateway/secrets/ticket-key");
  EXPECT_NE(s.auth.cookie_key_file, s.auth.ticket_key_file);
  EXPECT_TRUE(s.auth.cookie_previous_key_file.empty());
  EXPECT_TRUE(s.runtime.enabled);
  EXPECT_EQ(s.runtime.host_suffixes,
            (std::vector<std::string>{"runtime.openhands.example.com", "runtime.openhands.example.org"}));
  EXPECT_EQ(s.runtime.docker_socket, "/var/run/docker.sock");
  // The sandbox store knows each sandbox's owner: only the owner opens its hosts.
  EXPECT_EQ(s.runtime.access, gateway::RuntimeAccess::owner);
  // The second domain's browsers reach the agent servers with the primary's origin.
  EXPECT_EQ(s.runtime.agent_server_origin, "https://openhands.example.com");
  // The service reads the gateway's uid and the Docker group from here.
  EXPECT_EQ(readFile(etc() / "gateway.env"), "DOCKER_GID=994\nGATEWAY_UID=" + std::to_string(getuid()) + "\n");
  EXPECT_EQ(readFile(etc() / "gateway-auth.env"),
            "AUTH_REGION=us-east-1\nAUTH_USER_POOL_ID=us-east-1_AbCdEf123\nAUTH_CLIENT_ID=5abcdefghijklmnopqrstuvwx1\n"
            "AUTH_DOMAIN_PREFIX=openhands-123456789012-shared\n");
}

// This test verifies one domain (the default) gives one main host and one runtime suffix.
TEST_F(InstanceGatewayConfigTest, OneDomainByDefault) {
  ASSERT_EQ(boot(kOneDomain, kGoodAuthSettings), 0) << log_;
  const auto s = parse(gatewayToml());
  EXPECT_EQ(s.auth.callback_hosts, (std::vector<std::string>{"openhands.example.com"}));
  EXPECT_EQ(s.runtime.host_suffixes, (std::vector<std::string>{"runtime.openhands.example.com"}));
  // No single OpenHands any more: the gateway starts one per user.
  EXPECT_FALSE(fs::exists(etc() / "openhands.env"));
}

// This test verifies the sandbox API is on: on docker0's address (never a wildcard), its two
// keys in the gateway's secrets, the store on Aurora through the proxy with TLS verified and no
// password in the URL, the pinned agent-server image the only one allowed, workspaces on EFS.
TEST_F(InstanceGatewayConfigTest, SandboxApiOnWithTheStoreOnAurora) {
  ASSERT_EQ(boot(kTwoDomains, kGoodAuthSettings), 0) << log_;
  const auto s = parse(gatewayToml());
  EXPECT_TRUE(s.sandbox.enabled);
  EXPECT_EQ(s.sandbox.listen_address, "172.17.0.1");
  EXPECT_EQ(s.sandbox.listen_port, 8090);
  EXPECT_EQ(s.sandbox.key_file, "/etc/oh-gateway/secrets/sandbox-key");
  EXPECT_EQ(s.sandbox.seal_key_file, "/etc/oh-gateway/secrets/sandbox-seal-key");
  EXPECT_EQ(s.sandbox.store_url, "postgresql://openhands_app@localhost:5432/oh_gateway"
                                 "?sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ(s.sandbox.allowed_images, (std::vector<std::string>{"ghcr.io/openhands/agent-server:1.20.1-python"}));
  EXPECT_EQ(s.sandbox.workspace_root, "/data/openhands/workspaces");
  EXPECT_EQ(s.sandbox.public_scheme, "https");
  EXPECT_TRUE(fs::is_directory(work_ / "data/workspaces"));
}

// This test verifies one OpenHands per user is on: the pinned image from the SSM parameter,
// persistence on EFS, the sandbox API on the address the listener has, every main host as a
// CORS origin, the LLM settings passed through, events in the data bucket.
TEST_F(InstanceGatewayConfigTest, AppServerPerUserOn) {
  ASSERT_EQ(boot(kTwoDomains, kGoodAuthSettings), 0) << log_;
  const auto s = parse(gatewayToml());
  EXPECT_TRUE(s.appserver.enabled);
  EXPECT_EQ(s.appserver.image, "docker.openhands.dev/openhands/openhands:1.7.0");
  EXPECT_EQ(s.appserver.openhands_version, "1.7.0");
  EXPECT_EQ(s.appserver.data_root, "/data/openhands/users");
  EXPECT_EQ(s.appserver.sandbox_api_url, "http://172.17.0.1:8090");
  EXPECT_EQ(s.appserver.web_url, "https://openhands.example.com");
  EXPECT_EQ(s.appserver.cors_origins, (std::vector<std::string>{"https://openhands.example.com", "https://openhands.example.org"}));
  EXPECT_EQ(s.appserver.secret_key_file, "/etc/oh-gateway/secrets/appserver-key");
  EXPECT_EQ(s.appserver.pass_environment,
            (std::vector<std::string>{"LLM_MODEL", "AWS_REGION_NAME", "AWS_REGION", "AWS_DEFAULT_REGION"}));
  // Events stay in each user's persistence directory on EFS: app servers sit on bridge
  // networks with no AWS credentials (IMDS hop limit 1, the firewall), so S3 writes would fail.
  EXPECT_EQ(s.appserver.event_bucket, "");
  EXPECT_TRUE(fs::is_directory(work_ / "data/users"));
}

// This test verifies sandboxes' credential endpoint (issue 15): on, at 169.254.170.2:8091 (the
// address botocore accepts over plain HTTP, on oh-firewall.sh's dummy interface), for the Bedrock
// role the user data names, in the deployment's region through regional STS, with a token key
// of its own among the gateway's secrets.
TEST_F(InstanceGatewayConfigTest, SandboxCredentialsForTheBedrockRole) {
  ASSERT_EQ(boot(kOneDomain, kGoodAuthSettings), 0) << log_;
  const auto s = parse(gatewayToml());
  EXPECT_TRUE(s.credentials.enabled);
  EXPECT_EQ(s.credentials.listen_address, "169.254.170.2");
  EXPECT_EQ(s.credentials.listen_port, 8091);
  EXPECT_EQ(s.credentials.role_arn, std::string(sampleInputs().bedrock_role_arn.as_string()));
  EXPECT_EQ(s.credentials.region, "eu-central-1");
  EXPECT_EQ(s.credentials.sts_endpoint, "");
  EXPECT_EQ(s.credentials.token_key_file, "/etc/oh-gateway/secrets/credentials-token-key");
}

// This test verifies a Bedrock role ARN or region that is not one (a quote or newline would
// inject TOML, a '|' would break the substitution) stops the boot before gateway.toml is written.
TEST_F(InstanceGatewayConfigTest, HostileBedrockRoleOrRegionStopsTheBoot) {
  for (const char* line : {"BEDROCK_ROLE_ARN=", "BEDROCK_ROLE_ARN='arn:aws:iam::123456789012:role/x\"\nenabled = false'",
                           "BEDROCK_ROLE_ARN=arn:aws:iam::123456789012:user/x", "BEDROCK_ROLE_ARN=arn:aws:iam::1234:role/x",
                           "BEDROCK_ROLE_ARN='arn:aws:iam::123456789012:role/a|b'", "REGION=", "REGION='eu-central-1\"'",
                           "REGION=EU-CENTRAL-1"}) {
    fs::remove(etc() / "gateway.toml");
    instance_env_extra_ = std::string(line) + "\n";
    EXPECT_NE(boot(kOneDomain, kGoodAuthSettings), 0) << line;
    EXPECT_FALSE(fs::exists(etc() / "gateway.toml")) << line;
  }
  instance_env_extra_ = "BEDROCK_ROLE_ARN=arn:aws-us-gov:iam::123456789012:role/path/OpenHands-Bedrock\nREGION=us-gov-west-1\n";
  ASSERT_EQ(boot(kOneDomain, kGoodAuthSettings), 0) << log_;
  EXPECT_EQ(parse(gatewayToml()).credentials.role_arn, "arn:aws-us-gov:iam::123456789012:role/path/OpenHands-Bedrock");
}

// This test verifies an agent-server image parameter that is not an image reference (the SSM
// parameter is writable by whoever may change it) stops the boot before gateway.toml is written.
TEST_F(InstanceGatewayConfigTest, HostileAgentServerImageStopsTheBoot) {
  for (const char* image : {"", "ghcr.io/openhands/agent-server", "x:1\"]\n[runtime]", "a b:1", "ghcr.io/x:1|y",
                            "ghcr.io/x:1&y"}) {
    fs::remove(etc() / "gateway.toml");
    EXPECT_NE(boot(kOneDomain, kGoodAuthSettings, image), 0) << image;
    EXPECT_FALSE(fs::exists(etc() / "gateway.toml")) << image;
  }
}

// This test verifies every placeholder is filled, no secret value reaches any file outside
// secrets/ or the output, and the file is small.
TEST_F(InstanceGatewayConfigTest, EverySubstitutionResolvedAndNoSecretsOutsideSecrets) {
  ASSERT_EQ(boot(kTwoDomains, kGoodAuthSettings), 0) << log_;
  const std::string toml = gatewayToml();
  EXPECT_FALSE(std::regex_search(toml, std::regex("@[A-Z_]+@"))) << toml;
  EXPECT_LT(toml.size(), 16384u);
  for (const char* name : {"gateway.toml", "gateway-auth.env", "gateway.env", "db-tls.conf"}) {
    const std::string text = readFile(etc() / name);
    EXPECT_FALSE(text.empty()) << name;
    EXPECT_EQ(text.find(kClientSecret), std::string::npos) << name;
    EXPECT_EQ(text.find(kAppPassword), std::string::npos) << name;
  }
  EXPECT_EQ(log_.find(kClientSecret), std::string::npos);
  EXPECT_EQ(log_.find(kAppPassword), std::string::npos);
}

// This test verifies a previous session key (after a rotation) is offered to the gateway.
TEST_F(InstanceGatewayConfigTest, PreviousCookieKeyWhenThereIsOne) {
  writeFile(secrets() / "gateway/cookie-previous-key", std::string(64, 'a') + "\n");
  ASSERT_EQ(boot(kTwoDomains, kGoodAuthSettings), 0) << log_;
  EXPECT_EQ(parse(gatewayToml()).auth.cookie_previous_key_file, "/etc/oh-gateway/secrets/cookie-previous-key");
}

// This test verifies hostile or missing sign-in settings stop the boot before any gateway.toml
// is written (a quote or a newline would otherwise inject TOML).
TEST_F(InstanceGatewayConfigTest, HostileOrMissingSignInSettingsStopTheBoot) {
  const std::vector<std::string> bad = {
      R"({"issuer":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc","clientId":"x\"\n[runtime]\naccess = \"public","domain":"d.auth.example.com"})",
      R"({"issuer":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc","domain":"d.auth.example.com"})",
      R"({"issuer":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_A bc","clientId":"c","domain":"d.auth.example.com"})",
      "not json"};
  for (const auto& settings : bad) {
    fs::remove(etc() / "gateway.toml");
    EXPECT_NE(boot(kOneDomain, settings), 0) << settings;
    EXPECT_FALSE(fs::exists(etc() / "gateway.toml")) << settings;
  }
}

// This test verifies a main-hosts value that is not a list of DNS names (it comes from an SSM
// parameter anyone with write access to it could change) stops the boot the same way.
TEST_F(InstanceGatewayConfigTest, HostileOrMissingMainHostsStopTheBoot) {
  for (const char* hosts : {"", "openhands.example.com,\"]\n[runtime]", "a b.example.com", "Openhands.example.com",
                            "openhands.example.com,,x.example.com", "-x.example.com", "x.example.com/"}) {
    fs::remove(etc() / "gateway.toml");
    EXPECT_NE(boot(hosts, kGoodAuthSettings), 0) << hosts;
    EXPECT_FALSE(fs::exists(etc() / "gateway.toml")) << hosts;
  }
}

}  // namespace
}  // namespace oh::infra::instance
