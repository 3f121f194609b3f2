#include "config/appserver_rules.h"

#include <array>

#include <boost/url/parse.hpp>

#include "config/quote.h"
#include "config/sandbox_rules.h"

namespace oh::gateway::config_rules {
namespace {

using config_text::quoted;
using Violation = std::optional<std::string>;

bool hasNul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

// PostgreSQL cuts identifiers at 63 bytes: {prefix}{32-digit user key} must fit.
constexpr std::size_t kMaxDatabasePrefix = 63 - 32;

Violation requiredFile(const Settings& s, const std::string& path, std::string_view what) {
  if (!s.appserver.enabled) {
    return std::nullopt;
  }
  if (path.empty()) {
    return "is required when appserver.enabled is true (" + std::string(what) + ")";
  }
  if (hasNul(path)) {
    return std::string("must not contain NUL characters");
  }
  return std::nullopt;
}

// An absolute directory other than "/", without "..": each user's directory is made under it.
bool isDataRoot(std::string_view root) {
  return root.size() >= 2 && root.front() == '/' && !hasNul(root) && root.find("/../") == std::string_view::npos &&
         !root.ends_with("/..");
}

// scheme://host[:port] and nothing more (no user info, path, query or fragment): an origin.
// `allow_http` for one-machine deployments (mode = "local").
Violation originProblem(std::string_view value, bool allow_http, std::string_view example) {
  auto url = boost::urls::parse_absolute_uri(value);
  const bool shaped = url && (url->scheme() == "https" || (allow_http && url->scheme() == "http")) && url->has_authority() &&
                      !url->encoded_host().empty() && !url->has_userinfo() && url->encoded_path().empty() &&
                      !url->has_query() && !url->has_fragment();
  if (shaped) {
    return std::nullopt;
  }
  return "must be an origin such as " + std::string(example) + (allow_http ? " (http:// in mode = \"local\")" : "") +
         ", without a path or a trailing slash, but " + quoted(value) + " was provided";
}

// Names oh-gateway hands on from its own environment: the LLM's settings only. Everything else
// an app server reads (its database, keys, sandbox API, URLs) the pool sets per user.
bool isPassableName(std::string_view name) {
  constexpr std::array<std::string_view, 3> kRegions{"AWS_REGION_NAME", "AWS_REGION", "AWS_DEFAULT_REGION"};
  for (std::string_view region : kRegions) {
    if (name == region) {
      return true;
    }
  }
  if (!name.starts_with("LLM_") && !name.starts_with("LMNR_")) {
    return false;
  }
  if (name.size() > 128 || name.ends_with('_')) {
    return false;
  }
  for (char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

// [a-z_][a-z0-9_]*: a PostgreSQL identifier that needs no quoting.
bool isDatabasePrefix(std::string_view prefix) {
  if (prefix.empty() || prefix.size() > kMaxDatabasePrefix || (prefix[0] >= '0' && prefix[0] <= '9')) {
    return false;
  }
  for (char c : prefix) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

// S3 bucket names: 3-63 of [a-z0-9.-], starting and ending with a letter or digit.
bool isBucketName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) {
    return false;
  }
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) {
    return false;
  }
  for (char c : name) {
    if (!alnum(c) && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

const std::array<ValidationRule, 16> kAppServerRules{{
    {"appserver.enabled",
     [](const Settings& s) -> Violation {
       if (!s.appserver.enabled) {
         return std::nullopt;
       }
       if (!s.sandbox.enabled) {
         return std::string("needs sandbox.enabled = true: app servers run with RUNTIME=remote against the sandbox API");
       }
       if (s.auth.provider == AuthProvider::none) {
         return std::string("needs a sign-in (auth.provider other than \"none\"): the session's subject picks a "
                            "user's app server, and OpenHands itself authenticates nobody");
       }
       return std::nullopt;
     }},
    {"appserver.image",
     [](const Settings& s) -> Violation {
       if (s.appserver.enabled && !isImageReference(s.appserver.image)) {
         return "must be the pinned OpenHands image reference (e.g. \"docker.openhands.dev/openhands/openhands:1.7.0\") "
                "without whitespace, but " +
                quoted(s.appserver.image) + " was provided";
       }
       return std::nullopt;
     }},
    {"appserver.openhands_version",
     [](const Settings& s) -> Violation {
       const std::string& v = s.appserver.openhands_version;
       const bool ok = !v.empty() && v.size() <= 32 && v.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz.-+") == std::string::npos;
       if (s.appserver.enabled && !ok) {
         return "must be a release such as \"1.7.0\", but " + quoted(v) + " was provided";
       }
       return std::nullopt;
     }},
    {"appserver.data_root",
     [](const Settings& s) -> Violation {
       if (s.appserver.enabled && !isDataRoot(s.appserver.data_root)) {
         return "must be an absolute directory other than / (each user's persistence directory is "
                "{data_root}/{user key}), but " +
                quoted(s.appserver.data_root) + " was provided";
       }
       return std::nullopt;
     }},
    {"appserver.managed_label_value",
     [](const Settings& s) -> Violation {
       if (!s.appserver.enabled) {
         return std::nullopt;
       }
       if (!isNetworkPrefix(s.appserver.managed_label_value)) {
         return "must be 1-30 of [a-z0-9_.-] starting with a letter or digit, but " +
                quoted(s.appserver.managed_label_value) + " was provided";
       }
       if (s.appserver.managed_label_value == s.sandbox.managed_label_value) {
         return std::string("must differ from sandbox.managed_label_value: each owner removes the containers it "
                            "does not know");
       }
       return std::nullopt;
     }},
    {"appserver.sandbox_api_url",
     [](const Settings& s) -> Violation {
       if (!s.appserver.enabled || s.appserver.sandbox_api_url.empty()) {
         return std::nullopt;
       }
       // OpenHands appends the path to it (remote_sandbox_service.py:126): no path, no slash.
       return originProblem(s.appserver.sandbox_api_url, true, "http://172.18.0.1:8090");
     }},
    {"appserver.web_url",
     [](const Settings& s) -> Violation {
       if (!s.appserver.enabled) {
         return std::nullopt;
       }
       if (s.appserver.web_url.empty()) {
         return std::string("is required when appserver.enabled is true (OH_WEB_URL: the public origin sandboxes "
                            "call back and browsers use, e.g. \"https://openhands.example.com\")");
       }
       return originProblem(s.appserver.web_url, s.mode == Mode::local, "https://openhands.example.com");
     }},
    {"appserver.cors_origins",
     [](const Settings& s) -> Violation {
       if (!s.appserver.enabled) {
         return std::nullopt;
       }
       for (const std::string& origin : s.appserver.cors_origins) {
         if (auto problem = originProblem(origin, s.mode == Mode::local, "https://openhands.example.com")) {
           return "must hold origins: " + *problem;
         }
       }
       return std::nullopt;
     }},
    {"appserver.secret_key_file",
     [](const Settings& s) -> Violation {
       if (auto missing = requiredFile(s, s.appserver.secret_key_file, "32+ random bytes each user's JWT secret derives from")) {
         return missing;
       }
       if (s.appserver.enabled &&
           (s.appserver.secret_key_file == s.sandbox.key_file || s.appserver.secret_key_file == s.sandbox.seal_key_file)) {
         return std::string("must be another file than sandbox.key_file and sandbox.seal_key_file: one key, one purpose");
       }
       return std::nullopt;
     }},
    {"appserver.pass_environment",
     [](const Settings& s) -> Violation {
       if (!s.appserver.enabled) {
         return std::nullopt;
       }
       for (const std::string& name : s.appserver.pass_environment) {
         if (!isPassableName(name)) {
           return "may name the LLM's settings only (LLM_*, LMNR_*, AWS_REGION_NAME, AWS_REGION, AWS_DEFAULT_REGION; "
                  "the rest each app server gets from the gateway), but " +
                  quoted(name) + " was provided";
         }
       }
       return std::nullopt;
     }},
    {"appserver.database_url",
     [](const Settings& s) -> Violation {
       const std::string& value = s.appserver.database_url;
       if (!s.appserver.enabled || value.empty()) {
         return std::nullopt;
       }
       auto url = boost::urls::parse_absolute_uri(value);
       if (!url || (url->scheme() != "postgresql" && url->scheme() != "postgres") || url->encoded_host().empty() ||
           url->encoded_path().size() < 2 || url->has_fragment()) {
         return "must be postgresql://USER@HOST:PORT/DATABASE (a role that may create databases and roles), but " +
                quoted(value) + " was provided";
       }
       if (url->has_password()) {
         return std::string("must not contain a password (put it in appserver.database_password_file)");
       }
       if (url->encoded_user().empty()) {
         return std::string("must name the role: postgresql://USER@HOST:PORT/DATABASE");
       }
       return std::nullopt;
     }},
    {"appserver.database_password_file",
     [](const Settings& s) -> Violation {
       if (!s.appserver.enabled || s.appserver.database_url.empty()) {
         return std::nullopt;
       }
       if (s.appserver.database_password_file.empty()) {
         return std::string("is required when appserver.database_url is set (the password of its role)");
       }
       return hasNul(s.appserver.database_password_file) ? Violation("must not contain NUL characters") : std::nullopt;
     }},
    {"appserver.database_host",
     [](const Settings& s) -> Violation {
       const std::string& host = s.appserver.database_host;
       if (!s.appserver.enabled || host.empty()) {
         return std::nullopt;
       }
       if (host.size() > 253 || host.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-:") != std::string::npos) {
         return "must be a lowercase host name or IP address as the app servers reach the database, but " +
                quoted(host) + " was provided";
       }
       return std::nullopt;
     }},
    {"appserver.database_name_prefix",
     [](const Settings& s) -> Violation {
       if (s.appserver.enabled && !isDatabasePrefix(s.appserver.database_name_prefix)) {
         return "must be 1-" + std::to_string(kMaxDatabasePrefix) +
                " of [a-z0-9_] not starting with a digit ({prefix}{user key} names a database), but " +
                quoted(s.appserver.database_name_prefix) + " was provided";
       }
       return std::nullopt;
     }},
    {"appserver.event_bucket",
     [](const Settings& s) -> Violation {
       if (s.appserver.enabled && !s.appserver.event_bucket.empty() && !isBucketName(s.appserver.event_bucket)) {
         return "must be an S3 bucket name (3-63 of [a-z0-9.-]), but " + quoted(s.appserver.event_bucket) + " was provided";
       }
       return std::nullopt;
     }},
    {"appserver.s3_endpoint",
     [](const Settings& s) -> Violation {
       if (!s.appserver.enabled || s.appserver.s3_endpoint.empty()) {
         return std::nullopt;
       }
       return originProblem(s.appserver.s3_endpoint, true, "http://127.0.0.1:5000");
     }},
}};

}  // namespace

std::span<const ValidationRule> appServerRules() { return kAppServerRules; }

}  // namespace oh::gateway::config_rules
