#pragma once
// The back-channel half of the flow: the form bodies POSTed to the token endpoint (code
// exchange, RFC 6749 4.1.3 + RFC 7636 4.5; refresh, RFC 6749 6) and the parser for its answer
// (5.1 success, 5.2 error). The HTTPS call itself belongs to the server (next session).

#include "auth/result.h"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace oh::gateway::auth {

struct ClientCredentials {
  std::string client_id;
  std::string client_secret;  // empty for public clients; never logged
};

struct TokenRequest {
  std::string body;           // application/x-www-form-urlencoded
  std::string authorization;  // "Basic …" (client_secret_basic) or empty for a public client
};

TokenRequest codeExchangeRequest(const ClientCredentials& client, std::string_view code,
                                 std::string_view redirect_uri, std::string_view code_verifier);
TokenRequest refreshRequest(const ClientCredentials& client, std::string_view refresh_token);

struct TokenResponse {
  std::string id_token;
  std::string access_token;
  std::string refresh_token;  // empty when the provider did not rotate it (Cognito refresh)
  std::chrono::seconds expires_in{0};
};

struct TokenError {
  int http_status = 0;
  std::string error;        // RFC 6749 error code ("invalid_grant", …) or "malformed_response"
  std::string description;  // provider's error_description, truncated, printable only
};
std::string describe(const TokenError& e);

constexpr std::size_t kMaxTokenResponseBytes = 64 * 1024;

// Parses the token endpoint's answer. A 200 without an id_token is an error (we need it).
Result<TokenResponse, TokenError> parseTokenResponse(int http_status, std::string_view body);

// application/x-www-form-urlencoded encoding of one value (RFC 6749 appendix B).
std::string formEncode(std::string_view value);

}  // namespace oh::gateway::auth
