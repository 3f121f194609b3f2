#include "config/sandbox_rules.h"

#include <array>

#include <boost/asio/ip/address.hpp>

#include "config/auth_rules.h"
#include "config/quote.h"

namespace oh::gateway::config_rules {
namespace {

using config_text::quoted;
using Violation = std::optional<std::string>;

bool hasNul(const std::string& text) { return text.find('\0') != std::string::npos; }

// A required file path (key files): present and without NUL.
Violation requiredFile(const Settings& s, const std::string& path, std::string_view what) {
  if (!s.sandbox.enabled) {
    return std::nullopt;
  }
  if (path.empty()) {
    return "is required when sandbox.enabled is true (" + std::string(what) + ")";
  }
  if (hasNul(path)) {
    return std::string("must not contain NUL characters");
  }
  return std::nullopt;
}

const std::array<ValidationRule, 11> kSandboxRules{{
    {"sandbox.listen_address",
     [](const Settings& s) -> Violation {
       boost::system::error_code ec;
       const auto address = boost::asio::ip::make_address(s.sandbox.listen_address, ec);
       if (ec || s.sandbox.listen_address.find('%') != std::string::npos) {
         return "must be an IP address such as 127.0.0.1 or the app servers' Docker bridge gateway, but " +
                quoted(s.sandbox.listen_address) + " was provided";
       }
       if (address.is_unspecified()) {
         return "must be one address the app servers reach (127.0.0.1 by default), never a wildcard: " +
                quoted(s.sandbox.listen_address) +
                " would expose the sandbox API to the load balancer's network and to sandboxes";
       }
       return std::nullopt;
     }},
    {"sandbox.listen_port",
     [](const Settings& s) -> Violation {
       if (!s.sandbox.enabled || s.sandbox.listen_port == 0) {
         return std::nullopt;
       }
       if (s.sandbox.listen_port == s.server.listen_port) {
         return "must differ from server.listen_port, but both are " + std::to_string(s.sandbox.listen_port);
       }
       if (s.admin.enabled && s.sandbox.listen_port == s.admin.listen_port) {
         return "must differ from admin.listen_port, but both are " + std::to_string(s.sandbox.listen_port);
       }
       return std::nullopt;
     }},
    {"sandbox.key_file",
     [](const Settings& s) -> Violation {
       return requiredFile(s, s.sandbox.key_file, "the 32-byte secret the per-user API keys derive from");
     }},
    {"sandbox.seal_key_file",
     [](const Settings& s) -> Violation {
       if (auto missing = requiredFile(s, s.sandbox.seal_key_file, "the 32-byte key sealing session keys in the store")) {
         return missing;
       }
       if (s.sandbox.enabled && s.sandbox.seal_key_file == s.sandbox.key_file) {
         return std::string("must be another file than sandbox.key_file: one key, one purpose");
       }
       return std::nullopt;
     }},
    {"sandbox.store_url",
     [](const Settings& s) -> Violation {
       const std::string& url = s.sandbox.store_url;
       if (!s.sandbox.enabled) {
         return std::nullopt;
       }
       if (url.starts_with("sqlite:///") && url.size() > 10 && !hasNul(url)) {
         return std::nullopt;
       }
       if ((url.starts_with("postgresql://") || url.starts_with("postgres://")) && !hasNul(url)) {
         // The password comes from PGPASSWORD or PGPASSFILE: a configuration file is no place for it.
         const auto authority_end = url.find('/', url.find("://") + 3);
         const auto at = url.rfind('@', authority_end);
         const auto colon = url.find(':', url.find("://") + 3);
         if (at != std::string::npos && colon != std::string::npos && colon < at) {
           return std::string("must not contain a password (use PGPASSWORD or PGPASSFILE)");
         }
         return std::nullopt;
       }
       return std::string("must be sqlite:///ABSOLUTE/PATH.db or postgresql://USER@HOST:PORT/DATABASE");
     }},
    {"sandbox.allowed_images",
     [](const Settings& s) -> Violation {
       if (!s.sandbox.enabled) {
         return std::nullopt;
       }
       if (s.sandbox.allowed_images.empty()) {
         return std::string("must list at least one image when sandbox.enabled is true (the agent-server "
                            "images sandboxes may run, e.g. \"ghcr.io/openhands/agent-server:1.20.1-python\")");
       }
       for (const std::string& image : s.sandbox.allowed_images) {
         if (!isImageReference(image)) {
           return "must hold image references without whitespace, but " + quoted(image) + " was provided";
         }
       }
       return std::nullopt;
     }},
    {"sandbox.workspace_root",
     [](const Settings& s) -> Violation {
       if (!s.sandbox.enabled) {
         return std::nullopt;
       }
       const std::string& root = s.sandbox.workspace_root;
       if (root.size() < 2 || root.front() != '/' || hasNul(root) || root.find("/../") != std::string::npos ||
           root.ends_with("/..")) {
         return "must be an absolute directory other than / (sandbox workspaces are created under it), but " +
                quoted(root) + " was provided";
       }
       return std::nullopt;
     }},
    {"sandbox.runtime_suffix",
     [](const Settings& s) -> Violation {
       if (!s.sandbox.enabled) {
         return std::nullopt;
       }
       if (s.sandbox.runtime_suffix.empty()) {
         if (s.runtime.host_suffixes.empty()) {
           return std::string("is required when sandbox.enabled is true and runtime.host_suffixes is empty "
                              "(the url handed out is {port}-{sandbox id}.{suffix})");
         }
         return std::nullopt;
       }
       if (!isLowercaseDnsName(s.sandbox.runtime_suffix)) {
         return "must be a lowercase DNS name such as runtime.openhands.example.com, but " +
                quoted(s.sandbox.runtime_suffix) + " was provided";
       }
       return std::nullopt;
     }},
    {"sandbox.public_scheme",
     [](const Settings& s) -> Violation {
       if (s.sandbox.enabled && s.mode == Mode::aws && s.sandbox.public_scheme != "https") {
         return std::string("must be \"https\" when mode is \"aws\" (browsers open the url the API returns)");
       }
       return std::nullopt;
     }},
    {"sandbox.network_prefix",
     [](const Settings& s) -> Violation {
       if (!isNetworkPrefix(s.sandbox.network_prefix)) {
         return "must be 1-30 of [a-z0-9_.-] starting with a letter or digit, but " +
                quoted(s.sandbox.network_prefix) + " was provided";
       }
       return std::nullopt;
     }},
    {"sandbox.managed_label_value",
     [](const Settings& s) -> Violation {
       // A label value of our own making: short, lowercase, no spaces (it appears in filters).
       if (!isNetworkPrefix(s.sandbox.managed_label_value)) {
         return "must be 1-30 of [a-z0-9_.-] starting with a letter or digit, but " +
                quoted(s.sandbox.managed_label_value) + " was provided";
       }
       return std::nullopt;
     }},
}};

}  // namespace

// Docker network names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*; ours are lowercase and short so that
// {prefix}{32-digit user key} stays a readable name. Our label values follow the same rule.
bool isNetworkPrefix(std::string_view prefix) {
  if (prefix.empty() || prefix.size() > 30 || !((prefix[0] >= 'a' && prefix[0] <= 'z') || (prefix[0] >= '0' && prefix[0] <= '9'))) {
    return false;
  }
  for (char c : prefix) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

// An image reference as given to Docker: no whitespace, no control characters, not empty.
bool isImageReference(std::string_view image) {
  if (image.empty() || image.size() > 512) {
    return false;
  }
  for (char c : image) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return false;
    }
  }
  return true;
}

std::span<const ValidationRule> sandboxRules() { return kSandboxRules; }

}  // namespace oh::gateway::config_rules
