// Tests of [auth] and [runtime]: each provider's required keys, formats of hosts, issuer and
// labels, the relations with mode, and that every problem is reported at once with its key.

#include <gtest/gtest.h>

#include <string>

#include "config/load_settings.h"
#include "config_test_util.h"

namespace oh::gateway {
namespace {

using testing::hasProblem;
using testing::problemsOf;
using testing::settingsOf;

constexpr std::string_view kOrigin = "[origin]\ncurrent_secret_file = \"/run/oh/origin\"\n";

constexpr std::string_view kCognito = R"(
mode = "aws"
[origin]
current_secret_file = "/run/oh/origin"
[auth]
provider = "cognito"
client_id = "abc"
callback_hosts = ["openhands.example.com"]
cookie_key_file = "/run/oh/cookie"
[auth.cognito]
region = "eu-west-1"
user_pool_id = "eu-west-1_AbC123"
domain_prefix = "openhands"
)";

constexpr std::string_view kOidc = R"(
mode = "aws"
[origin]
current_secret_file = "/run/oh/origin"
[auth]
provider = "oidc"
client_id = "abc"
callback_hosts = ["openhands.example.com"]
cookie_key_file = "/run/oh/cookie"
[auth.oidc]
issuer = "https://idp.example.com/realms/main"
)";

std::string localConfig(std::string_view extra) {
  return std::string(kOrigin) + "[auth]\nusers_file = \"/run/oh/users\"\ncookie_key_file = \"/run/oh/cookie\"\n" +
         std::string(extra);
}

// Replaces the first occurrence of `from` (which must be present).
std::string replaced(std::string_view text, std::string_view from, std::string_view to) {
  std::string out(text);
  const std::size_t at = out.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) {
    out.replace(at, from.size(), to);
  }
  return out;
}

// This test verifies the defaults of [auth] and [runtime] (provider local with its two files).
TEST(AuthSettings, LocalDefaults) {
  auto settings = settingsOf(localConfig(""));
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->auth.provider, AuthProvider::local);
  EXPECT_EQ(settings->auth.scope, "openid email profile");
  EXPECT_EQ(settings->auth.leeway, std::chrono::seconds(60));
  EXPECT_EQ(settings->auth.session_lifetime, std::chrono::hours(30 * 24));
  EXPECT_TRUE(settings->auth.cookie_secure);
  EXPECT_EQ(settings->auth.http_timeout, std::chrono::seconds(10));
  EXPECT_TRUE(settings->auth.callback_hosts.empty());
  EXPECT_FALSE(settings->runtime.enabled);
  EXPECT_EQ(settings->runtime.access, RuntimeAccess::owner);
  EXPECT_EQ(settings->runtime.docker_socket, "/var/run/docker.sock");
  EXPECT_EQ(settings->runtime.conversation_label, "conversation_id");
  EXPECT_EQ(settings->runtime.user_label, "user_id");
  EXPECT_EQ(settings->runtime.connect_timeout, std::chrono::seconds(5));
}

// This test verifies a complete Cognito configuration and a nested table written as dotted keys.
TEST(AuthSettings, CognitoAccepted) {
  auto settings = settingsOf(kCognito);
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->auth.provider, AuthProvider::cognito);
  EXPECT_EQ(settings->auth.cognito.user_pool_id, "eu-west-1_AbC123");
  auto dotted = settingsOf(replaced(replaced(kCognito, "[auth.cognito]\nregion = \"eu-west-1\"\nuser_pool_id",
                                             "cognito.region = \"eu-west-1\"\ncognito.user_pool_id"),
                                    "domain_prefix", "cognito.domain_prefix"));
  ASSERT_TRUE(dotted);
  EXPECT_EQ(dotted->auth.cognito.region, "eu-west-1");
  auto inline_table = settingsOf("mode = \"local\"\n"
                                 "auth = { provider = \"cognito\", client_id = \"a\", callback_hosts = [\"localhost:8080\"],"
                                 " cookie_key_file = \"/k\", cognito = { region = \"us-east-1\","
                                 " user_pool_id = \"us-east-1_x\", domain_prefix = \"d\" } }\n" +
                                 std::string(kOrigin));
  ASSERT_TRUE(inline_table);
  EXPECT_EQ(inline_table->auth.cognito.domain_prefix, "d");
}

