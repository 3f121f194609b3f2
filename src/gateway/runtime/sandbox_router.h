#pragma once
// Runtime routes through the sandbox service's snapshot (issue 13, DESIGN.md section 6): the
// store knows each sandbox's owner and ports, so no container label is trusted and `owner` is
// the policy. Used by routeRuntime before the Docker directory (stock OpenHands' containers).

#include <optional>

#include "config/settings.h"
#include "http/request_gate.h"
#include "runtime/runtime_address.h"

namespace oh::control {
class SandboxRouteSource;
}  // namespace oh::control

namespace oh::gateway {

// nullopt when the address's id is no sandbox or conversation the service knows. Otherwise a
// refusal (404 a derived service the sandbox lacks, 401/403 by runtime.access for the ports that
// do not guard themselves, 502 not running) or a forward to the sandbox's address. A caller
// presenting the sandbox's session key to its agent server about a conversation teaches the
// service that conversation's link (sources.noteConversation).
std::optional<GateDecision> routeSandbox(const RuntimeAddress& address, const std::optional<Identity>& identity,
                                         const GateRequest& request, control::SandboxRouteSource& sandboxes,
                                         const RuntimeSettings& settings);

// nullopt when the service does not know the id; else whether the port guards itself (the
// agent server's API and VS Code), so sign-in lets anonymous callers through to it.
std::optional<bool> sandboxServedWithoutSession(const RuntimeAddress& address,
                                                const control::SandboxRouteSource& sandboxes);

}  // namespace oh::gateway
