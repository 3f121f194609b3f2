#pragma once
// The remote sandbox API assembled from [sandbox] (issue 13): the key files read, the store
// opened (migrated), the Docker backend on runtime.docker_socket, the sandbox service started
// (it reconciles every record and labelled container), and its own listener. Built once at
// start; a failure is a clear message and oh-gateway exits 2.
//
//   auto sandbox = SandboxAssembly::start(settings, metrics);
//   if (!sandbox) { spdlog::error(sandbox.error().reason); return 2; }
//   (*sandbox)->address();   // for the ready line
//   (*sandbox)->routes();    // what the data plane reads (SandboxRouteSource)

#include <memory>
#include <string>

#include "common/result.h"
#include "config/settings.h"
#include "http/gateway_server.h"
#include "http/sandbox_api_server.h"
#include "observability/metrics.h"
#include "sandbox/sandbox_routes.h"
#include "sandbox/sandbox_service.h"

namespace oh::gateway {

class SandboxAssembly {
public:
  // app_server_user: which peers besides loopback may call the API, and whose app server each
  // is (unset: loopback only). See SandboxApiServerOptions::app_server_user.
  static common::Result<std::unique_ptr<SandboxAssembly>> start(const Settings& settings, Metrics& metrics,
                                                                AppServerUserLookup app_server_user = nullptr);
  ~SandboxAssembly();  // stops the listener, then the service

  ListenAddress address() const;
  // The service, as the data plane's route source (GateAssembly::useSandboxes).
  std::shared_ptr<control::SandboxRouteSource> routes() const;

  struct Parts;

private:
  explicit SandboxAssembly(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

// The service over the configured store and engine, not started (no reconcile thread, no
// listener): for operators' commands, run with or without a gateway. clock and random outlive it.
common::Result<std::shared_ptr<control::SandboxService>> openSandboxService(const Settings& settings,
                                                                             common::WallClock& clock,
                                                                             common::RandomSource& random);

// The suffix of the runtime hosts in the urls the API returns: sandbox.runtime_suffix, else the
// first of runtime.host_suffixes.
std::string sandboxRuntimeSuffix(const Settings& settings);

// The service's settings [sandbox] describes, with the seal key read from its file.
control::SandboxServiceSettings sandboxServiceSettings(const Settings& settings, std::string seal_key);

}  // namespace oh::gateway