// This test verifies a complete OIDC configuration; http to loopback is accepted in local mode.
TEST(AuthSettings, OidcAccepted) {
  EXPECT_TRUE(settingsOf(kOidc));
  auto local = settingsOf(replaced(replaced(kOidc, "mode = \"aws\"", "mode = \"local\""),
                                   "https://idp.example.com/realms/main", "http://127.0.0.1:4444"));
  ASSERT_TRUE(local);
  EXPECT_EQ(local->auth.oidc.issuer, "http://127.0.0.1:4444");
  EXPECT_TRUE(settingsOf(replaced(replaced(kOidc, "mode = \"aws\"", "mode = \"local\""),
                                  "https://idp.example.com/realms/main", "http://[::1]:4444/x")));
}

// This test verifies runtime hosts with their ticket key, and "public" access without sign-in.
TEST(AuthSettings, RuntimeAccepted) {
  EXPECT_TRUE(hasProblem(problemsOf(std::string(kCognito) +
                                    "[runtime]\nenabled = true\nhost_suffixes = [\"runtime.openhands.example.com\"]\n"),
                         "auth.ticket_key_file", "required"));
  auto settings = settingsOf(replaced(kCognito, "cookie_key_file", "ticket_key_file = \"/run/oh/ticket\"\ncookie_key_file") +
                        "[runtime]\nenabled = true\nhost_suffixes = [\"runtime.openhands.example.com\"]\n" +
                        "access = \"authenticated\"\n");
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->runtime.access, RuntimeAccess::authenticated);
  auto open = settingsOf(std::string(kOrigin) + "[auth]\nprovider = \"none\"\n[runtime]\nenabled = true\n"
                         "host_suffixes = [\"runtime.localhost.test\"]\naccess = \"public\"\n");
  ASSERT_TRUE(open);
  EXPECT_EQ(open->runtime.access, RuntimeAccess::public_);
  EXPECT_TRUE(open->runtime.agent_server_origin.empty());
  auto with_origin = settingsOf(std::string(kOrigin) + "[auth]\nprovider = \"none\"\n[runtime]\nenabled = true\n"
                                "host_suffixes = [\"runtime.localhost.test\"]\naccess = \"public\"\n"
                                "agent_server_origin = \"http://localhost.test:8080\"\n");
  ASSERT_TRUE(with_origin);
  EXPECT_EQ(with_origin->runtime.agent_server_origin, "http://localhost.test:8080");
}

// This test verifies every missing Cognito key is reported at once, each under its own key.
TEST(AuthSettings, CognitoMissingKeysAllReported) {
  const auto problems = problemsOf("mode = \"aws\"\n" + std::string(kOrigin) + "[auth]\nprovider = \"cognito\"\n");
  EXPECT_TRUE(hasProblem(problems, "auth.client_id", "required when auth.provider is \"cognito\""));
  EXPECT_TRUE(hasProblem(problems, "auth.callback_hosts", "required"));
  EXPECT_TRUE(hasProblem(problems, "auth.cookie_key_file", "required"));
  EXPECT_TRUE(hasProblem(problems, "auth.cognito.region", "required"));
  EXPECT_TRUE(hasProblem(problems, "auth.cognito.user_pool_id", "required"));
  EXPECT_TRUE(hasProblem(problems, "auth.cognito.domain_prefix", "required"));
  EXPECT_FALSE(hasProblem(problems, "auth.users_file", ""));
  EXPECT_EQ(problems.size(), 6u) << describe(problems);
}

