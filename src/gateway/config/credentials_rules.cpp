#include "config/credentials_rules.h"

#include <algorithm>
#include <array>

#include <boost/asio/ip/address.hpp>

#include "config/quote.h"
#include "credentials/assume_role_call.h"

namespace oh::gateway::config_rules {
namespace {

using config_text::quoted;
using Violation = std::optional<std::string>;

bool isRegion(std::string_view region) {
  return !region.empty() && region.size() <= 32 && std::all_of(region.begin(), region.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// arn:{partition}:iam::{12 digits}:role/{path/}{name}
bool isRoleArn(std::string_view arn) {
  if (!arn.starts_with("arn:") || arn.size() > 2048) {
    return false;
  }
  const std::size_t iam = arn.find(":iam::");
  if (iam == std::string_view::npos || iam <= 4) {
    return false;
  }
  const std::string_view rest = arn.substr(iam + 6);
  if (rest.size() < 19 || rest[12] != ':' || !rest.substr(13).starts_with("role/") ||
      !std::all_of(rest.begin(), rest.begin() + 12, [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const std::string_view name = rest.substr(18);
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("+=,.@_-/").find(c) != std::string_view::npos;
  });
}

bool isLoopbackHttp(std::string_view url) {
  return url.starts_with("http://127.") || url.starts_with("http://localhost:") || url == "http://localhost" ||
         url.starts_with("http://[::1]");
}

const std::array<ValidationRule, 9> kCredentialsRules{{
    {"credentials.enabled",
     [](const Settings& s) -> Violation {
       if (s.credentials.enabled && !s.sandbox.enabled) {
         return std::string("needs sandbox.enabled = true: the tokens name sandboxes the sandbox service created");
       }
       return std::nullopt;
     }},
    {"credentials.listen_address",
     [](const Settings& s) -> Violation {
       boost::system::error_code ec;
       const auto address = boost::asio::ip::make_address(s.credentials.listen_address, ec);
       if (ec || s.credentials.listen_address.find('%') != std::string::npos) {
         return "must be an IP address such as 169.254.170.2, but " + quoted(s.credentials.listen_address) +
                " was provided";
       }
       if (address.is_unspecified()) {
         return "must be one address (169.254.170.2 by default), never a wildcard: " +
                quoted(s.credentials.listen_address) + " would expose it to the load balancer's network";
       }
       return std::nullopt;
     }},
    {"credentials.listen_port",
     [](const Settings& s) -> Violation {
       const std::uint16_t port = s.credentials.listen_port;
       if (!s.credentials.enabled) {
         return std::nullopt;
       }
       if (port == s.server.listen_port || (s.admin.enabled && port == s.admin.listen_port) ||
           (s.sandbox.enabled && port == s.sandbox.listen_port)) {
         return "must differ from server.listen_port, admin.listen_port and sandbox.listen_port, but " +
                std::to_string(port) + " is one of them";
       }
       return std::nullopt;
     }},
    {"credentials.role_arn",
     [](const Settings& s) -> Violation {
       if (s.credentials.enabled && !isRoleArn(s.credentials.role_arn)) {
         return "must be an IAM role ARN (arn:aws:iam::123456789012:role/NAME), but " +
                quoted(s.credentials.role_arn) + " was provided";
       }
       return std::nullopt;
     }},
    {"credentials.region",
     [](const Settings& s) -> Violation {
       if (s.credentials.enabled && !isRegion(s.credentials.region)) {
         return "must be an AWS region such as eu-west-1, but " + quoted(s.credentials.region) + " was provided";
       }
       return std::nullopt;
     }},
    {"credentials.sts_endpoint",
     [](const Settings& s) -> Violation {
       const std::string& url = s.credentials.sts_endpoint;
       if (!s.credentials.enabled || url.empty()) {
         return std::nullopt;
       }
       if (!control::aws::endpointHostField(url) || (!url.starts_with("https://") && !isLoopbackHttp(url))) {
         return "must be \"\" (the regional endpoint), https://HOST[:PORT], or http:// to a loopback emulator, but " +
                quoted(url) + " was provided";
       }
       return std::nullopt;
     }},
    {"credentials.token_key_file",
     [](const Settings& s) -> Violation {
       const std::string& path = s.credentials.token_key_file;
       if (!s.credentials.enabled) {
         return std::nullopt;
       }
       if (path.empty() || path.find('\0') != std::string::npos) {
         return std::string("is required when credentials.enabled is true (the 32-byte key sandbox tokens derive from)");
       }
       if (path == s.sandbox.key_file || path == s.sandbox.seal_key_file) {
         return std::string("must be another file than sandbox.key_file and sandbox.seal_key_file: one key, one purpose");
       }
       return std::nullopt;
     }},
    {"credentials.gateway_credentials",
     [](const Settings& s) -> Violation {
       if (s.credentials.enabled && s.credentials.gateway_credentials == "environment" && s.mode == Mode::aws) {
         return std::string("must be \"instance\" in mode = \"aws\": the instance role, never long-term keys");
       }
       return std::nullopt;
     }},
    {"credentials.imds_url",
     [](const Settings& s) -> Violation {
       const std::string& url = s.credentials.imds_url;
       if (!s.credentials.enabled || s.credentials.gateway_credentials != "instance") {
         return std::nullopt;
       }
       if (url != "http://169.254.169.254" && url != "http://[fd00:ec2::254]" && !isLoopbackHttp(url)) {
         return "must be http://169.254.169.254, http://[fd00:ec2::254] or a loopback test server, but " + quoted(url) +
                " was provided";
       }
       return std::nullopt;
     }},
}};

}  // namespace

std::span<const ValidationRule> credentialsRules() { return kCredentialsRules; }

}  // namespace oh::gateway::config_rules
