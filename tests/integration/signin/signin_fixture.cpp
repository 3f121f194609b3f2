#include "signin_fixture.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <boost/json.hpp>
#include <boost/url.hpp>

namespace oh::testing {
namespace {

std::string tomlQuoted(const std::string& text) { return "\"" + text + "\""; }

void writePrivate(const std::string& file, const std::string& contents) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << contents;
  ::chmod(file.c_str(), 0600);
}

std::string randomHexKey() {
  std::random_device device;
  std::string hex;
  for (int i = 0; i < 64; ++i) {
    hex.push_back("0123456789abcdef"[device() % 16]);
  }
  return hex;
}

}  // namespace

std::string setCookiePair(const RawResponse& response, std::string_view name) {
  for (const HeaderField& field : response.headers) {
    if (equalsIgnoreCase(field.name, "Set-Cookie") && field.value.starts_with(std::string(name) + "=")) {
      const std::string pair = field.value.substr(0, field.value.find(';'));
      return pair.size() == name.size() + 1 ? std::string() : pair;
    }
  }
  return {};
}

bool deletesCookie(const RawResponse& response, std::string_view name) {
  for (const HeaderField& field : response.headers) {
    if (equalsIgnoreCase(field.name, "Set-Cookie") && field.value.starts_with(std::string(name) + "=;") &&
        field.value.find("Max-Age=0") != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string queryParam(std::string_view url, std::string_view name) {
  auto parsed = boost::urls::parse_uri_reference(url);
  if (!parsed) {
    return {};
  }
  auto it = parsed->params().find(name);
  return it == parsed->params().end() ? std::string() : std::string((*it).value);
}

std::string originForm(std::string_view url) {
  auto parsed = boost::urls::parse_uri_reference(url);
  if (!parsed) {
    return std::string(url);
  }
  std::string out(parsed->encoded_path());
  if (parsed->has_query()) {
    out += "?" + std::string(parsed->encoded_query());
  }
  return out.empty() ? "/" : out;
}

void SignInIntegrationTest::SetUp() {
  if (GatewayProcess::defaultBinary().empty()) {
    GTEST_SKIP() << "oh-gateway is not built";
  }
  if (!std::filesystem::exists(std::string(OH_SOURCE_DIR) + "/node_modules/oidc-provider")) {
    GTEST_SKIP() << "node_modules/oidc-provider missing (run scripts/setup.sh)";
  }
  char pattern[] = "/tmp/oh-signin-it-XXXXXX";
  dir_ = ::mkdtemp(pattern);
  auto [code, out] = ChildProcess::run({"bash", OH_PKI_SCRIPT, dir_ + "/pki"}, std::chrono::seconds(60));
  ASSERT_EQ(code, 0) << out;
  writePrivate(path("cookie.key"), randomHexKey() + "\n");
  writePrivate(path("ticket.key"), randomHexKey() + "\n");
}

void SignInIntegrationTest::TearDown() {
  stopProvider();
  GatewayTest::TearDown();
  if (!dir_.empty()) {
    std::filesystem::remove_all(dir_);
  }
}

void SignInIntegrationTest::startProvider(int id_token_ttl_seconds, bool rotate, std::uint16_t port) {
  stopProvider();
  std::vector<std::string> argv{"node",
                                std::string(OH_SOURCE_DIR) + "/tests/support/oidc/provider.mjs",
                                "--port",
                                std::to_string(port),
                                "--redirect-uri",
                                "https://" + std::string(kMainHost) + "/_callback",
                                "--id-token-ttl",
                                std::to_string(id_token_ttl_seconds),
                                "--keys",
                                path("keys.json"),
                                "--tls-cert",
                                pkiFile("good.pem"),
                                "--tls-key",
                                pkiFile("good.key")};
  if (!info_.client_secret.empty()) {
    argv.insert(argv.end(), {"--client-secret", info_.client_secret});
  }
  if (rotate) {
    argv.push_back("--rotate");
  }
  provider_ = std::make_unique<ChildProcess>();
  ASSERT_TRUE(provider_->start(argv, path("provider.stderr")));
  auto line = provider_->readLine(std::chrono::seconds(30));
  ASSERT_TRUE(line) << "the test provider did not start";
  boost::system::error_code ec;
  auto doc = boost::json::parse(*line, ec);
  ASSERT_FALSE(ec) << *line;
  const auto& o = doc.as_object();
  info_.issuer = std::string(o.at("issuer").as_string());
  info_.port = static_cast<std::uint16_t>(o.at("port").as_int64());
  info_.client_id = std::string(o.at("client_id").as_string());
  info_.client_secret = std::string(o.at("client_secret").as_string());
  info_.signing_kid = std::string(o.at("signing_kid").as_string());
  writePrivate(path("client.secret"), info_.client_secret + "\n");
}

void SignInIntegrationTest::stopProvider() {
  if (provider_) {
    provider_->stop();
    provider_.reset();
  }
}

std::string SignInIntegrationTest::oidcAuthToml(const std::string& extra) const {
  return "[auth]\nprovider = \"oidc\"\nclient_id = " + tomlQuoted(info_.client_id) +
         "\nclient_secret_file = " + tomlQuoted(path("client.secret")) + "\ncallback_hosts = [\"" +
         std::string(kMainHost) + "\"]\ncookie_key_file = " + tomlQuoted(path("cookie.key")) +
         "\nticket_key_file = " + tomlQuoted(path("ticket.key")) + "\nca_file = " + tomlQuoted(pkiFile("ca.pem")) +
         "\nhttp_timeout_seconds = 5\n" + extra + "\n[auth.oidc]\nissuer = " + tomlQuoted(info_.issuer) +
         "\nrequire_token_use_id = true\n";
}

void SignInIntegrationTest::startOidcGateway(const std::string& extra_auth, const std::string& extra_toml) {
  GatewayConfig config = baseConfig();
  config.auth_toml = oidcAuthToml(extra_auth);
  config.extra_toml = extra_toml;
  startGateway(config);
  // After the ready line, so after the start-up JWKS fetch the refetch limit counts from.
  gateway_started_ = std::chrono::steady_clock::now();
}

std::string SignInIntegrationTest::loginAtProvider(const std::string& authorize_url, const std::string& login) {
  auto [code, out] = ChildProcess::run({"python3", std::string(OH_SOURCE_DIR) + "/tests/support/oidc/headless_login.py",
                                        "--start", authorize_url, "--issuer", info_.issuer, "--ca", pkiFile("ca.pem"),
                                        "--stop-at", "https://" + std::string(kMainHost) + "/_callback", "--login",
                                        login},
                                       std::chrono::seconds(60));
  EXPECT_EQ(code, 0) << out;
  boost::system::error_code ec;
  auto doc = boost::json::parse(out, ec);
  if (ec || !doc.is_object() || !doc.as_object().contains("url")) {
    ADD_FAILURE() << "headless login printed: " << out;
    return {};
  }
  return originForm(doc.as_object().at("url").as_string());
}

std::string SignInIntegrationTest::signIn(Browser& browser, const std::string& target, const std::string& login) {
  auto first = browser.navigate(target);
  EXPECT_TRUE(first);
  if (!first) {
    return {};
  }
  EXPECT_EQ(first->status, 302) << first->body;
  const std::string authorize = first->header("Location").value_or("");
  EXPECT_TRUE(authorize.starts_with(info_.issuer + "/auth?")) << authorize;
  const std::string callback = loginAtProvider(authorize, login);
  EXPECT_TRUE(callback.starts_with("/_callback?")) << callback;
  auto back = browser.navigate(callback);
  EXPECT_TRUE(back);
  if (!back) {
    return {};
  }
  EXPECT_EQ(back->status, 302) << back->body << "\n" << gateway_->stderrText();
  EXPECT_EQ(browser.jar().count("__Host-oh_session"), 1u);
  return back->header("Location").value_or("");
}

}  // namespace oh::testing