// This test verifies the OIDC provider's required keys.
TEST(AuthSettings, OidcMissingKeysAllReported) {
  const auto problems = problemsOf("mode = \"aws\"\n" + std::string(kOrigin) + "[auth]\nprovider = \"oidc\"\n");
  EXPECT_TRUE(hasProblem(problems, "auth.client_id", "required"));
  EXPECT_TRUE(hasProblem(problems, "auth.callback_hosts", "required"));
  EXPECT_TRUE(hasProblem(problems, "auth.cookie_key_file", "required"));
  EXPECT_TRUE(hasProblem(problems, "auth.oidc.issuer", "required"));
  EXPECT_EQ(problems.size(), 4u) << describe(problems);
}

// This test verifies a configuration breaking many rules gets one problem per broken key.
TEST(AuthSettings, EveryProblemReportedWithItsKey) {
  const auto problems = problemsOf("mode = \"aws\"\n" + std::string(kOrigin) + R"(
[auth]
provider = "none"
cookie_secure = false
leeway_seconds = 61
session_days = 31
http_timeout_seconds = 0
[runtime]
enabled = true
host_suffixes = ["apps.example.com"]
conversation_label = ""
user_label = "user id"
)");
  EXPECT_TRUE(hasProblem(problems, "auth.provider", "must not be \"none\" when mode is \"aws\""));
  EXPECT_TRUE(hasProblem(problems, "auth.cookie_secure", "must be true when mode is \"aws\""));
  EXPECT_TRUE(hasProblem(problems, "auth.leeway_seconds", "between 0 and 60 seconds, but 61"));
  EXPECT_TRUE(hasProblem(problems, "auth.session_days", "between 1 and 30 days, but 31"));
  EXPECT_TRUE(hasProblem(problems, "auth.http_timeout_seconds", "between 1 and 120"));
  EXPECT_TRUE(hasProblem(problems, "runtime.host_suffixes", "starting with \"runtime.\""));
  EXPECT_TRUE(hasProblem(problems, "runtime.conversation_label", "container label name"));
  EXPECT_TRUE(hasProblem(problems, "runtime.user_label", "container label name"));
  EXPECT_TRUE(hasProblem(problems, "runtime.access", "must be \"public\" when auth.provider is \"none\""));
  EXPECT_EQ(problems.size(), 9u) << describe(problems);
}

struct AuthCase {
  const char* name;
  std::string toml;
  std::string key;
  std::string message_part;
};

std::ostream& operator<<(std::ostream& out, const AuthCase& c) { return out << c.name; }

class InvalidAuthValue : public ::testing::TestWithParam<AuthCase> {};

// This test verifies each invalid [auth] or [runtime] value gives a problem naming its key.
TEST_P(InvalidAuthValue, NamesTheKey) {
  const AuthCase& c = GetParam();
  const auto problems = problemsOf(c.toml);
  EXPECT_TRUE(hasProblem(problems, c.key, c.message_part))
      << "wanted " << c.key << ": ..." << c.message_part << "...\ngot:\n"
      << describe(problems);
}

std::string cognitoWith(std::string_view from, std::string_view to) { return replaced(kCognito, from, to); }
std::string oidcIssuer(std::string_view issuer) {
  return replaced(kOidc, "https://idp.example.com/realms/main", issuer);
}
std::string hosts(std::string_view list) {
  return cognitoWith("callback_hosts = [\"openhands.example.com\"]", "callback_hosts = " + std::string(list));
}
std::string suffixes(std::string_view list) {
  return std::string(kOrigin) + "[auth]\nprovider = \"none\"\n[runtime]\nenabled = true\n" +
         "host_suffixes = " + std::string(list) + "\n" + (list.find("access") == std::string_view::npos ? "access = \"public\"\n" : "");
}

