// Tests that each invalid value is refused with a problem naming its key, that unknown keys
// and wrong types are problems, and that every problem is reported at once.

#include <gtest/gtest.h>

#include <string>

#include "config/load_settings.h"
#include "config_test_util.h"

namespace oh::gateway {
namespace {

using testing::hasProblem;
using testing::kSecretLine;
using testing::problemsOf;

struct InvalidCase {
  const char* name;
  std::string toml;         // appended to a valid base (with the secret file)
  std::string key;          // the key the problem must name
  std::string message_part; // a piece of the expected message
};

std::ostream& operator<<(std::ostream& out, const InvalidCase& c) { return out << c.name; }

class InvalidValue : public ::testing::TestWithParam<InvalidCase> {};

// This test verifies the invalid value yields a problem naming its key with the expected text.
TEST_P(InvalidValue, NamesTheKey) {
  const InvalidCase& c = GetParam();
  const auto problems = problemsOf(c.toml);
  EXPECT_TRUE(hasProblem(problems, c.key, c.message_part))
      << "wanted " << c.key << ": ..." << c.message_part << "...\ngot:\n"
      << describe(problems);
}

std::string withSecret(const std::string& text) { return text + "\n" + std::string(kSecretLine); }

INSTANTIATE_TEST_SUITE_P(
    Config, InvalidValue,
    ::testing::Values(
        InvalidCase{"ModeUnknown", withSecret("mode = \"cloud\""), "mode", R"(must be one of "local", "aws", but "cloud" was provided)"},
        InvalidCase{"ModeWrongCase", withSecret("mode = \"AWS\""), "mode", "must be one of"},
        InvalidCase{"ModeInteger", withSecret("mode = 1"), "mode", "must be a string, but an integer was provided"},
        InvalidCase{"ListenAddressHostName", withSecret("[server]\nlisten_address = \"localhost\""), "server.listen_address", "must be an IP address"},
        InvalidCase{"ListenAddressScoped", withSecret("[server]\nlisten_address = \"fe80::1%eth0\""), "server.listen_address", "must be an IP address"},
        InvalidCase{"ListenAddressEmpty", withSecret("[server]\nlisten_address = \"\""), "server.listen_address", "must be an IP address"},
        InvalidCase{"ListenPortTooBig", withSecret("[server]\nlisten_port = 65536"), "server.listen_port", "must be between 0 and 65535, but 65536 was provided"},
        InvalidCase{"ListenPortNegative", withSecret("[server]\nlisten_port = -1"), "server.listen_port", "must be between 0 and 65535, but -1 was provided"},
        InvalidCase{"ListenPortString", withSecret("[server]\nlisten_port = \"8080\""), "server.listen_port", "must be an integer, but a string was provided"},
        InvalidCase{"ListenPortFloat", withSecret("[server]\nlisten_port = 8080.0"), "server.listen_port", "must be an integer, but a float was provided"},
        InvalidCase{"ListenPortHuge", withSecret("[server]\nlisten_port = 9223372036854775807"), "server.listen_port", "but 9223372036854775807 was provided"},
        InvalidCase{"ThreadsTooMany", withSecret("[server]\nthreads = 1025"), "server.threads", "must be between 0 and 1024"},
        InvalidCase{"HeaderTimeoutZero", withSecret("[server]\nclient_header_timeout_seconds = 0"), "server.client_header_timeout_seconds", "must be between 1 and 86400 seconds, but 0 was provided"},
        InvalidCase{"IdleTimeoutTooLong", withSecret("[server]\nclient_idle_timeout_seconds = 86401"), "server.client_idle_timeout_seconds", "must be between 1 and 86400 seconds, but 86401 was provided"},
        InvalidCase{"DrainTimeoutNegative", withSecret("[server]\ndrain_timeout_seconds = -5"), "server.drain_timeout_seconds", "but -5 was provided"},
        InvalidCase{"MaxConnectionsZero", withSecret("[server]\nmax_connections = 0"), "server.max_connections", "must be between 1 and 1000000"},
        InvalidCase{"UpstreamHttps", withSecret("[upstream]\nurl = \"https://127.0.0.1:3000\""), "upstream.url", "must use the http scheme"},
        InvalidCase{"UpstreamNotUrl", withSecret("[upstream]\nurl = \"127.0.0.1:3000\""), "upstream.url", "must"},
        InvalidCase{"UpstreamPath", withSecret("[upstream]\nurl = \"http://127.0.0.1:3000/api\""), "upstream.url", "must not have a path"},
        InvalidCase{"UpstreamUserInfo", withSecret("[upstream]\nurl = \"http://user:pw@127.0.0.1\""), "upstream.url", "must not contain user information"},
        InvalidCase{"UpstreamPortZero", withSecret("[upstream]\nurl = \"http://127.0.0.1:0\""), "upstream.url", "must have a port between 1 and 65535"},
        InvalidCase{"UpstreamBool", withSecret("[upstream]\nurl = true"), "upstream.url", "must be a string, but a boolean was provided"},
        InvalidCase{"ConnectTimeoutZero", withSecret("[upstream]\nconnect_timeout_seconds = 0"), "upstream.connect_timeout_seconds", "must be between 1 and 86400 seconds"},
        InvalidCase{"ReadTimeoutTooLong", withSecret("[upstream]\nread_timeout_seconds = 100000"), "upstream.read_timeout_seconds", "but 100000 was provided"},
        InvalidCase{"PoolIdleTimeoutZero", withSecret("[upstream]\npool_idle_timeout_seconds = 0"), "upstream.pool_idle_timeout_seconds", "must be between 1 and 86400"},
        InvalidCase{"PoolMaxIdleZero", withSecret("[upstream]\npool_max_idle_per_thread = 0"), "upstream.pool_max_idle_per_thread", "must be between 1 and 100000"},
        InvalidCase{"WebSocketIdleZero", withSecret("[websocket]\nidle_timeout_seconds = 0"), "websocket.idle_timeout_seconds", "must be between 1 and 86400"},
        InvalidCase{"WebSocketMessageZero", withSecret("[websocket]\nmax_message_bytes = 0"), "websocket.max_message_bytes", "must be between 1 and 1073741824 bytes"},
        InvalidCase{"OriginEnabledString", "[origin]\nenabled = \"yes\"\ncurrent_secret_file = \"/s\"", "origin.enabled", "must be true or false, but a string was provided"},
        InvalidCase{"OriginDisabledInAws", "mode = \"aws\"\n[origin]\nenabled = false", "origin.enabled", "must be true when mode is \"aws\""},
        InvalidCase{"OriginSecretMissing", "[origin]\nenabled = true", "origin.current_secret_file", "is required when origin.enabled is true"},
        InvalidCase{"OriginSecretNul", "[origin]\ncurrent_secret_file = \"/run/a\\u0000b\"", "origin.current_secret_file", "must not contain NUL"},
        InvalidCase{"OriginHeaderSpace", "[origin]\nheader = \"X Origin\"\ncurrent_secret_file = \"/s\"", "origin.header", "must be an HTTP header name"},
        InvalidCase{"OriginHeaderEmpty", "[origin]\nheader = \"\"\ncurrent_secret_file = \"/s\"", "origin.header", "must be an HTTP header name"},
        InvalidCase{"OriginHeaderNewline", "[origin]\nheader = \"X-A\\r\\nX-B\"\ncurrent_secret_file = \"/s\"", "origin.header", "\"X-A??X-B\""},
        InvalidCase{"MaxHeaderBytesSmall", withSecret("[limits]\nmax_header_bytes = 100"), "limits.max_header_bytes", "must be between 1024 and 1048576 bytes, but 100 was provided"},
        InvalidCase{"MaxHeaderCountZero", withSecret("[limits]\nmax_header_count = 0"), "limits.max_header_count", "must be between 1 and 10000"},
        InvalidCase{"MaxBodyBytesZero", withSecret("[limits]\nmax_body_bytes = 0"), "limits.max_body_bytes", "must be between 1 and"},
        InvalidCase{"BodyRulesNotArray", withSecret("[limits]\nbody = 5"), "limits.body", "must be an array of tables"},
        InvalidCase{"BodyRuleNoSlash", withSecret("[[limits.body]]\npath_prefix = \"api\"\nmax_bytes = 1"), "limits.body[0].path_prefix", "must start with '/'"},
        InvalidCase{"BodyRuleMissingMax", withSecret("[[limits.body]]\npath_prefix = \"/api\""), "limits.body[0].max_bytes", "is required"},
        InvalidCase{"BodyRuleMissingPrefix", withSecret("[[limits.body]]\nmax_bytes = 3"), "limits.body[0].path_prefix", "is required"},
        InvalidCase{"BodyRuleNegative", withSecret("[[limits.body]]\npath_prefix = \"/a\"\nmax_bytes = -3"), "limits.body[0].max_bytes", "but -3 was provided"},
        InvalidCase{"BodyRuleUnknownKey", withSecret("[[limits.body]]\npath_prefix = \"/a\"\nmax_bytes = 3\nmax = 4"), "limits.body[0].max", "is not a known key"},
        InvalidCase{"BodyRuleDuplicate", withSecret("[[limits.body]]\npath_prefix = \"/a\"\nmax_bytes = 3\n[[limits.body]]\npath_prefix = \"/a\"\nmax_bytes = 4"), "limits.body", "must not repeat a path_prefix"},
        InvalidCase{"BodyRuleNotTable", withSecret("[limits]\nbody = [1]"), "limits.body[0]", "must be a table"},
        InvalidCase{"RateZero", withSecret("[rate_limit]\nrequests_per_second = 0"), "rate_limit.requests_per_second", "must be greater than 0 and at most 1000000, but 0 was provided"},
        InvalidCase{"RateNegative", withSecret("[rate_limit]\nrequests_per_second = -2.5"), "rate_limit.requests_per_second", "but -2.5 was provided"},
        InvalidCase{"RateNan", withSecret("[rate_limit]\nrequests_per_second = nan"), "rate_limit.requests_per_second", "but nan was provided"},
        InvalidCase{"RateInfinite", withSecret("[rate_limit]\nrequests_per_second = inf"), "rate_limit.requests_per_second", "but inf was provided"},
        InvalidCase{"RateString", withSecret("[rate_limit]\nrequests_per_second = \"50\""), "rate_limit.requests_per_second", "must be a number, but a string was provided"},
        InvalidCase{"BurstBelowOne", withSecret("[rate_limit]\nburst = 0.5"), "rate_limit.burst", "must be at least 1 and at most 1000000000, but 0.5 was provided"},
        InvalidCase{"TrackedClientsZero", withSecret("[rate_limit]\nmax_tracked_clients = 0"), "rate_limit.max_tracked_clients", "must be between 1 and 10000000"},
        InvalidCase{"TrustedProxiesString", withSecret("[rate_limit]\ntrusted_proxies = \"10.0.0.0/8\""), "rate_limit.trusted_proxies", "must be an array of strings, but a string was provided"},
        InvalidCase{"TrustedProxiesInteger", withSecret("[rate_limit]\ntrusted_proxies = [10]"), "rate_limit.trusted_proxies[0]", "must be a string, but an integer was provided"},
        InvalidCase{"TrustedProxiesGarbage", withSecret("[rate_limit]\ntrusted_proxies = [\"10.0.0.0/8\", \"not-an-ip\"]"), "rate_limit.trusted_proxies", "\"not-an-ip\" (not an IP address) was provided"},
        InvalidCase{"TrustedProxiesPrefixTooLong", withSecret("[rate_limit]\ntrusted_proxies = [\"10.0.0.0/33\"]"), "rate_limit.trusted_proxies", "prefix length must be 0 to 32"},
        InvalidCase{"TrustedProxiesHostBits", withSecret("[rate_limit]\ntrusted_proxies = [\"10.0.0.1/8\"]"), "rate_limit.trusted_proxies", "did you mean \"10.0.0.0/8\"?"},
        InvalidCase{"AdminPublic", withSecret("[admin]\nlisten_address = \"0.0.0.0\""), "admin.listen_address", "must be a loopback address"},
        InvalidCase{"AdminHostName", withSecret("[admin]\nlisten_address = \"localhost\""), "admin.listen_address", "must be a loopback address"},
        InvalidCase{"AdminSamePort", withSecret("[server]\nlisten_port = 9000\n[admin]\nlisten_port = 9000"), "admin.listen_port", "must differ from server.listen_port, but both are 9000"},
        InvalidCase{"AdminPortTooBig", withSecret("[admin]\nlisten_port = 100000"), "admin.listen_port", "must be between 0 and 65535"},
        InvalidCase{"LogLevelUnknown", withSecret("[log]\nlevel = \"verbose\""), "log.level", "must be one of \"trace\", \"debug\", \"info\", \"warn\", \"error\", but \"verbose\" was provided"},
        InvalidCase{"AccessLogInteger", withSecret("[log]\naccess_log = 1"), "log.access_log", "must be true or false, but an integer was provided"},
        InvalidCase{"UnknownTopLevelKey", withSecret("modes = \"aws\""), "modes", "did you mean \"mode\"?"},
        InvalidCase{"UnknownKeyInSection", withSecret("[server]\nlisten_prot = 1"), "server.listen_prot", "did you mean \"server.listen_port\"?"},
        InvalidCase{"UnknownSection", withSecret("[tls]\ncertificate = \"x\""), "tls", "is not a known key"},
        InvalidCase{"UnknownDerivedKey", withSecret("[upstream]\nhost = \"x\""), "upstream.host", "is not a known key"},
        InvalidCase{"SectionAsValue", withSecret("server = 5"), "server", "must be a table ([server]), but an integer was provided"},
        InvalidCase{"ValueAsTable", withSecret("[server.listen_port]\nx = 1"), "server.listen_port", "must be an integer, but a table was provided"},
        InvalidCase{"DateForTimeout", withSecret("[server]\ndrain_timeout_seconds = 1979-05-27"), "server.drain_timeout_seconds", "but a date was provided"},
        InvalidCase{"ArrayForBool", withSecret("[log]\naccess_log = [true]"), "log.access_log", "but an array was provided"}),
    [](const ::testing::TestParamInfo<InvalidCase>& param_info) { return std::string(param_info.param.name); });

// This test verifies that every problem in a file is reported at once, in file order.
TEST(ConfigProblems, AllReportedTogetherInFileOrder) {
  const auto problems = problemsOf(R"(
mode = "cloud"
typo = 1
[server]
listen_port = 70000
client_idle_timeout_seconds = 0
[upstream]
url = "ftp://x"
[admin]
listen_address = "10.0.0.1"
)");
  ASSERT_EQ(problems.size(), 9u) << describe(problems);
  EXPECT_EQ(problems[0].key, "mode");
  EXPECT_EQ(problems[1].key, "typo");
  EXPECT_EQ(problems[2].key, "server.listen_port");
  EXPECT_EQ(problems[3].key, "server.client_idle_timeout_seconds");
  // Rule problems follow the per-value ones.
  EXPECT_TRUE(hasProblem(problems, "upstream.url", "http"));
  EXPECT_TRUE(hasProblem(problems, "origin.current_secret_file", "required"));
  EXPECT_TRUE(hasProblem(problems, "admin.listen_address", "loopback"));
  // The default provider, "local", needs its files.
  EXPECT_TRUE(hasProblem(problems, "auth.cookie_key_file", "required"));
  EXPECT_TRUE(hasProblem(problems, "auth.users_file", "required"));
}

// This test verifies that value problems carry their position in the file.
TEST(ConfigProblems, PositionInMessage) {
  const auto problems = problemsOf("[server]\n\nlisten_port = 70000\n" + std::string(kSecretLine));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("(test.toml line 3, column 15)"), std::string::npos) << problems[0].message;
}

// This test verifies that rule problems carry the position of their key when it is in the file.
TEST(ConfigProblems, RulePositionInMessage) {
  const auto problems = problemsOf(withSecret("[admin]\nlisten_address = \"10.0.0.1\""));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("(test.toml line 2, column 18)"), std::string::npos) << problems[0].message;
  // A rule about a key absent from the file has no position.
  const auto absent = problemsOf("[origin]\nenabled = true\n[auth]\nprovider = \"none\"\n");
  ASSERT_EQ(absent.size(), 1u);
  EXPECT_EQ(absent[0].message.find("line"), std::string::npos) << absent[0].message;
}

