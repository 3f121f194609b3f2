#include "auth/oidc_provider.h"

#include "auth/token_exchange.h"

#include <boost/json.hpp>
#include <boost/url.hpp>
#include <fmt/format.h>

namespace oh::gateway::auth {
namespace {

namespace json = boost::json;

bool allOf(std::string_view s, bool (*pred)(char)) {
  for (const char c : s) {
    if (!pred(c)) {
      return false;
    }
  }
  return true;
}
bool lowerAlnumDash(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }
bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// AWS region names: two letters, words, a number ("eu-west-1", "us-gov-west-1", "ap-southeast-3").
bool validRegion(std::string_view r) {
  if (r.size() < 9 || r.size() > 25 || !allOf(r, lowerAlnumDash)) {
    return false;
  }
  const std::size_t last_dash = r.rfind('-');
  return r[2] == '-' && last_dash != std::string_view::npos && last_dash + 1 < r.size() &&
         allOf(r.substr(last_dash + 1), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool isAcceptableEndpoint(std::string_view url, bool allow_loopback_http) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || !parsed->has_authority() || parsed->host().empty() || parsed->has_userinfo()) {
    return false;
  }
  // Boost.URL 1.81 reads "127.0.0.1.evil.com" as host 127.0.0.1 plus path ".evil.com"
  // (boostorg/url#755): after an authority, a path must be empty or start with '/'.
  const auto path = parsed->encoded_path();
  if (!path.empty() && path.front() != '/') {
    return false;
  }
  if (parsed->scheme_id() == boost::urls::scheme::https) {
    return true;
  }
  if (parsed->scheme_id() != boost::urls::scheme::http || !allow_loopback_http) {
    return false;
  }
  const std::string host = parsed->host();
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

Result<OidcProvider, std::vector<std::string>> cognitoProvider(const CognitoSettings& s) {
  std::vector<std::string> problems;
  if (!validRegion(s.region)) {
    problems.push_back(fmt::format("region: \"{}\" is not an AWS region name such as eu-west-1", s.region));
  }
  // Pool ids are "{region}_{alphanumerics}".
  const std::size_t underscore = s.user_pool_id.find('_');
  if (underscore == std::string::npos || s.user_pool_id.substr(0, underscore) != s.region ||
      underscore + 1 >= s.user_pool_id.size() || s.user_pool_id.size() > 55 ||
      !allOf(std::string_view(s.user_pool_id).substr(underscore + 1), alnum)) {
    problems.push_back(fmt::format("user_pool_id: must be \"{}_\" followed by letters and digits", s.region));
  }
  if (s.domain_prefix.empty() || s.domain_prefix.size() > 63 || !allOf(s.domain_prefix, lowerAlnumDash) ||
      s.domain_prefix.front() == '-' || s.domain_prefix.back() == '-') {
    problems.push_back("domain_prefix: must be 1-63 lowercase letters, digits or '-' (not at either end)");
  }
  if (!problems.empty()) {
    return fail(std::move(problems));
  }
  OidcProvider p;
  p.kind = ProviderKind::cognito;
  p.require_token_use_id = true;
  p.issuer = fmt::format("https://cognito-idp.{}.amazonaws.com/{}", s.region, s.user_pool_id);
  p.jwks_uri = p.issuer + "/.well-known/jwks.json";
  const std::string hosted = fmt::format("https://{}.auth.{}.amazoncognito.com", s.domain_prefix, s.region);
  p.authorization_endpoint = hosted + "/oauth2/authorize";
  p.token_endpoint = hosted + "/oauth2/token";
  p.end_session_endpoint = hosted + "/logout";
  return p;
}

Result<OidcProvider, std::vector<std::string>> parseDiscovery(std::string_view text, const DiscoveryOptions& options) {
  if (text.size() > options.max_bytes) {
    return fail(std::vector<std::string>{fmt::format("discovery document larger than {} bytes", options.max_bytes)});
  }
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) {
    return fail(std::vector<std::string>{"discovery document is not a JSON object"});
  }
  const json::object& obj = doc.get_object();
  std::vector<std::string> problems;
  auto endpoint = [&](std::string_view key, bool required) -> std::string {
    const json::value* v = obj.if_contains(key);
    if (v == nullptr) {
      if (required) {
        problems.push_back(fmt::format("{}: missing", key));
      }
      return {};
    }
    if (!v->is_string() || !isAcceptableEndpoint(v->get_string(), options.allow_loopback_http)) {
      problems.push_back(fmt::format("{}: must be an https URL", key));
      return {};
    }
    return std::string(v->get_string());
  };
  OidcProvider p;
  p.kind = ProviderKind::oidc;
  p.issuer = endpoint("issuer", true);
  p.authorization_endpoint = endpoint("authorization_endpoint", true);
  p.token_endpoint = endpoint("token_endpoint", true);
  p.jwks_uri = endpoint("jwks_uri", true);
  p.end_session_endpoint = endpoint("end_session_endpoint", false);
  if (!p.issuer.empty() && !options.expected_issuer.empty() && p.issuer != options.expected_issuer) {
    problems.push_back(fmt::format("issuer: document says \"{}\", configured \"{}\"", p.issuer, options.expected_issuer));
  }
  // We send S256 only; a provider that lists methods without S256 would reject the flow later.
  if (const json::value* methods = obj.if_contains("code_challenge_methods_supported")) {
    bool s256 = false;
    if (methods->is_array()) {
      for (const json::value& m : methods->get_array()) {
        s256 = s256 || (m.is_string() && m.get_string() == "S256");
      }
    }
    if (!s256) {
      problems.push_back("code_challenge_methods_supported: provider does not list S256");
    }
  }
  if (!problems.empty()) {
    return fail(std::move(problems));
  }
  return p;
}

std::optional<std::string> appendQuery(std::string_view base_url,
                                       std::initializer_list<std::pair<std::string_view, std::string_view>> params) {
  auto parsed = boost::urls::parse_absolute_uri(base_url);
  if (!parsed) {
    return std::nullopt;
  }
  boost::urls::url url(*parsed);
  // Every value is fully percent-encoded (RFC 3986 unreserved kept): Boost.URL's params() would
  // leave '=', '/', ':' and '?' as they are, which is legal but trips some providers' parsers.
  std::string query(url.encoded_query());
  for (const auto& [key, value] : params) {
    if (!query.empty()) {
      query += '&';
    }
    query += formEncode(key);
    query += '=';
    query += formEncode(value);
  }
  url.set_encoded_query(query);
  return std::string(url.buffer());
}

std::optional<std::string> providerLogoutUrl(const OidcProvider& provider, std::string_view client_id,
                                             std::string_view post_logout_uri) {
  if (provider.end_session_endpoint.empty()) {
    return std::nullopt;
  }
  return appendQuery(provider.end_session_endpoint,
                     {{"client_id", client_id},
                      {provider.kind == ProviderKind::cognito ? "logout_uri" : "post_logout_redirect_uri",
                       post_logout_uri}});
}

}  // namespace oh::gateway::auth
