#include "config/auth_rules.h"

#include <array>
#include <set>

#include <boost/url/parse.hpp>

#include "config/quote.h"

namespace oh::gateway::config_rules {
namespace {

using config_text::quoted;
using Violation = std::optional<std::string>;

bool usesCodeFlow(const Settings& s) {
  return s.auth.provider == AuthProvider::cognito || s.auth.provider == AuthProvider::oidc;
}

std::string_view providerName(AuthProvider p) {
  switch (p) {
    case AuthProvider::none: return "none";
    case AuthProvider::local: return "local";
    case AuthProvider::cognito: return "cognito";
    case AuthProvider::oidc: return "oidc";
  }
  return "?";
}

bool lowerAlnumDash(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

bool isDecimalPort(std::string_view text) {
  if (text.empty() || text.size() > 5 || text.front() == '0') {
    return false;
  }
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

bool isIpv4(std::string_view text) {
  auto host = boost::urls::parse_ipv4_address(text);
  return host.has_value();
}

// "host" or "host:port" as a browser sends it in Host: a lowercase DNS name, "localhost", an
// IPv4 address or a bracketed IPv6 address.
bool isHostAndPort(std::string_view text) {
  std::string_view host = text;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return false;
    }
    if (!boost::urls::parse_ipv6_address(text.substr(1, close - 1))) {
      return false;
    }
    const std::string_view rest = text.substr(close + 1);
    return rest.empty() || (rest.front() == ':' && isDecimalPort(rest.substr(1)));
  }
  const std::size_t colon = text.rfind(':');
  if (colon != std::string_view::npos) {
    if (!isDecimalPort(text.substr(colon + 1))) {
      return false;
    }
    host = text.substr(0, colon);
  }
  return host == "localhost" || isIpv4(host) || isLowercaseDnsName(host);
}

bool isLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "[::1]" || (isIpv4(host) && host.starts_with("127."));
}

// RFC 9110 section 5.6.2 token characters (Docker label keys fit in them).
bool isToken(std::string_view text) {
  if (text.empty() || text.size() > 256) {
    return false;
  }
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) {
      return false;
    }
  }
  return true;
}

// Printable ASCII without spaces: client ids go into URLs and form bodies.
bool isPrintableWord(std::string_view text) {
  if (text.empty() || text.size() > 256) {
    return false;
  }
  for (char c : text) {
    if (c <= ' ' || c > '~') {
      return false;
    }
  }
  return true;
}

Violation requiredFor(const Settings& s, bool needed, const std::string& value, std::string_view what) {
  if (needed && value.empty()) {
    return "is required when auth.provider is " + quoted(std::string(providerName(s.auth.provider))) + " (" +
           std::string(what) + ")";
  }
  return std::nullopt;
}

