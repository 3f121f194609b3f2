#pragma once
// Routes a request for a user's app to its sandbox container, using the live container directory
// (no Docker call on the request path) and the deployment's access policy.

#include <memory>
#include <optional>
#include <string>

#include "config/settings.h"
#include "http/request_gate.h"
#include "runtime/runtime_address.h"

namespace oh::gateway {

class ContainerDirectory;  // runtime/container_directory.h: long-lived, thread-safe, follows /events
}  // namespace oh::gateway
namespace oh::control {
class SandboxRouteSource;  // control/sandbox/sandbox_routes.h: the sandbox service's snapshot
}  // namespace oh::control
namespace oh::gateway {

// 404 unknown conversation (or no agent server behind a sandbox-form host port), 403 not the owner (or no owner label under "owner"), 502 container
// without an IP, 503 Docker API unreachable; otherwise a ForwardPlan with the container's
// targets (requested port on its IP, then the container port behind that published host port),
// the rewritten target for the path form, the runtime response policy and the CORS-probe flag.
// Header and cookie edits from sign-in are merged by the caller.
//
// With a sandbox service (sandboxes non-null), an id it knows (a sandbox's, or a conversation's
// linked to one) routes through its snapshot first: the owner comes from its store, the
// vscode-/work-1-/work-2- hosts OpenHands derives from a sandbox url reach those ports, and the
// agent server's own ports are served without a session (they check their key themselves).
GateDecision routeRuntime(const RuntimeAddress& address, const std::optional<Identity>& identity,
                          const GateRequest& request, const ContainerDirectory& directory,
                          const RuntimeSettings& settings, control::SandboxRouteSource* sandboxes = nullptr);

// Whether a {hostPort}-sandbox request reaches a port of an OpenHands agent server that guards
// itself (its API, which checks X-Session-API-Key, and VS Code, which checks its token): those
// are served without a gateway session, since OpenHands' app server and UI call them without
// our cookie. Every other port (the worker ports where users' apps run, unknown ports) goes
// through sign-in and runtime.access like the conversation form.
bool servedWithoutSession(const RuntimeAddress& address, const ContainerDirectory& directory,
                          const control::SandboxRouteSource* sandboxes = nullptr);

// A browser's CORS probe (Origin present, Accept contains application/json, Sec-Fetch-Mode
// cors): when the app is not listening it gets 204 + no-store instead of 502.
bool isCorsProbe(const GateRequest& request);

}  // namespace oh::gateway
