#include "appserver/app_server_workload.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/digest.h"

namespace oh::control {
namespace {

// Every name the pool sets (kept in one list so the pass-through check cannot drift).
constexpr std::string_view kPoolVariables[] = {
    "RUNTIME",       "SANDBOX_REMOTE_RUNTIME_API_URL", "SANDBOX_API_KEY", "OH_PERSISTENCE_DIR",
    "FILE_STORE_PATH", "JWT_SECRET",                   "OH_WEB_URL",      "PERMITTED_CORS_ORIGINS",
    "DB_HOST",       "DB_PORT",                        "DB_NAME",         "DB_USER",
    "DB_PASS",       "OH_EVENT_KIND",                  "OH_EVENT_BUCKET_NAME", "OH_EVENT_PREFIX",
    "AWS_S3_ENDPOINT", "FORWARDED_ALLOW_IPS",         "HTTP_PROXY",      "http_proxy",
    "NO_PROXY",      "no_proxy",
};

void add(WorkloadSpec& spec, std::string_view name, std::string value) {
  spec.environment.emplace_back(std::string(name), std::move(value));
}

// The host of scheme://[userinfo@]host[:port]/..., without brackets; "" when url is no URL.
std::string urlHost(std::string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos || scheme == 0) {
    return {};
  }
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    rest.remove_prefix(at + 1);
  }
  if (rest.starts_with('[')) {
    const std::size_t close = rest.find(']');
    return close == std::string_view::npos ? std::string() : std::string(rest.substr(1, close - 1));
  }
  return std::string(rest.substr(0, rest.find(':')));
}

// A name or address httpx's NO_PROXY reads as one entry (no comma, space or wildcard).
bool isPlainHost(std::string_view host) {
  return !host.empty() && host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") ==
                              std::string_view::npos;
}

// httpx turns an entry "h" into the pattern "*h": h itself and every name under it.
bool coversRuntimeHosts(std::string_view host, std::string_view runtime_suffix) {
  if (runtime_suffix.empty()) {
    return false;
  }
  std::string lower(host);
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return runtime_suffix == lower || runtime_suffix.ends_with("." + lower) || lower == "*";
}

}  // namespace

std::string noProxyList(const AppServerPoolSettings& settings) {
  std::vector<std::string> hosts{"localhost", "127.0.0.1", "::1"};
  const auto consider = [&](std::string host) {
    if (isPlainHost(host) && !coversRuntimeHosts(host, settings.runtime_suffix) &&
        std::find(hosts.begin(), hosts.end(), host) == hosts.end()) {
      hosts.push_back(std::move(host));
    }
  };
  consider(urlHost(settings.sandbox_api_url));
  consider(urlHost(settings.s3_endpoint));
  consider(settings.database.host);  // a socket directory is no host and is skipped
  for (const auto& [name, value] : settings.llm_environment) {
    consider(urlHost(value));
  }
  std::string out;
  for (const std::string& host : hosts) {
    out += (out.empty() ? "" : ",") + host;
  }
  return out;
}

std::string labelOf(const WorkloadObservation& seen, std::string_view key) {
  auto it = seen.labels.find(std::string(key));
  return it == seen.labels.end() ? std::string() : it->second;
}

std::string appServerName(std::string_view user_key) { return "oh-appserver-" + std::string(user_key); }

std::string userNetworkName(const AppServerPoolSettings& settings, std::string_view user_key) {
  return settings.network_prefix + std::string(user_key);
}

std::string userDataDirectory(const AppServerPoolSettings& settings, std::string_view user_key) {
  return (std::filesystem::path(settings.data_root) / std::string(user_key)).string();
}

common::Result<std::string> prepareUserDataDirectory(const AppServerPoolSettings& settings, std::string_view user_key) {
  const std::string dir = userDataDirectory(settings, user_key);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return common::failure("persistence directory " + dir + ": " + std::strerror(errno));
  }
  struct stat seen {};
  if (::lstat(dir.c_str(), &seen) != 0 || !S_ISDIR(seen.st_mode)) {
    return common::failure("persistence directory " + dir + " is not a directory");
  }
  return dir;
}

bool isPoolVariable(std::string_view name) {
  if (name.starts_with("OH_PERMITTED_CORS_ORIGINS_")) {
    return true;
  }
  for (std::string_view ours : kPoolVariables) {
    if (name == ours) {
      return true;
    }
  }
  return false;
}

