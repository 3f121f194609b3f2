#pragma once
// The sign-in flow as pure steps for the HTTP server to call; the server only moves bytes
// (and makes the HTTPS call to the token endpoint between startCallback and finishCallback).
//
//   page without session ──decideChallenge──► beginSignIn ──302──► provider login
//   /_callback?code&state ──► startCallback ──(server POSTs TokenRequest to token_endpoint)──►
//        finishCallback(status, body) ──302 + Set-Cookie oh_session──► return path
//   request with session needing refresh ──► refreshRequestFor ──(POST)──► finishRefresh
//   /_logout ──► signOut ──302──► provider logout (or "/")
//
// Every failure is a value with a reason for the log; none of them contains a token or secret.

#include "common/random_source.h"
#include "auth/authorization_request.h"
#include "auth/jwks.h"
#include "auth/jwt.h"
#include "auth/oidc_provider.h"
#include "auth/sealed_box.h"
#include "auth/session.h"
#include "auth/token_exchange.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oh::gateway::auth {

// Built once from the configuration; shared read-only.
struct SignInConfig {
  OidcProvider provider;
  ClientCredentials client;
  // Hosts (with ":port" when not the default) whose /_callback may be used: the reference
  // design's several Edge domains share one backend. Compared case-insensitively.
  std::vector<std::string> callback_hosts;
  bool https = true;  // external scheme; false only for local http://localhost development
  std::string scope = "openid email profile";
  std::chrono::seconds leeway{60};
  std::chrono::seconds session_lifetime = kSessionLifetime;
};
using SignInConfigPtr = std::shared_ptr<const SignInConfig>;

constexpr std::string_view kCallbackPath = "/_callback";

// "{scheme}://{host}/_callback" if host is allowed, else nullopt (the server answers 400).
std::optional<std::string> callbackUrlFor(const SignInConfig& config, std::string_view request_host);

struct Redirect {
  std::string location;
  std::vector<std::string> set_cookies;  // complete Set-Cookie header values
};

// Starts a sign-in from a page the user asked for (its raw path and query become the return path
// after sanitizeReturnPath).
Result<Redirect> beginSignIn(const SignInConfig& config, const SealedBox& box, common::RandomSource& random,
                             std::chrono::sys_seconds now, std::string_view request_host,
                             std::string_view requested_target);

struct CallbackStart {
  PendingLogin login;
  std::string redirect_uri;
  TokenRequest token_request;  // POST to config.provider.token_endpoint
};

// Checks /_callback's query (code, state, or the provider's error) against the login-flow
// cookie from the Cookie header, and prepares the code exchange.
Result<CallbackStart> startCallback(const SignInConfig& config, const SealedBox& box, std::chrono::sys_seconds now,
                                    std::string_view request_host, std::string_view request_target,
                                    std::string_view cookie_header);

// Verifies the token endpoint's answer (ID token signature and claims, nonce) and produces the
// session cookie, the deletion of the login-flow cookie, and the redirect to the return path.
Result<Redirect> finishCallback(const SignInConfig& config, const SealedBox& box, common::RandomSource& random,
                                KeyLookup& keys, std::chrono::sys_seconds now, const CallbackStart& start,
                                int token_http_status, std::string_view token_body);

TokenRequest refreshRequestFor(const SignInConfig& config, const Session& session);

struct Refreshed {
  Session session;
  std::string set_cookie;
};
// Verifies a refresh answer (no nonce: providers do not repeat it on refresh) and reseals.
// A failure means: clear the cookie and sign in again.
Result<Refreshed> finishRefresh(const SignInConfig& config, const SealedBox& box, common::RandomSource& random,
                                KeyLookup& keys, std::chrono::sys_seconds now, const Session& old,
                                int token_http_status, std::string_view token_body);

// Clears the session cookie and sends the browser to the provider's logout (which returns it
// to this host's "/"), or straight to "/" when the provider has none.
Redirect signOut(const SignInConfig& config, std::string_view request_host);

}  // namespace oh::gateway::auth
