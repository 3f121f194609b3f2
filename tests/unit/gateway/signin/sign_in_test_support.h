#pragma once
// Test doubles for the SignIn unit tests: an in-memory OpenID provider behind a fake
// HttpsClient (discovery, JWKS, token endpoint; answers can be held to test concurrency), key
// and users files in a temporary directory, and helpers to read replies.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/request_gate.h"
#include "outbound/https_client.h"
#include "signin/sign_in.h"
#include "test_crypto.h"

namespace oh::gateway::signin_test {

inline constexpr std::string_view kIssuer = "https://idp.test";
inline constexpr std::string_view kClientId = "client-1";
inline constexpr std::string_view kClientSecret = "top-secret-client-value";
inline constexpr std::string_view kRefreshToken = "refresh-token-value-1";

// The provider side: what a real OP would answer, driven by the test.
class FakeIdp {
public:
  explicit FakeIdp(const auth::test::FakeClock& clock) : clock_(clock) {}

  OutboundResult answer(const OutboundRequest& request);

  // Test knobs.
  std::string nonce;                   // the nonce of the current sign-in (read from the authorize URL)
  std::string sub = "user-1";
  std::string refresh_token = std::string(kRefreshToken);
  std::string signing_kid = "k1";
  auth::test::TestKey signing_key = auth::test::TestKey::rsa1;
  std::vector<auth::test::JwkSpec> jwks{{"k1", auth::test::TestKey::rsa1, ""}};
  std::int64_t id_token_ttl = 3600;
  bool down = false;                   // every call fails at the transport level
  bool refuse_refresh = false;         // invalid_grant on refresh
  std::string discovery_issuer = std::string(kIssuer);
  std::vector<OutboundRequest> seen;   // every request, in order
  std::size_t count(std::string_view url_part) const;

  // Held answers (hold = true): delivered by releaseAll().
  bool hold = false;
  std::vector<std::pair<OutboundRequest, std::function<void(OutboundResult)>>> held;
  void releaseAll();

  std::string idToken(bool with_nonce) const;
  // The claims idToken() signs (for tests that change one of them).
  std::string claimsJson(bool with_nonce) const;
  // When set, the token endpoint answers with this ID token instead (the bad-token matrix).
  std::function<std::string()> id_token_override;

private:
  const auth::test::FakeClock& clock_;
};

class FakeClient final : public HttpsClient {
public:
  explicit FakeClient(std::shared_ptr<FakeIdp> idp) : idp_(std::move(idp)) {}
  void send(OutboundRequest request, std::function<void(OutboundResult)> done) override;

private:
  std::shared_ptr<FakeIdp> idp_;
};

// A temporary directory with the key files and a users file (alice / "correct horse").
class Files {
public:
  Files();
  ~Files();
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& contents, std::filesystem::perms perms) const;

private:
  std::filesystem::path dir_;
};

inline constexpr std::string_view kPassword = "correct horse";

// Reading replies.
std::string header(const ErrorReply& reply, std::string_view name);
std::vector<std::string> setCookies(const ErrorReply& reply);
// "oh_session=abc" for the Set-Cookie line of `name` (empty when absent or a deletion).
std::string cookiePair(const ErrorReply& reply, std::string_view name);
std::string cookiePair(const std::vector<std::string>& set_cookies, std::string_view name);
// The decoded value of a query parameter of a URL.
std::string urlParam(std::string_view url, std::string_view name);

// A request as the client session would present it.
struct TestRequest {
  std::string method = "GET";
  std::string target = "/";
  std::string host = "oh.test";
  std::string cookie;
  std::string accept = "text/html";
  std::string sec_fetch_mode = "navigate";
  std::string x_requested_with;
  std::string client_ip = "192.0.2.10";
  bool websocket = false;
  std::optional<std::string> body;
  GateRequest view() const;
};

// Runs authenticate; returns the outcome when Done ran before it returned, nullopt otherwise
// (then *pending receives it later).
std::optional<AuthOutcome> run(SignIn& sign_in, const TestRequest& request, HostRole role = HostRole::main,
                               bool allow_anonymous = false, std::shared_ptr<std::optional<AuthOutcome>> pending = nullptr);

}  // namespace oh::gateway::signin_test
