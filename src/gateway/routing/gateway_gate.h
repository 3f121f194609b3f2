#pragma once
// The snapshot's RequestGate: runtime-app addressing first (a malformed runtime host is refused
// before anything else runs), then sign-in for the host's role, then either the OpenHands
// upstream or the user's app (DESIGN.md sections 3 and 4).

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "config/settings.h"
#include "http/gateway_snapshot.h"
#include "appserver/app_server_directory.h"
#include "http/request_gate.h"
#include "routing/app_server_router.h"
#include "runtime/container_directory.h"
#include "runtime/runtime_address.h"
#include "signin/sign_in.h"

namespace oh::control {
class SandboxRouteSource;  // sandbox/sandbox_routes.h
}  // namespace oh::control

namespace oh::gateway {

class GatewayGate final : public RequestGate {
public:
  // sign_in null: auth.provider = "none". directory null: runtime.enabled = false. sandboxes
  // null: no sandbox service (stock OpenHands' own Docker sandboxes only). app_servers null: the
  // main site goes to upstream.url; else each signed-in user's to their own app server.
  GatewayGate(SettingsPtr settings, std::shared_ptr<SignIn> sign_in, ContainerDirectoryPtr directory,
              std::shared_ptr<control::SandboxRouteSource> sandboxes = nullptr,
              std::shared_ptr<const AppServerRouter> app_servers = nullptr);

  void admit(const GateRequest& request, Done done) override;
  std::optional<std::string> notReadyReason() const override;
  bool needsUpstream() const override { return app_servers_ == nullptr; }

private:
  void forward(const GateRequest& request, const std::optional<RuntimeAddress>& address,
               const std::optional<Identity>& identity, ForwardPlan plan, const Done& done) const;

  SettingsPtr settings_;
  std::shared_ptr<SignIn> sign_in_;
  ContainerDirectoryPtr directory_;
  std::shared_ptr<control::SandboxRouteSource> sandboxes_;
  std::shared_ptr<const AppServerRouter> app_servers_;
};

// What outlives configurations: the sign-in services and the container directory (restarted
// only when the Docker socket or the label names change). Its factory goes to buildSnapshot.
class GateAssembly {
public:
  GateAssembly();
  ~GateAssembly();
  GateAssembly(const GateAssembly&) = delete;
  GateAssembly& operator=(const GateAssembly&) = delete;

  std::variant<RequestGatePtr, std::string> build(const SettingsPtr& settings);
  // The sandbox service whose routes every gate built from now on consults (set once, at start).
  void useSandboxes(std::shared_ptr<control::SandboxRouteSource> sandboxes) { sandboxes_ = std::move(sandboxes); }
  // The users' app servers every gate built from now on routes the main site to (set once, at
  // start, after useSandboxes: webhooks find their owner through the sandbox routes).
  // signed_by: whose server signed an X-Access-Token (null: no such webhook is routed).
  void useAppServers(control::AppServerDirectoryPtr app_servers, AccessTokenCheck signed_by = nullptr);
  GateFactory factory() {
    return [this](const SettingsPtr& settings) { return build(settings); };
  }

private:
  SignInServices sign_in_services_;
  ContainerDirectoryPtr directory_;
  std::optional<RuntimeSettings> directory_settings_;
  std::shared_ptr<control::SandboxRouteSource> sandboxes_;
  std::shared_ptr<const AppServerRouter> app_servers_;
};

}  // namespace oh::gateway