INSTANTIATE_TEST_SUITE_P(
    Config, InvalidAuthValue,
    ::testing::Values(
        AuthCase{"UnknownProvider", localConfig("provider = \"google\"\n"), "auth.provider",
                 R"(must be one of "local", "cognito", "oidc", "none", but "google" was provided)"},
        AuthCase{"UnknownAuthKey", localConfig("client_secret_fil = \"x\"\n"), "auth.client_secret_fil",
                 "did you mean \"auth.client_secret_file\"?"},
        AuthCase{"UnknownCognitoKey", cognitoWith("region =", "regoin = \"x\"\nregion ="), "auth.cognito.regoin",
                 "did you mean \"auth.cognito.region\"?"},
        AuthCase{"CognitoAsValue", localConfig("cognito = 5\n"), "auth.cognito", "must be a table ([auth.cognito])"},
        AuthCase{"BadRegion", cognitoWith("\"eu-west-1\"", "\"Europe\""), "auth.cognito.region", "AWS region name"},
        AuthCase{"PoolOfOtherRegion", cognitoWith("eu-west-1_AbC123", "us-east-1_AbC123"), "auth.cognito.user_pool_id",
                 "must be the region, '_'"},
        AuthCase{"PoolWithSlash", cognitoWith("eu-west-1_AbC123", "eu-west-1_Ab/C"), "auth.cognito.user_pool_id",
                 "letters or digits"},
        AuthCase{"DomainPrefixUpper", cognitoWith("\"openhands\"", "\"OpenHands\""), "auth.cognito.domain_prefix",
                 "lowercase letters"},
        AuthCase{"DomainPrefixDotted", cognitoWith("\"openhands\"", "\"evil.com/x\""), "auth.cognito.domain_prefix",
                 "lowercase letters"},
        AuthCase{"ClientIdWithSpace", cognitoWith("\"abc\"", "\"a b\""), "auth.client_id", "without spaces"},
        AuthCase{"ScopeWithoutOpenid", cognitoWith("client_id", "scope = \"email profile\"\nclient_id"), "auth.scope",
                 "must include \"openid\""},
        AuthCase{"ScopeDoubleSpace", cognitoWith("client_id", "scope = \"openid  email\"\nclient_id"), "auth.scope",
                 "single spaces"},
        AuthCase{"ScopeWithQuote", cognitoWith("client_id", "scope = \"openid e\\\"mail\"\nclient_id"), "auth.scope",
                 "single spaces"},
        AuthCase{"HostWithScheme", hosts("[\"https://openhands.example.com\"]"), "auth.callback_hosts",
                 "lowercase host names"},
        AuthCase{"HostWithPath", hosts("[\"openhands.example.com/x\"]"), "auth.callback_hosts", "no scheme or path"},
        AuthCase{"HostUppercase", hosts("[\"OpenHands.example.com\"]"), "auth.callback_hosts", "lowercase"},
        AuthCase{"HostBadPort", hosts("[\"openhands.example.com:99999\"]"), "auth.callback_hosts", "lowercase"},
        AuthCase{"HostEmptyPort", hosts("[\"openhands.example.com:\"]"), "auth.callback_hosts", "lowercase"},
        AuthCase{"HostUserinfo", hosts("[\"user@openhands.example.com\"]"), "auth.callback_hosts", "lowercase"},
        AuthCase{"HostEmpty", hosts("[\"\"]"), "auth.callback_hosts", "lowercase"},
        AuthCase{"HostRepeated", hosts("[\"a.example.com\", \"a.example.com\"]"), "auth.callback_hosts",
                 "must not repeat"},
        AuthCase{"HostsNotAList", hosts("\"openhands.example.com\""), "auth.callback_hosts", "array of strings"},
        AuthCase{"HostBadIpv6", hosts("[\"[::zz]:8080\"]"), "auth.callback_hosts", "lowercase"},
        AuthCase{"IssuerHttpInAws", oidcIssuer("http://127.0.0.1:4444"), "auth.oidc.issuer", "must be an https URL"},
        AuthCase{"IssuerHttpRemoteInLocal",
                 replaced(oidcIssuer("http://idp.example.com"), "mode = \"aws\"", "mode = \"local\""), "auth.oidc.issuer",
                 "http only to 127.0.0.1"},
        AuthCase{"IssuerBoostUrl755",
                 replaced(oidcIssuer("http://127.0.0.1.evil.com/"), "mode = \"aws\"", "mode = \"local\""),
                 "auth.oidc.issuer", "must be"},
        AuthCase{"IssuerWithQuery", oidcIssuer("https://idp.example.com/?x=1"), "auth.oidc.issuer", "without user, query"},
        AuthCase{"IssuerWithUser", oidcIssuer("https://u@idp.example.com/"), "auth.oidc.issuer", "without user"},
        AuthCase{"IssuerRelative", oidcIssuer("/realms/main"), "auth.oidc.issuer", "must be an https URL"},
        AuthCase{"IssuerOtherScheme", oidcIssuer("ftp://idp.example.com"), "auth.oidc.issuer", "must be an https URL"},
        AuthCase{"CognitoKeysUnderOidc", replaced(kOidc, "[auth.oidc]", "[auth.cognito]\nregion = \"eu-west-1\"\n[auth.oidc]"),
                 "auth.cognito", "is set but auth.provider is \"oidc\""},
        AuthCase{"IssuerUnderLocal", localConfig("[auth.oidc]\nissuer = \"https://x.example.com\"\n"), "auth.oidc",
                 "is set but auth.provider is \"local\""},
        AuthCase{"TokenUseUnderCognito", kCognito.data() + std::string("[auth.oidc]\nrequire_token_use_id = true\n"),
                 "auth.oidc.require_token_use_id", "applies to auth.provider = \"oidc\" only"},
        AuthCase{"UsersFileMissing", std::string(kOrigin) + "[auth]\ncookie_key_file = \"/k\"\n", "auth.users_file",
                 "required when auth.provider is \"local\""},
        AuthCase{"SameKeyFiles", localConfig("cookie_previous_key_file = \"/run/oh/cookie\"\n"),
                 "auth.cookie_previous_key_file", "must differ"},
        AuthCase{"TicketKeyIsCookieKey", localConfig("ticket_key_file = \"/run/oh/cookie\"\n"), "auth.ticket_key_file",
                 "must differ from the cookie key files"},
        AuthCase{"TicketKeyMissing",
                 localConfig("[runtime]\nenabled = true\nhost_suffixes = [\"runtime.example.com\"]\n"),
                 "auth.ticket_key_file", "required when runtime.enabled is true"},
        AuthCase{"RelativeSecretFile", localConfig("client_secret_file = \"secret\"\n"), "auth.client_secret_file",
                 "absolute path"},
        AuthCase{"RelativeCaFile", localConfig("ca_file = \"ca.pem\"\n"), "auth.ca_file", "absolute path"},
        AuthCase{"NulInKeyFile", localConfig("ticket_key_file = \"/a\\u0000b\"\n"), "auth.ticket_key_file",
                 "must not contain NUL"},
        AuthCase{"NegativeLeeway", localConfig("leeway_seconds = -1\n"), "auth.leeway_seconds", "between 0 and 60"},
        AuthCase{"ZeroSessionDays", localConfig("session_days = 0\n"), "auth.session_days", "between 1 and 30 days"},
        AuthCase{"SecureAsString", localConfig("cookie_secure = \"no\"\n"), "auth.cookie_secure", "true or false"},
        AuthCase{"RuntimeWithoutSuffixes", suffixes("[]"), "runtime.host_suffixes", "required when runtime.enabled"},
        AuthCase{"SuffixUppercase", suffixes("[\"runtime.Example.com\"]"), "runtime.host_suffixes", "lowercase DNS"},
        AuthCase{"SuffixOnlyRuntime", suffixes("[\"runtime.com\"]"), "runtime.host_suffixes", "starting with"},
        AuthCase{"SuffixWithPort", suffixes("[\"runtime.example.com:80\"]"), "runtime.host_suffixes", "lowercase DNS"},
        AuthCase{"SuffixLeadingDot", suffixes("[\".runtime.example.com\"]"), "runtime.host_suffixes", "starting with"},
        AuthCase{"SuffixEmptyLabel", suffixes("[\"runtime..example.com\"]"), "runtime.host_suffixes", "lowercase DNS"},
        AuthCase{"SuffixRepeated", suffixes("[\"runtime.a.com\", \"runtime.a.com\"]"), "runtime.host_suffixes",
                 "must not repeat"},
        AuthCase{"SuffixLongLabel", suffixes("[\"runtime." + std::string(64, 'a') + ".com\"]"), "runtime.host_suffixes",
                 "lowercase DNS"},
        AuthCase{"RelativeDockerSocket", suffixes("[\"runtime.a.com\"]\ndocker_socket = \"docker.sock\""),
                 "runtime.docker_socket", "absolute path"},
        AuthCase{"SameLabels", suffixes("[\"runtime.a.com\"]\nuser_label = \"conversation_id\""), "runtime.user_label",
                 "must differ"},
        AuthCase{"BadNetwork", suffixes("[\"runtime.a.com\"]\nnetwork = \"a b\""), "runtime.network", "network name"},
        AuthCase{"AgentOriginWithPath", suffixes("[\"runtime.a.com\"]\nagent_server_origin = \"https://a.com/\""),
                 "runtime.agent_server_origin", "an origin"},
        AuthCase{"AgentOriginNoScheme", suffixes("[\"runtime.a.com\"]\nagent_server_origin = \"a.com\""),
                 "runtime.agent_server_origin", "an origin"},
        AuthCase{"AgentOriginOtherScheme", suffixes("[\"runtime.a.com\"]\nagent_server_origin = \"wss://a.com\""),
                 "runtime.agent_server_origin", "an origin"},
        AuthCase{"AgentOriginUppercase", suffixes("[\"runtime.a.com\"]\nagent_server_origin = \"https://A.com\""),
                 "runtime.agent_server_origin", "an origin"},
        AuthCase{"AgentOriginBadPort", suffixes("[\"runtime.a.com\"]\nagent_server_origin = \"https://a.com:99999\""),
                 "runtime.agent_server_origin", "an origin"},
        AuthCase{"AgentOriginUserInfo", suffixes("[\"runtime.a.com\"]\nagent_server_origin = \"https://u@a.com\""),
                 "runtime.agent_server_origin", "an origin"},
        AuthCase{"UnknownAccess", suffixes("[\"runtime.a.com\"]\naccess = \"everyone\""), "runtime.access",
                 "must be one of \"owner\", \"authenticated\", \"public\""},
        AuthCase{"OwnerWithoutSignIn",
                 std::string(kOrigin) + "[auth]\nprovider = \"none\"\n[runtime]\nenabled = true\n"
                                        "host_suffixes = [\"runtime.a.com\"]\n",
                 "runtime.access", "must be \"public\""},
        AuthCase{"MainHostUnderRuntimeSuffix",
                 replaced(hosts("[\"x.runtime.openhands.example.com\"]"), "cookie_key_file",
                          "ticket_key_file = \"/t\"\ncookie_key_file") +
                     "[runtime]\nenabled = true\nhost_suffixes = [\"runtime.openhands.example.com\"]\n",
                 "runtime.enabled", "lies under runtime.host_suffixes"}),
    [](const ::testing::TestParamInfo<AuthCase>& param_info) { return std::string(param_info.param.name); });

// This test verifies valid host spellings: names with ports, localhost, IPv4 and bracketed IPv6.
TEST(AuthSettings, CallbackHostSpellings) {
  auto settings = settingsOf(hosts(R"(["openhands.example.com", "b.example.com:8443", "localhost:8080",
                                       "127.0.0.1:18080", "[::1]:8080", "xn--bcher-kva.example"])"));
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->auth.callback_hosts.size(), 6u);
}

// This test verifies a hostile value is not echoed with its control characters.
TEST(AuthSettings, HostileHostNotEchoed) {
  const auto problems = problemsOf(hosts("[\"a.example.com\\r\\nSet-Cookie: x=1\"]"));
  ASSERT_TRUE(hasProblem(problems, "auth.callback_hosts", "lowercase"));
  for (const ConfigProblem& problem : problems) {
    EXPECT_EQ(problem.message.find('\n'), std::string::npos);
    EXPECT_EQ(problem.message.find('\r'), std::string::npos);
  }
}

}  // namespace
}  // namespace oh::gateway
