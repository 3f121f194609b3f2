#pragma once
// The users' app-server pool assembled from [appserver] (issue 14): the secret and password
// files read, the LLM variables taken from oh-gateway's own environment, each user's database
// (PostgreSQL through appserver.database_url, else SQLite in their directory), a Docker backend
// of its own (its mounts confined to appserver.data_root), the pool started (it adopts the
// servers a previous gateway left running), its metrics and the admin listener's /appservers.
// Built once at start, after the sandbox API (whose address the servers are given); a failure
// is a clear message and oh-gateway exits 2.
//
//   auto servers = AppServerAssembly::start(settings, sandbox_api_address, sandbox->routes(), metrics);
//   gates.useAppServers((*servers)->directory());

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "appserver/app_server_directory.h"
#include "appserver/app_server_pool_settings.h"
#include "appserver/user_databases.h"
#include "common/result.h"
#include "config/settings.h"
#include "http/gateway_server.h"
#include "routing/app_server_router.h"
#include "observability/metrics.h"
#include "sandbox/sandbox_routes.h"

namespace oh::gateway {

class AppServerAssembly {
public:
  // `sandbox_api`: where the sandbox API listens (its real port when sandbox.listen_port is 0).
  static common::Result<std::unique_ptr<AppServerAssembly>> start(const Settings& settings, const ListenAddress& sandbox_api,
                                                                  std::shared_ptr<control::SandboxRouteSource> sandboxes,
                                                                  Metrics& metrics);
  ~AppServerAssembly();  // stops the pool's threads; the servers keep running (adopted next time)

  control::AppServerDirectoryPtr directory() const;
  // The sandbox API listener's peer check: whose app server an address is (thread-safe,
  // non-blocking; AppServerPool::appServerUserAt).
  std::function<std::optional<std::string>(std::string_view)> appServerUserLookup() const;
  // Whether a user's own server signed an X-Access-Token (webhooks); valid while this lives.
  AccessTokenCheck accessTokenCheck() const;

  struct Parts;

private:
  explicit AppServerAssembly(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

// What the pool is configured with: [appserver] and [sandbox] with the secrets read and the
// environment looked up (`environment` returns nullptr for an unset name, like getenv).
struct AppServerSecrets {
  std::string secret_key;          // appserver.secret_key_file
  std::string sandbox_key_secret;  // sandbox.key_file
};
// Reads appserver.secret_key_file and sandbox.key_file (key file forms, mode 0600), naming the key.
common::Result<AppServerSecrets> readAppServerSecrets(const Settings& settings);

// Each user's PostgreSQL database through appserver.database_url (the password from its file),
// or null when the servers keep SQLite in their directories.
common::Result<control::UserDatabasesPtr> userDatabases(const Settings& settings, const std::string& secret_key);

// The pool's own Docker backend: the only mounts it allows are under appserver.data_root.
control::WorkloadBackendPtr appServerBackend(const Settings& settings);

control::AppServerPoolSettings appServerPoolSettings(const Settings& settings, const ListenAddress& sandbox_api,
                                                     AppServerSecrets secrets,
                                                     const std::function<const char*(const char*)>& environment);

// libpq keyword/value conninfo for appserver.database_url with the password added (values
// quoted as libpq wants: 'it\'s'); the URL's query parameters (sslmode, ...) become keywords.
common::Result<std::string> adminConninfo(std::string_view database_url, std::string_view password);

}  // namespace oh::gateway
