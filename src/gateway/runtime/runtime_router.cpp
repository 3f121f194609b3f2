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

namespace oh::gateway {
namespace {

GateDecision refuse(unsigned status, std::string_view error, std::string reason) {
  ErrorReply reply;
  reply.status = status;
  reply.content_type = "application/json";
  reply.body = "{\"error\":\"";
  reply.body.append(error);
  reply.body.append("\"}\n");
  reply.headers.emplace_back("Cache-Control", "no-store");
  if (status == 503) {
    reply.headers.emplace_back("Retry-After", "5");
  }
  return GateDecision::answer(std::move(reply), std::move(reason));
}

// The identity headers and platform headers a user's code must never see.
std::vector<std::string_view> appStrippedHeaderPrefixes() {
  return {"x-cognito-", "x-origin-verify", "x-forwarded-user", "x-auth-request-"};
}

constexpr std::string_view kRuntimePrefix = "runtime.";

// Every main host of the deployment (each runtime suffix without "runtime."), and the one the
// request came through (it may carry a port).
std::vector<std::string> allMainHosts(const RuntimeAddress& address, const RuntimeSettings& settings) {
  std::vector<std::string> hosts{address.main_host};
  for (const std::string& suffix : settings.host_suffixes) {
    std::string host = suffix.substr(std::min(suffix.size(), kRuntimePrefix.size()));
    if (host != address.main_host) {
      hosts.push_back(std::move(host));
    }
  }
  return hosts;
}

// An Origin the platform's own pages send: the agent-server origin's scheme, then a main host.
bool isPlatformOrigin(std::string_view origin, const std::vector<std::string>& main_hosts,
                      std::string_view agent_server_origin) {
  const std::size_t scheme_end = agent_server_origin.find("://");
  if (scheme_end == std::string_view::npos || !origin.starts_with(agent_server_origin.substr(0, scheme_end + 3))) {
    return false;
  }
  origin.remove_prefix(scheme_end + 3);
  for (const std::string& host : main_hosts) {
    if (common::equalsIgnoreCase(origin, host)) {
      return true;
    }
  }
  return false;
}

// runtime.access applied to one container: nullopt when the caller may reach it.
std::optional<GateDecision> refusedByAccess(const ContainerRecord& container, const std::optional<Identity>& identity,
                                            const RuntimeSettings& settings) {
  if (settings.access != RuntimeAccess::public_ && !identity) {
    // The caller runs sign-in first and redirects browsers; this is the backstop.
    return refuse(401, "sign-in required", "runtime: no identity");
  }
  if (settings.access == RuntimeAccess::owner) {
    if (!container.has_owner_label || container.owner.empty()) {
      return refuse(403, "forbidden", "runtime: container has no owner label");
    }
    if (container.owner != identity->sub) {
      return refuse(403, "forbidden", "runtime: not the owner");
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
    return refuse(404, "unknown sandbox", "runtime: no agent server publishes this port");
  }
  if (!selfGuarded(found.container_port)) {
    if (auto refused = refusedByAccess(*found.container, identity, settings)) {
      return std::move(*refused);
    }
  }
  if (found.container->ip.empty()) {
    return refuse(502, "sandbox not running", "runtime: agent server without an IP");
  }
  ForwardPlan plan;
  plan.targets.push_back(ForwardTarget{found.container->ip, found.container_port});
  if (identity) {
    plan.user = identity->sub;
  }
  plan.remove_header_prefixes = appStrippedHeaderPrefixes();
  // One OpenHands serves every domain, and its UI (VS Code, the agent's events) is framed and
  // called from whichever main host the user signed in on.
  RuntimeResponsePolicy policy;
  policy.frame_ancestor_hosts = allMainHosts(address, settings);
  // The agent server allows one CORS origin, OpenHands' web URL: a browser on another of the
  // platform's main hosts is presented with that one, and gets its own back.
  const std::string& known_origin = settings.agent_server_origin;
  if (!known_origin.empty() && !request.origin.empty() && request.origin != known_origin &&
      isPlatformOrigin(request.origin, policy.frame_ancestor_hosts, known_origin)) {
    plan.set_headers.emplace_back("Origin", known_origin);
    policy.upstream_origin = known_origin;
    policy.client_origin = std::string(request.origin);
  }
  plan.runtime_response = std::move(policy);
  plan.cors_probe_no_content = isCorsProbe(request);
  GateDecision decision = GateDecision::forwardTo(std::move(plan));
  decision.reason = "runtime: agent server";
  return decision;
}

}  // namespace

bool servedWithoutSession(const RuntimeAddress& address, const ContainerDirectory& directory) {
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
                          const RuntimeSettings& settings) {
  if (auto reason = directory.notReadyReason()) {
    return refuse(503, "sandbox directory unavailable", "runtime: " + *reason);
  }
  if (address.sandbox_form) {
    return routeAgentServer(address, identity, request, *directory.index(), settings);
  }
  if (settings.access != RuntimeAccess::public_ && !identity) {
    return refuse(401, "sign-in required", "runtime: no identity");
  }
  const ContainerIndexPtr index = directory.index();
  const ContainerRecord* container = index->find(address.conversation_id);
  if (container == nullptr) {
    return refuse(404, "unknown sandbox", "runtime: unknown conversation");
  }
  if (auto refused = refusedByAccess(*container, identity, settings)) {
    return std::move(*refused);
  }
  if (!container->running() || container->ip.empty()) {
    return refuse(502, "sandbox not running", "runtime: container without an IP (" + container->state + ")");
  }

  ForwardPlan plan;
  plan.targets.push_back(ForwardTarget{container->ip, address.port});
  // The reference design's rule: a port the sandbox published on the host stands for the
  // container port behind it (agents print the host URL they were told about).
  for (const PortMapping& mapping : container->ports) {
    if (mapping.host_port == address.port && mapping.container_port != address.port) {
      plan.targets.push_back(ForwardTarget{container->ip, mapping.container_port});
      break;
    }
  }
  if (address.path_form) {
    plan.rewrite_target = address.forward_target;
  }
  plan.remove_header_prefixes = appStrippedHeaderPrefixes();
  plan.runtime_response.emplace().frame_ancestor_hosts = {address.main_host};
  plan.cors_probe_no_content = isCorsProbe(request);
  if (identity) {
    plan.user = identity->sub;
  }
  GateDecision decision = GateDecision::forwardTo(std::move(plan));
  decision.reason = "runtime";
  return decision;
}

}  // namespace oh::gateway
