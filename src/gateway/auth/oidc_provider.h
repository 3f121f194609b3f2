#pragma once
// Where the sign-in provider lives: its issuer, endpoints and JWKS URL, either derived from
// Cognito's published URL scheme or read from a standard OIDC discovery document
// (OpenID Connect Discovery 1.0 section 3). Built once at start-up and shared read-only.

#include "auth/result.h"

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oh::gateway::auth {

enum class ProviderKind { cognito, oidc };

struct OidcProvider {
  ProviderKind kind = ProviderKind::oidc;
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::string end_session_endpoint;  // empty: the provider has no logout endpoint
  // Cognito ID tokens carry token_use and the verifier then requires "id". True for cognito;
  // configurable for oidc (the Cognito-like test provider sets it too).
  bool require_token_use_id = false;
  bool requiresTokenUseId() const { return require_token_use_id; }
};

struct CognitoSettings {
  std::string region;         // e.g. "eu-west-1"
  std::string user_pool_id;   // e.g. "eu-west-1_AbC123xyZ"
  std::string domain_prefix;  // the hosted-UI domain prefix (…auth.{region}.amazoncognito.com)
};

// Validates every field (each problem names its key: region, user_pool_id, domain_prefix)
// and derives the endpoints as Cognito publishes them.
Result<OidcProvider, std::vector<std::string>> cognitoProvider(const CognitoSettings& settings);

struct DiscoveryOptions {
  std::string expected_issuer;       // the configured issuer; must equal the document's (OIDC Discovery 4.3)
  bool allow_loopback_http = false;  // tests: http://127.0.0.1 / localhost / [::1] endpoints
  std::size_t max_bytes = 256 * 1024;
};

// Parses a discovery document. Every endpoint must be https (or loopback http when allowed).
Result<OidcProvider, std::vector<std::string>> parseDiscovery(std::string_view json, const DiscoveryOptions& options);

// True for an absolute https URL, or http on a loopback host when allow_loopback_http.
bool isAcceptableEndpoint(std::string_view url, bool allow_loopback_http);

// base_url with key=value pairs appended to its query, each fully percent-encoded.
// nullopt if base_url is not an absolute URL.
std::optional<std::string> appendQuery(std::string_view base_url,
                                       std::initializer_list<std::pair<std::string_view, std::string_view>> params);

// The provider logout URL that sends the browser back to post_logout_uri afterwards:
// Cognito: /logout?client_id=…&logout_uri=…; OIDC: end_session_endpoint?client_id=…&post_logout_redirect_uri=…
// nullopt when the provider has no end-session endpoint (then only the local session is cleared).
std::optional<std::string> providerLogoutUrl(const OidcProvider& provider, std::string_view client_id,
                                             std::string_view post_logout_uri);

}  // namespace oh::gateway::auth