// AWS region names: "eu-west-1", "us-gov-west-1", "ap-southeast-3".
bool isRegion(std::string_view r) {
  if (r.size() < 9 || r.size() > 25 || r[2] != '-') {
    return false;
  }
  for (char c : r) {
    if (!lowerAlnumDash(c)) {
      return false;
    }
  }
  const std::size_t last_dash = r.rfind('-');
  if (last_dash + 1 >= r.size()) {
    return false;
  }
  for (char c : r.substr(last_dash + 1)) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

Violation issuerProblem(const Settings& s) {
  const std::string& issuer = s.auth.oidc.issuer;
  auto parsed = boost::urls::parse_absolute_uri(issuer);
  const std::string expected = s.mode == Mode::local
                                   ? "an https URL (http only to 127.0.0.1, [::1] or localhost in local mode)"
                                   : "an https URL";
  if (!parsed || !parsed->has_authority() || parsed->host().empty() || parsed->has_userinfo() ||
      parsed->has_query() || parsed->has_fragment()) {
    return "must be " + expected + " without user, query or fragment, but " + quoted(issuer) + " was provided";
  }
  // Boost.URL 1.81 reads "127.0.0.1.evil.com" as host 127.0.0.1 and path ".evil.com"
  // (boostorg/url#755): after an authority, a path must be empty or start with '/'.
  const auto path = parsed->encoded_path();
  if (!path.empty() && path.front() != '/') {
    return "must be " + expected + ", but " + quoted(issuer) + " was provided";
  }
  if (parsed->scheme_id() == boost::urls::scheme::https) {
    return std::nullopt;
  }
  if (parsed->scheme_id() == boost::urls::scheme::http && s.mode == Mode::local &&
      isLoopbackHost(std::string(parsed->encoded_host()))) {
    return std::nullopt;
  }
  return "must be " + expected + ", but " + quoted(issuer) + " was provided";
}

const std::array<ValidationRule, 27> kAuthRules{{
    {"auth.provider",
     [](const Settings& s) -> Violation {
       if (s.auth.provider == AuthProvider::none && s.mode != Mode::local) {
         return std::string("must not be \"none\" when mode is \"aws\" (only a local deployment may serve "
                            "without sign-in), but \"none\" was provided");
       }
       return std::nullopt;
     }},
    {"auth.cookie_secure",
     [](const Settings& s) -> Violation {
       if (!s.auth.cookie_secure && s.mode != Mode::local) {
         return std::string("must be true when mode is \"aws\" (only http://localhost may use cookies "
                            "without Secure), but false was provided");
       }
       return std::nullopt;
     }},
    {"auth.client_id",
     [](const Settings& s) -> Violation {
       if (auto missing = requiredFor(s, usesCodeFlow(s), s.auth.client_id, "the app client id")) {
         return missing;
       }
       if (!s.auth.client_id.empty() && !isPrintableWord(s.auth.client_id)) {
         return "must be 1 to 256 printable characters without spaces, but " + quoted(s.auth.client_id) +
                " was provided";
       }
       return std::nullopt;
     }},
    {"auth.scope",
     [](const Settings& s) -> Violation {
       // RFC 6749 section 3.3: space-separated tokens of %x21 / %x23-5B / %x5D-7E.
       const std::string& scope = s.auth.scope;
       bool has_openid = false;
       std::size_t start = 0;
       while (start <= scope.size()) {
         std::size_t end = scope.find(' ', start);
         if (end == std::string::npos) {
           end = scope.size();
         }
         const std::string_view word = std::string_view(scope).substr(start, end - start);
         if (word.empty() || word.size() > 256) {
           return "must be scope names separated by single spaces, but " + quoted(scope) + " was provided";
         }
         for (char c : word) {
           if (c < '!' || c > '~' || c == '"' || c == '\\') {
             return "must be scope names separated by single spaces, but " + quoted(scope) + " was provided";
           }
         }
         has_openid = has_openid || word == "openid";
         start = end + 1;
       }
       if (usesCodeFlow(s) && !has_openid) {
         return "must include \"openid\" (an ID token is what signs the user in), but " + quoted(scope) +
                " was provided";
       }
       return std::nullopt;
     }},
    {"auth.callback_hosts",
     [](const Settings& s) -> Violation {
       if (usesCodeFlow(s) && s.auth.callback_hosts.empty()) {
         return "is required when auth.provider is " + quoted(std::string(providerName(s.auth.provider))) +
                " (the main hosts, e.g. [\"openhands.example.com\"], whose /_callback the provider "
                "may redirect to)";
       }
       std::set<std::string_view> seen;
       for (const std::string& host : s.auth.callback_hosts) {
         if (!isHostAndPort(host)) {
           return "must hold lowercase host names with an optional :port (no scheme or path), such as "
                  "\"openhands.example.com\" or \"localhost:8080\", but " +
                  quoted(host) + " was provided";
         }
         if (!seen.insert(host).second) {
           return "must not repeat a host, but " + quoted(host) + " appears more than once";
         }
       }
       return std::nullopt;
     }},
    // Here rather than with the other [server] keys: it shares callback_hosts' host grammar.
    {"server.allowed_hosts",
     [](const Settings& s) -> Violation {
       std::set<std::string_view> seen;
       for (const std::string& host : s.server.allowed_hosts) {
         if (!isHostAndPort(host)) {
           return "must hold lowercase host names with an optional :port (no scheme or path), such as "
                  "\"origin.openhands.example.com\", but " +
                  quoted(host) + " was provided";
         }
         if (!seen.insert(host).second) {
           return "must not repeat a host, but " + quoted(host) + " appears more than once";
         }
       }
       return std::nullopt;
     }},
    {"auth.cookie_key_file",
     [](const Settings& s) -> Violation {
       return requiredFor(s, s.auth.provider != AuthProvider::none, s.auth.cookie_key_file,
                          "a file holding the 32-byte session cookie key");
     }},
    {"auth.cookie_previous_key_file",
     [](const Settings& s) -> Violation {
       if (!s.auth.cookie_previous_key_file.empty() &&
           s.auth.cookie_previous_key_file == s.auth.cookie_key_file) {
         return std::string("must differ from auth.cookie_key_file (the previous key after a rotation)");
       }
       return std::nullopt;
     }},
    {"auth.ticket_key_file",
     [](const Settings& s) -> Violation {
       if (s.runtime.enabled && s.auth.provider != AuthProvider::none && s.auth.ticket_key_file.empty()) {
         return std::string("is required when runtime.enabled is true (a file holding the 32-byte key that "
                            "signs runtime hand-off tickets)");
       }
       if (!s.auth.ticket_key_file.empty() &&
           (s.auth.ticket_key_file == s.auth.cookie_key_file ||
            s.auth.ticket_key_file == s.auth.cookie_previous_key_file)) {
         return std::string("must differ from the cookie key files (one key, one purpose)");
       }
       return std::nullopt;
     }},
    {"auth.users_file",
     [](const Settings& s) -> Violation {
       return requiredFor(s, s.auth.provider == AuthProvider::local, s.auth.users_file,
                          "the accounts file that `oh-gateway users add` writes");
     }},
    {"auth.cognito.region",
     [](const Settings& s) -> Violation {
       if (s.auth.provider != AuthProvider::cognito) {
         return std::nullopt;
       }
       if (auto missing = requiredFor(s, true, s.auth.cognito.region, "the user pool's AWS region")) {
         return missing;
       }
       if (!isRegion(s.auth.cognito.region)) {
         return "must be an AWS region name such as \"eu-west-1\", but " + quoted(s.auth.cognito.region) +
                " was provided";
       }
       return std::nullopt;
     }},
    {"auth.cognito.user_pool_id",
     [](const Settings& s) -> Violation {
       if (s.auth.provider != AuthProvider::cognito) {
         return std::nullopt;
       }
       const std::string& id = s.auth.cognito.user_pool_id;
       if (auto missing = requiredFor(s, true, id, "e.g. \"eu-west-1_AbC123xyZ\"")) {
         return missing;
       }
       const std::size_t underscore = id.find('_');
       bool ok = underscore != std::string::npos && underscore + 1 < id.size() && id.size() <= 55 &&
                 (s.auth.cognito.region.empty() || id.substr(0, underscore) == s.auth.cognito.region);
       for (std::size_t i = underscore == std::string::npos ? id.size() : underscore + 1; ok && i < id.size(); ++i) {
         const char c = id[i];
         ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
       }
       if (!ok) {
         return "must be the region, '_' and letters or digits (e.g. \"eu-west-1_AbC123xyZ\"), but " + quoted(id) +
                " was provided";
       }
       return std::nullopt;
     }},
    {"auth.cognito.domain_prefix",
     [](const Settings& s) -> Violation {
       if (s.auth.provider != AuthProvider::cognito) {
         return std::nullopt;
       }
       const std::string& prefix = s.auth.cognito.domain_prefix;
       if (auto missing = requiredFor(s, true, prefix, "the hosted UI's {prefix}.auth.{region}.amazoncognito.com")) {
         return missing;
       }
       bool ok = prefix.size() <= 63 && prefix.front() != '-' && prefix.back() != '-';
       for (char c : prefix) {
         ok = ok && lowerAlnumDash(c);
       }
       if (!ok) {
         return "must be 1 to 63 lowercase letters, digits or '-' (not at either end), but " + quoted(prefix) +
                " was provided";
       }
       return std::nullopt;
     }},
    {"auth.oidc.issuer",
     [](const Settings& s) -> Violation {
       if (s.auth.provider != AuthProvider::oidc) {
         return std::nullopt;
       }
       if (auto missing = requiredFor(s, true, s.auth.oidc.issuer,
                                      "the issuer URL; discovery is read from {issuer}/.well-known/openid-configuration")) {
         return missing;
       }
       return issuerProblem(s);
     }},

    {"runtime.host_suffixes",
     [](const Settings& s) -> Violation {
       if (s.runtime.enabled && s.runtime.host_suffixes.empty()) {
         return std::string("is required when runtime.enabled is true (e.g. [\"runtime.openhands.example.com\"])");
       }
       std::set<std::string_view> seen;
       for (const std::string& suffix : s.runtime.host_suffixes) {
         if (!suffix.starts_with("runtime.") || !isLowercaseDnsName(suffix) ||
             suffix.find('.', std::string_view("runtime.").size()) == std::string::npos) {
           return "must hold lowercase DNS names starting with \"runtime.\" (e.g. "
                  "\"runtime.openhands.example.com\"), but " +
                  quoted(suffix) + " was provided";
         }
         if (!seen.insert(suffix).second) {
           return "must not repeat a suffix, but " + quoted(suffix) + " appears more than once";
         }
       }
       return std::nullopt;
     }},
    {"runtime.docker_socket",
     [](const Settings& s) -> Violation {
       if (s.runtime.enabled && (s.runtime.docker_socket.empty() || s.runtime.docker_socket.front() != '/')) {
         return "must be an absolute path to the Docker (or Podman) API socket, but " +
                quoted(s.runtime.docker_socket) + " was provided";
       }
       return std::nullopt;
     }},
    {"runtime.conversation_label",
     [](const Settings& s) -> Violation {
       if (!isToken(s.runtime.conversation_label)) {
         return "must be a container label name (letters, digits and !#$%&'*+-.^_`|~, 1 to 256), but " +
                quoted(s.runtime.conversation_label) + " was provided";
       }
       return std::nullopt;
     }},
    {"runtime.user_label",
     [](const Settings& s) -> Violation {
       if (!isToken(s.runtime.user_label)) {
         return "must be a container label name (letters, digits and !#$%&'*+-.^_`|~, 1 to 256), but " +
                quoted(s.runtime.user_label) + " was provided";
       }
       if (s.runtime.user_label == s.runtime.conversation_label) {
         return std::string("must differ from runtime.conversation_label");
       }
       return std::nullopt;
     }},
    {"runtime.network",
     [](const Settings& s) -> Violation {
       if (!s.runtime.network.empty() && !isToken(s.runtime.network)) {
         return "must be empty (the container's first network) or a network name, but " +
                quoted(s.runtime.network) + " was provided";
       }
       return std::nullopt;
     }},
    {"runtime.agent_server_origin",
     [](const Settings& s) -> Violation {
       const std::string& origin = s.runtime.agent_server_origin;
       if (origin.empty()) {
         return std::nullopt;
       }
       std::string_view rest = origin;
       if (rest.starts_with("https://")) {
         rest.remove_prefix(8);
       } else if (rest.starts_with("http://")) {
         rest.remove_prefix(7);
       } else {
         rest = {};
       }
       if (!isHostAndPort(rest)) {
         return "must be empty or an origin, \"https://\" or \"http://\" then a host and an optional port "
                "with no path (e.g. \"https://openhands.example.com\"), but " + quoted(origin) + " was provided";
       }
       return std::nullopt;
     }},
    {"runtime.access",
     [](const Settings& s) -> Violation {
       // "owner" compares the container's user label with the signed-in user: without sign-in
       // there is nobody to compare.
       if (s.runtime.enabled && s.auth.provider == AuthProvider::none && s.runtime.access != RuntimeAccess::public_) {
         return std::string("must be \"public\" when auth.provider is \"none\" (there is no signed-in user "
                            "to check)");
       }
       return std::nullopt;
     }},
    {"auth.client_secret_file",
     [](const Settings& s) -> Violation {
       if (!s.auth.client_secret_file.empty() && s.auth.client_secret_file.front() != '/') {
         return "must be an absolute path, but " + quoted(s.auth.client_secret_file) + " was provided";
       }
       return std::nullopt;
     }},
    {"auth.ca_file",
     [](const Settings& s) -> Violation {
       if (!s.auth.ca_file.empty() && s.auth.ca_file.front() != '/') {
         return "must be an absolute path, but " + quoted(s.auth.ca_file) + " was provided";
       }
       return std::nullopt;
     }},
    {"auth.oidc.require_token_use_id",
     [](const Settings& s) -> Violation {
       if (s.auth.oidc.require_token_use_id && s.auth.provider != AuthProvider::oidc) {
         return std::string("applies to auth.provider = \"oidc\" only (Cognito always requires it)");
       }
       return std::nullopt;
     }},
    {"auth.cognito",
     [](const Settings& s) -> Violation {
       const CognitoSettings& c = s.auth.cognito;
       if (s.auth.provider != AuthProvider::cognito &&
           (!c.region.empty() || !c.user_pool_id.empty() || !c.domain_prefix.empty())) {
         return "is set but auth.provider is " + quoted(std::string(providerName(s.auth.provider))) +
                " (set auth.provider = \"cognito\" or remove [auth.cognito])";
       }
       return std::nullopt;
     }},
    {"auth.oidc",
     [](const Settings& s) -> Violation {
       if (s.auth.provider != AuthProvider::oidc && !s.auth.oidc.issuer.empty()) {
         return "is set but auth.provider is " + quoted(std::string(providerName(s.auth.provider))) +
                " (set auth.provider = \"oidc\" or remove [auth.oidc])";
       }
       return std::nullopt;
     }},
    {"runtime.enabled",
     [](const Settings& s) -> Violation {
       if (!s.runtime.enabled) {
         return std::nullopt;
       }
       // A runtime host must never be a main host: it would receive the main session cookie.
       for (const std::string& host : s.auth.callback_hosts) {
         const std::string_view name = std::string_view(host).substr(0, host.rfind(':') == std::string::npos
                                                                             ? host.size()
                                                                             : host.rfind(':'));
         for (const std::string& suffix : s.runtime.host_suffixes) {
           if (name == suffix || name.ends_with("." + suffix)) {
             return "cannot be true while auth.callback_hosts entry " + quoted(host) +
                    " lies under runtime.host_suffixes entry " + quoted(suffix);
           }
         }
       }
       return std::nullopt;
     }},
}};

}  // namespace

// Lowercase because browsers send lowercase Host headers and Cognito compares callback URLs exactly.
bool isLowercaseDnsName(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.find('.') == std::string_view::npos) {
    return false;
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('.', start);
    if (end == std::string_view::npos) {
      end = name.size();
    }
    const std::string_view label = name.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!lowerAlnumDash(c)) {
        return false;
      }
    }
    start = end + 1;
  }
  return true;
}

std::span<const ValidationRule> authRules() { return kAuthRules; }

}  // namespace oh::gateway::config_rules
