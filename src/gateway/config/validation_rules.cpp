#include "config/validation_rules.h"

#include <array>
#include <set>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "config/auth_rules.h"
#include "config/appserver_rules.h"
#include "config/credentials_rules.h"
#include "config/sandbox_rules.h"
#include "config/quote.h"
#include "config/upstream_url.h"
#include "policy/client_address.h"

namespace oh::gateway::config_rules {
namespace {

std::optional<boost::asio::ip::address> ipAddress(const std::string& text) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(text, ec);
  // Scoped IPv6 addresses ("fe80::1%eth0") depend on the machine: not for a shared config.
  if (ec || text.find('%') != std::string::npos) {
    return std::nullopt;
  }
  return address;
}

// RFC 9110 section 5.6.2 token characters.
bool isToken(std::string_view text) {
  if (text.empty()) {
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

bool hasNul(const std::string& text) { return text.find('\0') != std::string::npos; }

const std::array<ValidationRule, 10> kRules{{
    {"server.listen_address",
     [](const Settings& s) -> std::optional<std::string> {
       if (ipAddress(s.server.listen_address)) {
         return std::nullopt;
       }
       return "must be an IP address such as 0.0.0.0, :: or 127.0.0.1, but " +
              config_text::quoted(s.server.listen_address) + " was provided";
     }},
    {"upstream.url",
     [](const Settings& s) -> std::optional<std::string> {
       auto parsed = parseUpstreamUrl(s.upstream.url);
       if (auto* message = std::get_if<std::string>(&parsed)) {
         return *message;
       }
       return std::nullopt;
     }},
    {"origin.header",
     [](const Settings& s) -> std::optional<std::string> {
       if (isToken(s.origin.header) && s.origin.header.size() <= 256) {
         return std::nullopt;
       }
       return "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~, at most 256), but " +
              config_text::quoted(s.origin.header) + " was provided";
     }},
    {"origin.current_secret_file",
     [](const Settings& s) -> std::optional<std::string> {
       if (s.origin.enabled && s.origin.current_secret_file.empty()) {
         return std::string("is required when origin.enabled is true (a file holding the "
                            "X-Origin-Verify secret)");
       }
       if (hasNul(s.origin.current_secret_file)) {
         return std::string("must not contain NUL characters");
       }
       return std::nullopt;
     }},
    {"origin.previous_secret_file",
     [](const Settings& s) -> std::optional<std::string> {
       if (hasNul(s.origin.previous_secret_file)) {
         return std::string("must not contain NUL characters");
       }
       return std::nullopt;
     }},
    {"origin.enabled",
     [](const Settings& s) -> std::optional<std::string> {
       if (!s.origin.enabled && s.mode != Mode::local) {
         return std::string("must be true when mode is \"aws\" (only a local deployment may skip "
                            "the origin check), but false was provided");
       }
       return std::nullopt;
     }},
    {"rate_limit.trusted_proxies",
     [](const Settings& s) -> std::optional<std::string> {
       std::string error;
       if (TrustedProxies::parse(s.rate_limit.trusted_proxies, error)) {
         return std::nullopt;
       }
       return error;
     }},
    {"admin.listen_address",
     [](const Settings& s) -> std::optional<std::string> {
       auto address = ipAddress(s.admin.listen_address);
       if (address && address->is_loopback()) {
         return std::nullopt;
       }
       return "must be a loopback address (127.0.0.1 or ::1) so metrics stay on the machine, but " +
              config_text::quoted(s.admin.listen_address) + " was provided";
     }},
    {"admin.listen_port",
     [](const Settings& s) -> std::optional<std::string> {
       if (s.admin.enabled && s.admin.listen_port != 0 &&
           s.admin.listen_port == s.server.listen_port) {
         return "must differ from server.listen_port, but both are " +
                std::to_string(s.admin.listen_port);
       }
       return std::nullopt;
     }},
    {"limits.body",
     [](const Settings& s) -> std::optional<std::string> {
       std::set<std::string_view> seen;
       for (const BodyLimitRule& rule : s.limits.body_rules) {
         if (!seen.insert(rule.path_prefix).second) {
           return "must not repeat a path_prefix, but " + config_text::quoted(rule.path_prefix) +
                  " appears more than once";
         }
       }
       return std::nullopt;
     }},
}};

}  // namespace

std::span<const ValidationRule> validationRules() {
  static const std::vector<ValidationRule> all = [] {
    std::vector<ValidationRule> rules(kRules.begin(), kRules.end());
    const auto auth = authRules();
    rules.insert(rules.end(), auth.begin(), auth.end());
    const auto sandbox = sandboxRules();
    rules.insert(rules.end(), sandbox.begin(), sandbox.end());
    const auto appserver = appServerRules();
    rules.insert(rules.end(), appserver.begin(), appserver.end());
    const auto credentials = credentialsRules();
    rules.insert(rules.end(), credentials.begin(), credentials.end());
    return rules;
  }();
  return all;
}

}  // namespace oh::gateway::config_rules
