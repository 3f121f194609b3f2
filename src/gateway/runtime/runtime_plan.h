#pragma once
// The forward plans and refusals every runtime route shares, whether the sandbox came from the
// Docker directory (stock OpenHands' containers) or from the sandbox service's snapshot.

#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"
#include "http/request_gate.h"
#include "runtime/runtime_address.h"

namespace oh::gateway {

// A JSON refusal, never cached; 503 gets Retry-After.
GateDecision refuseRuntime(unsigned status, std::string_view error, std::string reason);

// A plan to a user's app: no platform header reaches it, framed by its main host only.
ForwardPlan appPlan(const RuntimeAddress& address, const GateRequest& request, ForwardTarget target);

// A plan to an agent server's own port (its API, VS Code): like appPlan, but framed by every
// main host (one OpenHands serves every domain), and a browser on another main host is
// presented with the one CORS origin the agent server allows (runtime.agent_server_origin),
// getting its own back.
ForwardPlan agentServerPlan(const RuntimeAddress& address, const GateRequest& request,
                            const RuntimeSettings& settings, ForwardTarget target);

}  // namespace oh::gateway
