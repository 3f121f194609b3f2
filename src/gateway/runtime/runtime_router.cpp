#include "runtime/runtime_router.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/text.h"
#include "runtime/container_directory.h"
#include "runtime/runtime_plan.h"
#include "runtime/sandbox_router.h"

namespace oh::gateway {
namespace {

// runtime.access applied to one container: nullopt when the caller may reach it.
std::optional<GateDecision> refusedByAccess(const ContainerRecord& container, const std::optional<Identity>& identity,
                                            const RuntimeSettings& settings) {
  if (settings.access != RuntimeAccess::public_ && !identity) {
    // The caller runs sign-in first and redirects browsers; this is the backstop.
    return refuseRuntime(401, "sign-in required", "runtime: no identity");
  }
  if (settings.access == RuntimeAccess::owner) {
    if (!container.has_owner_label || container.owner.empty()) {
      return refuseRuntime(403, "forbidden", "runtime: container has no owner label");
    }
    if (container.owner != identity->sub) {
      return refuseRuntime(403, "forbidden", "runtime: not the owner");
    }
  }
  return std::nullopt;
}

// The agent server that published `host_port`, and the container port behind it.
struct AgentServerPort {
  const ContainerRecord* container = nullptr;
  std::uint16_t container_port = 0;
};

AgentServerPort agentServerPort(std::uint16_t host_port, const ContainerIndex& index) {
  const ContainerRecord* container = index.findByHostPort(host_port);
  if (container == nullptr || !container->name.starts_with(kAgentServerNamePrefix)) {
    return {};
  }
  for (const PortMapping& mapping : container->ports) {
    if (mapping.host_port == host_port) {
      return {container, mapping.container_port};
    }
  }
  return {};
}

// The ports of OpenHands 1.x's sandbox image that guard themselves (docker_sandbox_service.py's
// exposed ports): the agent server's API checks X-Session-API-Key on everything but its health
// routes, and VS Code its connection token. The worker ports (8011, 8012), where users' apps
// run, guard nothing and so follow runtime.access.
constexpr std::array<std::uint16_t, 2> kSelfGuardedAgentPorts{8000, 8001};

bool selfGuarded(std::uint16_t container_port) {
  return std::find(kSelfGuardedAgentPorts.begin(), kSelfGuardedAgentPorts.end(), container_port) !=
         kSelfGuardedAgentPorts.end();
}

// {hostPort}-sandbox: the OpenHands agent server that published that host port. Its self-guarded
// ports are reached without a gateway session, on purpose: OpenHands' app server health-checks
// this URL from the instance and the UI calls it cross-origin, neither with our cookie. Only
// containers named as agent servers are reachable this way, never an arbitrary container's port.
GateDecision routeAgentServer(const RuntimeAddress& address, const std::optional<Identity>& identity,
                              const GateRequest& request, const ContainerIndex& index,
                              const RuntimeSettings& settings) {
  const AgentServerPort found = agentServerPort(address.port, index);
  if (found.container == nullptr) {
    return refuseRuntime(404, "unknown sandbox", "runtime: no agent server publishes this port");
  }
  if (!selfGuarded(found.container_port)) {
    if (auto refused = refusedByAccess(*found.container, identity, settings)) {
      return std::move(*refused);
    }
  }
  if (found.container->ip.empty()) {
    return refuseRuntime(502, "sandbox not running", "runtime: agent server without an IP");
  }
  ForwardPlan plan =
      agentServerPlan(address, request, settings, ForwardTarget{found.container->ip, found.container_port});
  if (identity) {
    plan.user = identity->sub;
  }
  GateDecision decision = GateDecision::forwardTo(std::move(plan));
  decision.reason = "runtime: agent server";
  return decision;
}

}  // namespace

bool servedWithoutSession(const RuntimeAddress& address, const ContainerDirectory& directory,
                          const control::SandboxRouteSource* sandboxes) {
  if (sandboxes != nullptr && !address.sandbox_form) {
    if (auto served = sandboxServedWithoutSession(address, *sandboxes)) {
      return *served;
    }
  }
  if (!address.sandbox_form || directory.notReadyReason()) {
    return false;
  }
  const ContainerIndexPtr index = directory.index();
  const AgentServerPort found = agentServerPort(address.port, *index);
  return found.container != nullptr && selfGuarded(found.container_port);
}

bool isCorsProbe(const GateRequest& request) {
  return !request.origin.empty() && common::containsIgnoreCase(request.accept, "application/json") &&
         common::equalsIgnoreCase(request.sec_fetch_mode, "cors");
}

GateDecision routeRuntime(const RuntimeAddress& address, const std::optional<Identity>& identity,
                          const GateRequest& request, const ContainerDirectory& directory,
                          const RuntimeSettings& settings, control::SandboxRouteSource* sandboxes) {
  if (sandboxes != nullptr && !address.sandbox_form) {
    if (auto routed = routeSandbox(address, identity, request, *sandboxes, settings)) {
      return std::move(*routed);
    }
  }
  if (address.service != AgentService::none) {
    return refuseRuntime(404, "unknown sandbox", "runtime: service host of no known sandbox");
  }
  if (auto reason = directory.notReadyReason()) {
    return refuseRuntime(503, "sandbox directory unavailable", "runtime: " + *reason);
  }
  if (address.sandbox_form) {
    return routeAgentServer(address, identity, request, *directory.index(), settings);
  }
  if (settings.access != RuntimeAccess::public_ && !identity) {
    return refuseRuntime(401, "sign-in required", "runtime: no identity");
  }
  const ContainerIndexPtr index = directory.index();
  const ContainerRecord* container = index->find(address.conversation_id);
  if (container == nullptr) {
    return refuseRuntime(404, "unknown sandbox", "runtime: unknown conversation");
  }
  if (auto refused = refusedByAccess(*container, identity, settings)) {
    return std::move(*refused);
  }
  if (!container->running() || container->ip.empty()) {
    return refuseRuntime(502, "sandbox not running", "runtime: container without an IP (" + container->state + ")");
  }

  ForwardPlan plan = appPlan(address, request, ForwardTarget{container->ip, address.port});
  // The reference design's rule: a port the sandbox published on the host stands for the
  // container port behind it (agents print the host URL they were told about).
  for (const PortMapping& mapping : container->ports) {
    if (mapping.host_port == address.port && mapping.container_port != address.port) {
      plan.targets.push_back(ForwardTarget{container->ip, mapping.container_port});
      break;
    }
  }
  if (identity) {
    plan.user = identity->sub;
  }
  GateDecision decision = GateDecision::forwardTo(std::move(plan));
  decision.reason = "runtime";
  return decision;
}

}  // namespace oh::gateway
