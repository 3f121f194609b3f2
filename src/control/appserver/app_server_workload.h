#pragma once
// What one user's stock OpenHands app server is created with (issue 14 item 1; every variable is
// cited in docs/instance.md, "Per-user app servers"), built from the pool's settings, the user
// key and the user's credentials alone, so a re-created container is the same server.

#include <optional>
#include <string>
#include <string_view>

#include "appserver/app_server_pool_settings.h"
#include "appserver/user_databases.h"
#include "backend/workload_backend.h"
#include "common/result.h"

namespace oh::control {

// Labels on every app-server container: the pool lists the managed label at start (adoption),
// reads the owner and version, and compares the spec's fingerprint to decide between starting
// a stopped container and re-creating it. kManagedLabel and kOwnerLabel are the sandbox
// service's names (sandbox_workload.h) with the pool's own managed value.
inline constexpr std::string_view kAppServerManagedLabel = "org.openhands.managed";
inline constexpr std::string_view kAppServerOwnerLabel = "org.openhands.owner";
inline constexpr std::string_view kAppServerVersionLabel = "org.openhands.version";
inline constexpr std::string_view kAppServerSpecLabel = "org.openhands.spec";

// Where the user's persistence directory is mounted (the backend's one bind mount).
inline constexpr std::string_view kPersistenceMountPoint = "/workspace";

// What the spec carries that is the user's alone.
struct AppServerCredentials {
  std::string sandbox_api_key;          // SANDBOX_API_KEY (sandbox/api_keys.h)
  std::string jwt_secret;               // JWT_SECRET (user_secrets.h)
  std::optional<DatabaseLogin> database; // PostgreSQL; none = SQLite in the persistence directory
  // Where oh-gateway's requests come from as the server sees them: the user network's gateway
  // (WorkloadBackend::networkGateway). FORWARDED_ALLOW_IPS, so the server believes the
  // X-Forwarded-For the gateway sends and keys its rate limit on each client; "" = trust nobody.
  std::string gateway_address;
};

// A label's value on an observed workload, "" when it has none.
std::string labelOf(const WorkloadObservation& seen, std::string_view key);

// "oh-appserver-{userKey}".
std::string appServerName(std::string_view user_key);

// {network_prefix}{userKey}: the user's network, shared with their sandboxes.
std::string userNetworkName(const AppServerPoolSettings& settings, std::string_view user_key);

// {data_root}/{userKey}.
std::string userDataDirectory(const AppServerPoolSettings& settings, std::string_view user_key);

// Creates {data_root}/{userKey} (0700) unless it exists; refuses one that is not a plain
// directory (a symbolic link planted there). Returns the path.
common::Result<std::string> prepareUserDataDirectory(const AppServerPoolSettings& settings, std::string_view user_key);

// NO_PROXY for an app server whose HTTP_PROXY is the agent proxy: loopback, and the hosts of the
// sandbox API, the S3 endpoint, the database and every http(s) URL among the passed-through
// variables (an LLM_BASE_URL on plain http must not go to the proxy, which refuses it), minus
// any that is the runtime suffix or a domain above it. Comma-separated, in httpx's form.
std::string noProxyList(const AppServerPoolSettings& settings);

// The variables the pool sets itself (the LLM pass-through may not name them).
bool isPoolVariable(std::string_view name);

WorkloadSpec appServerSpec(const AppServerPoolSettings& settings, std::string_view user_key,
                           const AppServerCredentials& credentials);

// A digest of everything in the spec (image, variables, limits, ...), the value of
// kAppServerSpecLabel: a stopped container whose digest differs is re-created, not started.
std::string specFingerprint(const WorkloadSpec& spec);

}  // namespace oh::control
