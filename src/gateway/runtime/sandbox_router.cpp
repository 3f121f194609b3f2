#include "runtime/sandbox_router.h"

#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "common/constant_time.h"
#include "common/digest.h"
#include "common/text.h"
#include "runtime/runtime_plan.h"
#include "sandbox/sandbox_routes.h"
#include "sandbox/user_key.h"

namespace oh::gateway {
namespace {

using control::SandboxRoute;

struct SandboxTarget {
  const SandboxRoute* route = nullptr;
  std::uint16_t port = 0;      // 0: the sandbox has no such service
  bool self_guarded = false;   // its agent server or VS Code: they check their own key
};

std::optional<SandboxTarget> resolve(const RuntimeAddress& address, const control::SandboxRoutes& routes) {
  const SandboxRoute* route = routes.find(address.conversation_id);
  if (route == nullptr) {
    return std::nullopt;
  }
  SandboxTarget target{route};
  switch (address.service) {
    case AgentService::none: target.port = address.port; break;
    case AgentService::vscode: target.port = route->vscode_port; break;
    case AgentService::work_1: target.port = route->worker_1_port; break;
    case AgentService::work_2: target.port = route->worker_2_port; break;
  }
  // Derived hosts are "{service}-{url's first label}": they always carry the agent port.
  if (address.service != AgentService::none && address.port != route->agent_port) {
    target.port = 0;
  }
  target.self_guarded = target.port != 0 && (target.port == route->agent_port || target.port == route->vscode_port);
  return target;
}

// The agent server's paths that name a conversation (SDK v1.20.1 conversation_router.py and
// sockets.py: /api/conversations/{id}…, /sockets/events/{id}); the id as lowercase hex.
constexpr std::array<std::string_view, 2> kConversationPaths{"/api/conversations/", "/sockets/events/"};
constexpr std::size_t kConversationHexLength = 32;

std::optional<std::string> conversationInPath(std::string_view target) {
  for (std::string_view prefix : kConversationPaths) {
    if (!target.starts_with(prefix)) {
      continue;
    }
    std::string_view rest = target.substr(prefix.size());
    std::string_view id = rest.substr(0, rest.find_first_of("/?"));
    // uuid4().hex, or the dashed form FastAPI's UUID parameters also accept.
    std::string hex;
    for (char c : id) {
      if (c == '-') {
        continue;
      }
      if (common::hexDigitValue(c) < 0) {
        return std::nullopt;
      }
      hex.push_back(common::toLowerAscii(c));
    }
    return hex.size() == kConversationHexLength ? std::optional(hex) : std::nullopt;
  }
  return std::nullopt;
}

// X-Session-API-Key, or the session_api_key query parameter WebSockets carry (OpenHands 1.7.0
// frontend conversation-websocket-context.tsx:698-700).
std::optional<std::string> presentedSessionKey(const GateRequest& request) {
  if (!request.session_api_key.empty()) {
    return std::string(request.session_api_key);
  }
  const std::size_t query = request.target.find('?');
  if (query == std::string_view::npos) {
    return std::nullopt;
  }
  constexpr std::string_view kParameter = "session_api_key=";
  std::string_view rest = request.target.substr(query + 1);
  while (!rest.empty()) {
    const std::string_view pair = rest.substr(0, rest.find('&'));
    if (pair.starts_with(kParameter)) {
      return common::percentDecode(pair.substr(kParameter.size()));
    }
    rest.remove_prefix(std::min(rest.size(), pair.size() + 1));
  }
  return std::nullopt;
}

void learnConversation(const SandboxTarget& target, const GateRequest& request, control::SandboxRouteSource& sandboxes) {
  if (target.port != target.route->agent_port || target.route->session_key_sha256.empty()) {
    return;
  }
  auto conversation = conversationInPath(request.target);
  if (!conversation) {
    return;
  }
  auto key = presentedSessionKey(request);
  if (key && common::constantTimeEqual(common::sha256(*key), target.route->session_key_sha256)) {
    sandboxes.noteConversation(target.route->sandbox_id, *conversation);
  }
}

std::optional<GateDecision> refusedByAccess(const SandboxRoute& route, const std::optional<Identity>& identity,
                                            const RuntimeSettings& settings) {
  if (settings.access == RuntimeAccess::public_) {
    return std::nullopt;
  }
  if (!identity) {
    return refuseRuntime(401, "sign-in required", "runtime: no identity");
  }
  if (settings.access == RuntimeAccess::owner && control::userKeyForSubject(identity->sub) != route.owner) {
    return refuseRuntime(403, "forbidden", "runtime: not the sandbox's owner");
  }
  return std::nullopt;
}

}  // namespace

std::optional<GateDecision> routeSandbox(const RuntimeAddress& address, const std::optional<Identity>& identity,
                                         const GateRequest& request, control::SandboxRouteSource& sandboxes,
                                         const RuntimeSettings& settings) {
  const control::SandboxRoutesPtr routes = sandboxes.routes();
  const auto target = resolve(address, *routes);
  if (!target) {
    return std::nullopt;
  }
  if (target->port == 0) {
    return refuseRuntime(404, "unknown sandbox", "runtime: sandbox without this service");
  }
  if (!target->self_guarded) {
    if (auto refused = refusedByAccess(*target->route, identity, settings)) {
      return refused;
    }
  }
  if (!target->route->running()) {
    return refuseRuntime(502, "sandbox not running", "runtime: sandbox not running");
  }
  ForwardTarget to{target->route->address, target->port};
  ForwardPlan plan = target->self_guarded ? agentServerPlan(address, request, settings, std::move(to))
                                          : appPlan(address, request, std::move(to));
  if (identity) {
    plan.user = identity->sub;
  }
  learnConversation(*target, request, sandboxes);
  GateDecision decision = GateDecision::forwardTo(std::move(plan));
  decision.reason = target->self_guarded ? "runtime: sandbox agent server" : "runtime: sandbox";
  return decision;
}

std::optional<bool> sandboxServedWithoutSession(const RuntimeAddress& address,
                                                const control::SandboxRouteSource& sandboxes) {
  const control::SandboxRoutesPtr routes = sandboxes.routes();
  const auto target = resolve(address, *routes);
  if (!target) {
    return std::nullopt;
  }
  return target->self_guarded;
}

}  // namespace oh::gateway