// This test verifies that a refused value is not checked again by a rule (no duplicate noise).
TEST(ConfigProblems, RefusedValueNotReportedTwice) {
  const auto problems = problemsOf(withSecret("[admin]\nlisten_address = 5"));
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  EXPECT_EQ(problems[0].key, "admin.listen_address");
}

// This test verifies that hostile values are shown without their control characters.
TEST(ConfigProblems, ControlCharactersNotEchoed) {
  const auto problems = problemsOf(withSecret("[admin]\nlisten_address = \"1.2.3.4\\n\\u001b[31mFAKE\""));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].message.find('\n'), std::string::npos);
  EXPECT_EQ(problems[0].message.find('\x1b'), std::string::npos);
}

// This test verifies that very long values are cut in messages.
TEST(ConfigProblems, LongValuesCut) {
  const auto problems = problemsOf(withSecret("[admin]\nlisten_address = \"" + std::string(5000, 'a') + "\""));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_LT(problems[0].message.size(), 400u);
}

// This test verifies that hostile quoted keys are shown without control characters, cut short.
TEST(ConfigProblems, HostileUnknownKeys) {
  const auto problems = problemsOf(withSecret("\"a\\nserver.listen_port: fine\" = 1\n\"" + std::string(100000, 'k') + "\" = 2"));
  ASSERT_EQ(problems.size(), 2u) << describe(problems);
  for (const ConfigProblem& problem : problems) {
    EXPECT_EQ(problem.key.find('\n'), std::string::npos);
    EXPECT_LT(problem.key.size(), 100u);
  }
  EXPECT_EQ(describe(problems).find("\nserver.listen_port: fine"), std::string::npos);
}

// This test verifies that a file full of unknown keys gives a bounded list of problems.
TEST(ConfigProblems, ProblemCountBounded) {
  std::string text;
  for (int i = 0; i < 5000; ++i) {
    text += "unknown_" + std::to_string(i) + " = 1\n";
  }
  const auto problems = problemsOf(withSecret(text));
  ASSERT_EQ(problems.size(), 101u);
  EXPECT_EQ(problems.back().key, "");
  EXPECT_EQ(problems.back().message, "... and 4900 more problems");
}

// This test verifies that a list with thousands of entries is refused, not parsed one by one.
TEST(ConfigProblems, TooManyTrustedProxies) {
  std::string list = "[rate_limit]\ntrusted_proxies = [";
  for (int i = 0; i < 2000; ++i) {
    list += "\"10.0.0.1\",";
  }
  list += "]";
  EXPECT_TRUE(hasProblem(problemsOf(withSecret(list)), "rate_limit.trusted_proxies", "at most 1024 entries"));
}

}  // namespace
}  // namespace oh::gateway
