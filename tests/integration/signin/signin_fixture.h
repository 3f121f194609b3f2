#pragma once
// Set-up for the sign-in integration tests: a test PKI made at test time (the outbound tests'
// make_test_pki.sh), the oidc-provider test provider served over HTTPS with that CA's
// certificate, key files, a cookie-jar "browser" speaking to the real oh-gateway, and the
// headless login script standing in for the user at the provider's login form.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "child_process.h"
#include "support/browser.h"
#include "gateway_fixture.h"

namespace oh::testing {

struct ProviderInfo {
  std::string issuer;
  std::uint16_t port = 0;
  std::string client_id;
  std::string client_secret;
  std::string signing_kid;
};

class SignInIntegrationTest : public GatewayTest {
protected:
  void SetUp() override;
  void TearDown() override;

  // Starts provider.mjs over HTTPS (keys kept in dir()/keys.json so a restart can rotate them).
  void startProvider(int id_token_ttl_seconds, bool rotate = false, std::uint16_t port = 0);
  void stopProvider();

  // The [auth] section for the running provider (plus extra lines).
  std::string oidcAuthToml(const std::string& extra = "") const;
  void startOidcGateway(const std::string& extra_auth = "", const std::string& extra_toml = "");

  // Runs the user's part at the provider: from the authorize URL to the redirect back to
  // https://oh.test/_callback (not followed); returns that callback's origin-form target.
  std::string loginAtProvider(const std::string& authorize_url, const std::string& login = "alice");
  // The whole sign-in from a page load on `target`; returns the final redirect's Location.
  std::string signIn(Browser& browser, const std::string& target = "/", const std::string& login = "alice");

  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string pkiFile(const std::string& name) const { return dir_ + "/pki/" + name; }

  std::string dir_;
  std::unique_ptr<ChildProcess> provider_;
  ProviderInfo info_;
  std::chrono::steady_clock::time_point gateway_started_;
};

inline constexpr std::string_view kMainHost = "oh.test";

// A Set-Cookie line's "name=value" for `name`, or "" (absent or a deletion).
std::string setCookiePair(const RawResponse& response, std::string_view name);
bool deletesCookie(const RawResponse& response, std::string_view name);
// The decoded value of a query parameter.
std::string queryParam(std::string_view url, std::string_view name);
// The path and query of an absolute URL.
std::string originForm(std::string_view url);

}  // namespace oh::testing
