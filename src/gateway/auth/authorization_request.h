#pragma once
// The start of the authorization-code flow (RFC 6749 4.1 with PKCE, RFC 7636): fresh secrets
// for one sign-in attempt and the provider URL the browser is sent to. The secrets go into a
// short-lived sealed cookie (see flow_state in session_cookie.h) and come back at /_callback.

#include "common/random_source.h"
#include "auth/oidc_provider.h"

#include <string>
#include <string_view>

namespace oh::gateway::auth {

// PKCE code verifier: `length` characters (43-128, RFC 7636 4.1) of base64url from RandomSource.
std::string makeCodeVerifier(common::RandomSource& random, std::size_t length = 64);

// S256 challenge: base64url(SHA-256(verifier)) without padding (RFC 7636 4.2).
std::string codeChallengeS256(std::string_view verifier);

// 32 random bytes as base64url (43 characters): for state and nonce.
std::string makeOpaqueToken(common::RandomSource& random);

// What one sign-in attempt must remember until the callback.
struct PendingLogin {
  std::string state;
  std::string nonce;
  std::string code_verifier;
  std::string return_path;  // already validated by sanitizeReturnPath
};

PendingLogin newPendingLogin(common::RandomSource& random, std::string return_path);

struct AuthorizeParams {
  std::string client_id;
  std::string redirect_uri;                 // https://{host}/_callback
  std::string scope = "openid email profile";
};

// authorization_endpoint?response_type=code&client_id=…&redirect_uri=…&scope=…&state=…&nonce=…
// &code_challenge=…&code_challenge_method=S256, every value percent-encoded.
std::string buildAuthorizeUrl(const OidcProvider& provider, const AuthorizeParams& params, const PendingLogin& login);

}  // namespace oh::gateway::auth
