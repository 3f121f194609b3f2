#include "app/appserver_assembly.h"

#include "appserver/access_tokens.h"

#include <cstdlib>
#include <stdexcept>

#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "app/appserver_listing.h"
#include "app/sandbox_assembly.h"
#include "appserver/app_server_pool.h"
#include "appserver/health_probe.h"
#include "appserver/postgres_user_databases.h"
#include "auth/key_file.h"
#include "backend/docker_backend.h"
#include "observability/app_server_pool_metrics.h"

namespace oh::gateway {

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::uint16_t kPostgresPort = 5432;

// 'value' with \ and ' escaped, as libpq's conninfo wants.
std::string quotedConninfoValue(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') {
      out += '\\';
    }
    out += c;
  }
  out += '\'';
  return out;
}

// http://ADDRESS:PORT with an IPv6 address in brackets.
std::string sandboxApiUrl(const ListenAddress& address) {
  const bool v6 = address.address.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + address.address + "]" : address.address) + ":" + std::to_string(address.port);
}

}  // namespace

common::Result<std::string> adminConninfo(std::string_view database_url, std::string_view password) {
  auto url = boost::urls::parse_absolute_uri(database_url);
  if (!url || url->encoded_host().empty() || url->has_password()) {
    return common::failure("appserver.database_url: not postgresql://USER@HOST:PORT/DATABASE without a password");
  }
  std::string out = "host=" + quotedConninfoValue(url->host());
  out += " port=" + quotedConninfoValue(url->has_port() ? std::string(url->port()) : std::to_string(kPostgresPort));
  out += " user=" + quotedConninfoValue(url->user());
  std::string path = url->path();
  out += " dbname=" + quotedConninfoValue(path.size() > 1 ? std::string_view(path).substr(1) : std::string_view("postgres"));
  for (const auto& param : url->params()) {
    // Keywords are libpq's own ([a-z_]); anything else is not a connection option.
    if (param.key.empty() || param.key.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos ||
        param.key == "password" || param.key == "passfile") {
      return common::failure("appserver.database_url: the parameter \"" + param.key + "\" is not allowed");
    }
    out += " " + param.key + "=" + quotedConninfoValue(param.value);
  }
  out += " password=" + quotedConninfoValue(password);
  return out;
}

control::AppServerPoolSettings appServerPoolSettings(const Settings& settings, const ListenAddress& sandbox_api,
                                                     AppServerSecrets secrets,
                                                     const std::function<const char*(const char*)>& environment) {
  const AppServerSettings& a = settings.appserver;
  control::AppServerPoolSettings out;
  out.image = a.image;
  out.openhands_version = a.openhands_version;
  out.port = a.port;
  out.command = a.command;
  out.limits = control::WorkloadLimits{.cpus = a.cpus, .memory_bytes = a.memory_mb * kMiB, .pids = a.pids};
  out.data_root = a.data_root;
  // The user's network is the one their sandboxes are on (issues 14 and 15 agree).
  out.network_prefix = settings.sandbox.network_prefix;
  out.managed_label_value = a.managed_label_value;
  out.sandbox_api_url = a.sandbox_api_url.empty() ? sandboxApiUrl(sandbox_api) : a.sandbox_api_url;
  // Plain-http runtime urls (one machine) name hosts a container cannot resolve: the app
  // server's calls to them go to the sandbox API listener's forward proxy, which relays each to
  // the caller's own user's agent server (docs/sandboxes.md, "Agent-server calls"). https urls
  // (AWS) take the public path: the gateway holds no TLS for runtime hosts.
  if (settings.sandbox.public_scheme == "http") {
    out.agent_proxy_url = out.sandbox_api_url;
    out.runtime_suffix = sandboxRuntimeSuffix(settings);
  }
  out.web_url = a.web_url;
  out.cors_origins = a.cors_origins;
  out.secret_key = std::move(secrets.secret_key);
  out.sandbox_key_secret = std::move(secrets.sandbox_key_secret);
  for (const std::string& name : a.pass_environment) {
    if (const char* value = environment(name.c_str())) {
      out.llm_environment.emplace_back(name, value);
    } else {
      spdlog::warn("appserver.pass_environment: {} is not set in oh-gateway's environment; app servers go without it",
                   name);
    }
  }
  out.event_bucket = a.event_bucket;
  out.s3_endpoint = a.s3_endpoint;
  if (!a.database_url.empty()) {
    auto url = boost::urls::parse_absolute_uri(a.database_url);
    out.database.host = !a.database_host.empty() ? a.database_host : url ? std::string(url->host()) : std::string();
    out.database.port = a.database_port != 0 ? a.database_port
                        : url && url->has_port() ? url->port_number()
                                                 : kPostgresPort;
    out.database.name_prefix = a.database_name_prefix;
  }
  out.max_running = a.max_running;
  out.idle_timeout = a.idle_timeout;
  out.start_timeout = a.start_timeout;
  out.retry_delay = a.retry_delay;
  out.stop_grace = settings.sandbox.stop_grace;
  return out;
}

