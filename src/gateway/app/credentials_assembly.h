#pragma once
// Container credentials for sandboxes assembled from [credentials] (issue 15): the token key
// read, the gateway's own credentials (IMDSv2 or the environment), the STS client on an
// outbound client of its own, the per-user cache, the endpoint over the sandbox service's
// routes, and its listener. Built once at start, after the sandbox service; a failure is a
// clear message and oh-gateway exits 2.
//
//   auto credentials = CredentialsAssembly::start(settings, sandbox->routes(), metrics);

#include <memory>
#include <string>

#include "common/result.h"
#include "config/settings.h"
#include "http/gateway_server.h"
#include "observability/metrics.h"
#include "sandbox/sandbox_routes.h"

namespace oh::gateway {

class CredentialsAssembly {
public:
  static common::Result<std::unique_ptr<CredentialsAssembly>> start(
      const Settings& settings, std::shared_ptr<control::SandboxRouteSource> routes, Metrics& metrics);
  ~CredentialsAssembly();  // stops the listener, then the outbound client, then the rest

  ListenAddress address() const;

  struct Parts;

private:
  explicit CredentialsAssembly(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

// What a sandbox's AWS_CONTAINER_CREDENTIALS_FULL_URI is: http://{address}:{port}/v1/credentials.
std::string containerCredentialsUri(const CredentialsSettings& settings);

}  // namespace oh::gateway
