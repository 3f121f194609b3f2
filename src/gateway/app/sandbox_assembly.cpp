#include "app/sandbox_assembly.h"

#include <spdlog/spdlog.h>

#include "app/credentials_assembly.h"
#include "auth/key_file.h"
#include "backend/docker_backend.h"
#include "http/sandbox_api_server.h"
#include "observability/sandbox_api_metrics.h"
#include "observability/sandbox_service_metrics.h"
#include "sandbox/api_keys.h"
#include "sandbox/sandbox_api.h"
#include "store/sandbox_store.h"

namespace oh::gateway {

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

// A key file readable by group or others is refused (auth/key_file.h), naming the key.
common::Result<std::string> readKey(const std::string& path, std::string_view key) {
  auto secret = auth::readKeyFile(path);
  if (!secret) {
    return common::failure(std::string(key) + ": " + secret.error().reason);
  }
  return std::move(secret).value();
}

// The service over the configured store and engine, not started.
common::Result<std::shared_ptr<control::SandboxService>> serviceOver(const Settings& settings,
                                                                      control::SandboxServiceSettings service_settings,
                                                                      common::WallClock& clock,
                                                                      common::RandomSource& random) {
  auto store = control::openSandboxStore(settings.sandbox.store_url);
  if (!store) {
    // The store names the URL without its password.
    return common::failure("sandbox.store_url: cannot open the sandbox store: " + store.error().reason);
  }
  auto backend = control::makeDockerBackend(control::DockerBackendOptions{
      .socket = settings.runtime.docker_socket,
      .workspace_root = settings.sandbox.workspace_root,
      .network_prefix = settings.sandbox.network_prefix,
  });
  return std::make_shared<control::SandboxService>(std::move(service_settings), std::move(store).value(),
                                                   std::move(backend), clock, random);
}

}  // namespace

common::Result<std::shared_ptr<control::SandboxService>> openSandboxService(const Settings& settings,
                                                                             common::WallClock& clock,
                                                                             common::RandomSource& random) {
  auto seal_key = readKey(settings.sandbox.seal_key_file, "sandbox.seal_key_file");
  if (!seal_key) {
    return common::fail(seal_key.error());
  }
  return serviceOver(settings, sandboxServiceSettings(settings, std::move(seal_key).value()), clock, random);
}

// Declared in the order they are needed; destroyed in reverse: the listener stops taking calls
// before the service stops, and the service before the store and backend it uses go.
struct SandboxAssembly::Parts {
  common::SystemWallClock clock;
  common::SystemRandomSource random;
  SandboxApiMetrics api_metrics;
  std::optional<control::SandboxApiKeys> keys;
  std::shared_ptr<control::SandboxService> service;  // shared with the gates (routes)
  std::unique_ptr<SandboxApiServer> server;

  ~Parts() {
    if (server) {
      server->stop();
    }
    if (service) {
      service->stop();
    }
  }
};

std::string sandboxRuntimeSuffix(const Settings& settings) {
  if (!settings.sandbox.runtime_suffix.empty()) {
    return settings.sandbox.runtime_suffix;
  }
  return settings.runtime.host_suffixes.empty() ? std::string() : settings.runtime.host_suffixes.front();
}

control::SandboxServiceSettings sandboxServiceSettings(const Settings& settings, std::string seal_key) {
  const SandboxSettings& sandbox = settings.sandbox;
  control::SandboxServiceSettings out;
  out.allowed_images = sandbox.allowed_images;
  out.workspace_root = sandbox.workspace_root;
  out.public_scheme = sandbox.public_scheme;
  out.runtime_suffix = sandboxRuntimeSuffix(settings);
  out.public_port = sandbox.public_port;
  out.network_prefix = sandbox.network_prefix;
  out.managed_label_value = sandbox.managed_label_value;
  out.limits.cpus = sandbox.limits.cpus;
  out.limits.memory_bytes = sandbox.limits.memory_mb * kMiB;
  out.limits.pids = sandbox.limits.pids;
  out.limits.disk_bytes = sandbox.limits.disk_mb * kMiB;
  out.max_resource_factor = sandbox.limits.max_resource_factor;
  out.max_running_per_user = sandbox.limits.max_running_per_user;
  out.max_sandboxes_per_user = sandbox.limits.max_sandboxes_per_user;
  out.stop_grace = sandbox.stop_grace;
  out.seal_key = std::move(seal_key);
  return out;
}