struct AppServerAssembly::Parts {
  common::SystemWallClock clock;
  std::string secret_key;  // the pool's: each user's JWT_SECRET derives from it
  std::shared_ptr<control::AppServerPool> pool;  // shared with the gates (directory)

  ~Parts() {
    if (pool) {
      pool->stop();
    }
  }
};

AppServerAssembly::AppServerAssembly(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

AppServerAssembly::~AppServerAssembly() = default;

common::Result<AppServerSecrets> readAppServerSecrets(const Settings& settings) {
  auto secret_key = auth::readKeyFile(settings.appserver.secret_key_file);
  if (!secret_key) {
    return common::failure("appserver.secret_key_file: " + secret_key.error().reason);
  }
  auto sandbox_key = auth::readKeyFile(settings.sandbox.key_file);
  if (!sandbox_key) {
    return common::failure("sandbox.key_file: " + sandbox_key.error().reason);
  }
  return AppServerSecrets{std::move(secret_key).value(), std::move(sandbox_key).value()};
}

common::Result<control::UserDatabasesPtr> userDatabases(const Settings& settings, const std::string& secret_key) {
  const AppServerSettings& a = settings.appserver;
  if (a.database_url.empty()) {
    return control::UserDatabasesPtr();
  }
  auto password = auth::readSecretFile(a.database_password_file);
  if (!password) {
    return common::failure("appserver.database_password_file: " + password.error().reason);
  }
  auto conninfo = adminConninfo(a.database_url, *password);
  if (!conninfo) {
    return common::fail(conninfo.error());
  }
  auto made = control::makePostgresUserDatabases(
      {.admin_conninfo = std::move(conninfo).value(), .name_prefix = a.database_name_prefix, .secret_key = secret_key});
  if (!made) {
    return common::failure("appserver.database_url: " + made.error().reason);
  }
  return std::move(made).value();
}

control::WorkloadBackendPtr appServerBackend(const Settings& settings) {
  return control::makeDockerBackend(control::DockerBackendOptions{
      .socket = settings.runtime.docker_socket,
      .workspace_root = settings.appserver.data_root,
      .network_prefix = settings.sandbox.network_prefix,
  });
}

common::Result<std::unique_ptr<AppServerAssembly>> AppServerAssembly::start(
    const Settings& settings, const ListenAddress& sandbox_api, std::shared_ptr<control::SandboxRouteSource> sandboxes,
    Metrics& metrics) {
  auto secrets = readAppServerSecrets(settings);
  if (!secrets) {
    return common::fail(secrets.error());
  }
  auto databases = userDatabases(settings, secrets->secret_key);
  if (!databases) {
    return common::fail(databases.error());
  }
  control::AppServerPoolSettings pool_settings =
      appServerPoolSettings(settings, sandbox_api, std::move(secrets).value(), [](const char* name) {
        return std::getenv(name);  // NOLINT(concurrency-mt-unsafe): at start, before any thread sets one
      });
  if (*databases) {
    // The pool takes the databases object; the conninfo only says PostgreSQL is in use.
    pool_settings.database.admin_conninfo = settings.appserver.database_url;
  }
  auto parts = std::make_unique<Parts>();
  parts->secret_key = pool_settings.secret_key;
  try {
    parts->pool = std::make_shared<control::AppServerPool>(std::move(pool_settings), appServerBackend(settings),
                                                           std::move(databases).value(), control::makeHttpHealthProbe(),
                                                           parts->clock);
  } catch (const std::invalid_argument& refused) {
    return common::failure(std::string("appserver: ") + refused.what());
  }
  parts->pool->start();

  // The parts outlive the admin listener that renders them (the caller keeps the assembly
  // until the gateway's server has stopped).
  control::AppServerPool& pool = *parts->pool;
  metrics.addSource([&pool] { return renderAppServerMetrics(pool.metrics()); });
  metrics.addDocument("/appservers", [&pool, sandboxes] {
    const control::SandboxRoutesPtr routes = sandboxes ? sandboxes->routes() : std::make_shared<const control::SandboxRoutes>();
    return renderAppServerListing(pool.list(), *routes);
  });
  return std::unique_ptr<AppServerAssembly>(new AppServerAssembly(std::move(parts)));
}

control::AppServerDirectoryPtr AppServerAssembly::directory() const { return parts_->pool; }

AccessTokenCheck AppServerAssembly::accessTokenCheck() const {
  return [parts = parts_.get()](std::string_view user_key, std::string_view token) {
    return control::signedByUsersServer(parts->secret_key, user_key, token, parts->clock.now().time_since_epoch().count());
  };
}

std::function<std::optional<std::string>(std::string_view)> AppServerAssembly::appServerUserLookup() const {
  return [pool = parts_->pool](std::string_view ip) { return pool->appServerUserAt(ip); };
}

}  // namespace oh::gateway
