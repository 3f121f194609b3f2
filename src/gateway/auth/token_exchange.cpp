#include "auth/token_exchange.h"

#include "common/base64.h"
#include "common/text.h"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace oh::gateway::auth {
namespace {

namespace json = boost::json;

std::string printable(std::string_view s, std::size_t max) {
  std::string out;
  for (const char c : s.substr(0, max)) {
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  return out;
}

TokenRequest withClient(const ClientCredentials& client, std::string body) {
  TokenRequest req;
  if (client.client_secret.empty()) {
    body += "&client_id=" + formEncode(client.client_id);
  } else {
    // RFC 6749 2.3.1: id and secret are form-encoded before they are joined and base64-encoded.
    req.authorization =
        "Basic " + common::base64Encode(formEncode(client.client_id) + ":" + formEncode(client.client_secret));
  }
  req.body = std::move(body);
  return req;
}

std::string stringMember(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

std::string formEncode(std::string_view value) { return common::percentEncode(value); }

TokenRequest codeExchangeRequest(const ClientCredentials& client, std::string_view code,
                                 std::string_view redirect_uri, std::string_view code_verifier) {
  return withClient(client, "grant_type=authorization_code&code=" + formEncode(code) +
                                "&redirect_uri=" + formEncode(redirect_uri) +
                                "&code_verifier=" + formEncode(code_verifier));
}

TokenRequest refreshRequest(const ClientCredentials& client, std::string_view refresh_token) {
  return withClient(client, "grant_type=refresh_token&refresh_token=" + formEncode(refresh_token));
}

std::string describe(const TokenError& e) {
  return fmt::format("token endpoint HTTP {}: {}{}{}", e.http_status, e.error, e.description.empty() ? "" : ": ",
                     e.description);
}

Result<TokenResponse, TokenError> parseTokenResponse(int http_status, std::string_view body) {
  if (body.size() > kMaxTokenResponseBytes) {
    return fail(TokenError{http_status, "malformed_response", "body too large"});
  }
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) {
    return fail(TokenError{http_status, http_status == 200 ? "malformed_response" : "http_error", "body is not JSON"});
  }
  const json::object& obj = doc.get_object();
  if (http_status != 200 || obj.contains("error")) {
    std::string error = printable(stringMember(obj, "error"), 64);
    return fail(TokenError{http_status, error.empty() ? "http_error" : error,
                           printable(stringMember(obj, "error_description"), 200)});
  }
  TokenResponse r;
  r.id_token = stringMember(obj, "id_token");
  r.access_token = stringMember(obj, "access_token");
  r.refresh_token = stringMember(obj, "refresh_token");
  if (r.id_token.empty()) {
    return fail(TokenError{http_status, "malformed_response", "no id_token"});
  }
  const std::string type = stringMember(obj, "token_type");
  if (!type.empty() && type != "Bearer" && type != "bearer") {
    return fail(TokenError{http_status, "malformed_response", "token_type is not Bearer"});
  }
  if (const json::value* exp = obj.if_contains("expires_in")) {
    if (exp->is_int64() && exp->get_int64() > 0 && exp->get_int64() < 10LL * 365 * 86400) {
      r.expires_in = std::chrono::seconds(exp->get_int64());
    } else if (exp->is_uint64() && exp->get_uint64() < 10ULL * 365 * 86400) {
      r.expires_in = std::chrono::seconds(static_cast<std::int64_t>(exp->get_uint64()));
    } else {
      return fail(TokenError{http_status, "malformed_response", "expires_in is not a positive integer"});
    }
  }
  return r;
}

}  // namespace oh::gateway::auth