SandboxAssembly::SandboxAssembly(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

SandboxAssembly::~SandboxAssembly() = default;

common::Result<std::unique_ptr<SandboxAssembly>> SandboxAssembly::start(const Settings& settings, Metrics& metrics,
                                                                        AppServerUserLookup app_server_user) {
  const SandboxSettings& sandbox = settings.sandbox;
  auto api_secret = readKey(sandbox.key_file, "sandbox.key_file");
  if (!api_secret) {
    return common::fail(api_secret.error());
  }
  auto seal_key = readKey(sandbox.seal_key_file, "sandbox.seal_key_file");
  if (!seal_key) {
    return common::fail(seal_key.error());
  }
  if (*api_secret == *seal_key) {
    return common::failure("sandbox.seal_key_file: holds the same key as sandbox.key_file; use two keys");
  }
  control::SandboxServiceSettings service_settings = sandboxServiceSettings(settings, std::move(seal_key).value());
  if (settings.credentials.enabled) {
    // Each sandbox's credential token derives from this key (issue 15); the endpoint reads it too.
    auto token_key = readKey(settings.credentials.token_key_file, "credentials.token_key_file");
    if (!token_key) {
      return common::fail(token_key.error());
    }
    if (*token_key == *api_secret || *token_key == service_settings.seal_key) {
      return common::failure("credentials.token_key_file: holds the same key as a [sandbox] key file; use another key");
    }
    service_settings.credentials_uri = containerCredentialsUri(settings.credentials);
    service_settings.credentials_token_key = std::move(token_key).value();
    service_settings.credentials_region = settings.credentials.region;
  }
  auto parts = std::make_unique<Parts>();
  parts->keys.emplace(control::SandboxApiKeys::fromSecret(std::move(api_secret).value()).value());
  auto made = serviceOver(settings, std::move(service_settings), parts->clock, parts->random);
  if (!made) {
    return common::fail(made.error());
  }
  parts->service = std::move(made).value();
  parts->service->start();

  control::SandboxService& service = *parts->service;
  const control::SandboxApiKeys& keys = *parts->keys;
  // The forward proxy to agent servers serves plain-http runtime urls only (one machine): an
  // https url's calls take the public path (docs/sandboxes.md, "Agent-server calls").
  AgentProxyOptions agent_proxy;
  if (sandbox.public_scheme == "http") {
    agent_proxy.sandboxes = parts->service;
    agent_proxy.limits = AgentProxyLimits{.runtime = settings.runtime, .public_port = sandbox.public_port};
    agent_proxy.limits.runtime.host_suffixes = {sandboxRuntimeSuffix(settings)};  // the one the urls are made with
    agent_proxy.connect_timeout = settings.runtime.connect_timeout;
  }
  parts->server = std::make_unique<SandboxApiServer>(
      SandboxApiServerOptions{
          .listen_address = sandbox.listen_address,
          .listen_port = sandbox.listen_port,
          .header_timeout = settings.server.client_header_timeout,
          .idle_timeout = settings.server.client_idle_timeout,
          .access_log = settings.log.access_log,
          .app_server_user = std::move(app_server_user),
          .agent_proxy = std::move(agent_proxy),
      },
      [&service, &keys](const control::ApiRequest& request) { return control::handleSandboxApi(request, keys, service); },
      parts->api_metrics);
  if (auto error = parts->server->start()) {
    return common::failure(*error);
  }
  // The parts outlive the admin listener that renders them (the caller keeps the assembly
  // until the gateway's server has stopped).
  metrics.addSource([api = &parts->api_metrics] { return api->renderPrometheus(); });
  metrics.addSource([&service] { return renderSandboxServiceMetrics(service.metrics()); });
  return std::unique_ptr<SandboxAssembly>(new SandboxAssembly(std::move(parts)));
}

ListenAddress SandboxAssembly::address() const { return parts_->server->address(); }

std::shared_ptr<control::SandboxRouteSource> SandboxAssembly::routes() const { return parts_->service; }

}  // namespace oh::gateway