WorkloadSpec appServerSpec(const AppServerPoolSettings& settings, std::string_view user_key,
                           const AppServerCredentials& credentials) {
  WorkloadSpec spec;
  spec.name = appServerName(user_key);
  spec.image = settings.image;
  spec.command = settings.command;
  spec.user = settings.user;
  spec.network = userNetworkName(settings, user_key);
  spec.workspace = userDataDirectory(settings, user_key);
  spec.limits = settings.limits;
  spec.labels = {
      {std::string(kAppServerManagedLabel), settings.managed_label_value},
      {std::string(kAppServerOwnerLabel), std::string(user_key)},
      {std::string(kAppServerVersionLabel), settings.openhands_version},
  };

  // Sandboxes through our remote sandbox API, with the user's own key (config.py:333-337).
  add(spec, "RUNTIME", "remote");
  add(spec, "SANDBOX_REMOTE_RUNTIME_API_URL", settings.sandbox_api_url);
  add(spec, "SANDBOX_API_KEY", credentials.sandbox_api_key);
  // The user's directory; FILE_STORE_PATH is the image's fallback for it (config.py:72-86,
  // containers/app/Dockerfile:49) and set to the same place so nothing lands outside it.
  add(spec, "OH_PERSISTENCE_DIR", std::string(kPersistenceMountPoint));
  add(spec, "FILE_STORE_PATH", std::string(kPersistenceMountPoint));
  // Stable across restarts: the user's stored secrets are encrypted with it (encryption_key.py:35-50).
  add(spec, "JWT_SECRET", credentials.jwt_secret);
  // AppServerConfig is read with the OH_ prefix (config.py:284): web_url (:193), the CORS list (:197).
  if (!settings.web_url.empty()) {
    add(spec, "OH_WEB_URL", settings.web_url);
  }
  const std::vector<std::string>& origins =
      settings.cors_origins.empty() && !settings.web_url.empty() ? std::vector<std::string>{settings.web_url}
                                                                 : settings.cors_origins;
  for (std::size_t i = 0; i < origins.size(); ++i) {
    add(spec, "OH_PERMITTED_CORS_ORIGINS_" + std::to_string(i), origins[i]);
  }
  // uvicorn (containers/app/Dockerfile:105, 0.42.0 in poetry.lock) runs with proxy headers on
  // and rewrites request.client.host, OpenHands' rate-limit key (middleware.py:94), from
  // X-Forwarded-For only when the peer is one of these (config.py FORWARDED_ALLOW_IPS; default
  // 127.0.0.1). Exactly the gateway: sandboxes share the network and must not be believed.
  if (!credentials.gateway_address.empty()) {
    add(spec, "FORWARDED_ALLOW_IPS", credentials.gateway_address);
  }
  // PostgreSQL when given; else OpenHands' SQLite in the persistence directory
  // (services/db_session_injector.py:49-61, 186-187).
  if (credentials.database) {
    add(spec, "DB_HOST", settings.database.host);
    add(spec, "DB_PORT", std::to_string(settings.database.port));
    add(spec, "DB_NAME", credentials.database->name);
    add(spec, "DB_USER", credentials.database->user);
    add(spec, "DB_PASS", credentials.database->password);
  }
  // Events in S3 under the user's own prefix (config.py:215; event/aws_event_service.py:79-97).
  if (!settings.event_bucket.empty()) {
    add(spec, "OH_EVENT_KIND", "AwsEventServiceInjector");
    add(spec, "OH_EVENT_BUCKET_NAME", settings.event_bucket);
    add(spec, "OH_EVENT_PREFIX", settings.event_prefix_root + std::string(user_key));
    if (!settings.s3_endpoint.empty()) {
      add(spec, "AWS_S3_ENDPOINT", settings.s3_endpoint);
    }
  }
  // Agent-server calls through the sandbox API listener's forward proxy, when runtime urls are
  // plain http: httpx (0.28, trust_env) and Python's urllib read both spellings, lowercase first.
  if (!settings.agent_proxy_url.empty()) {
    const std::string no_proxy = noProxyList(settings);
    add(spec, "HTTP_PROXY", settings.agent_proxy_url);
    add(spec, "http_proxy", settings.agent_proxy_url);
    add(spec, "NO_PROXY", no_proxy);
    add(spec, "no_proxy", no_proxy);
  }
  for (const auto& [name, value] : settings.llm_environment) {
    if (!isPoolVariable(name)) {  // the constructor refuses these; never let one override ours
      spec.environment.emplace_back(name, value);
    }
  }
  spec.labels.emplace(std::string(kAppServerSpecLabel), specFingerprint(spec));
  return spec;
}

std::string specFingerprint(const WorkloadSpec& spec) {
  // Length-prefixed fields, so no two specs give one text. Secrets enter only through SHA-256.
  std::string text;
  const auto field = [&text](std::string_view value) {
    text.append(std::to_string(value.size())).append(":").append(value);
  };
  field(spec.name);
  field(spec.image);
  for (const std::string& argument : spec.command) {
    field(argument);
  }
  field("|");
  field(spec.working_dir);
  field(spec.user);
  field(spec.network);
  field(spec.workspace);
  for (const auto& [name, value] : spec.environment) {
    field(name);
    field(value);
  }
  for (const auto& [key, value] : spec.labels) {
    if (key != kAppServerSpecLabel) {
      field(key);
      field(value);
    }
  }
  field(std::to_string(spec.limits.cpus));
  field(std::to_string(spec.limits.memory_bytes));
  field(std::to_string(spec.limits.pids));
  return common::hexEncode(common::sha256(text)).substr(0, 32);
}

}  // namespace oh::control
