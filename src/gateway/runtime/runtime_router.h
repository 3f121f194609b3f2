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

// 404 unknown conversation (or no agent server behind a sandbox-form host port), 403 not the owner (or no owner label under "owner"), 502 container
// without an IP, 503 Docker API unreachable; otherwise a ForwardPlan with the container's
// targets (requested port on its IP, then the container port behind that published host port),
// the rewritten target for the path form, the runtime response policy and the CORS-probe flag.
// Header and cookie edits from sign-in are merged by the caller.
GateDecision routeRuntime(const RuntimeAddress& address, const std::optional<Identity>& identity,
                          const GateRequest& request, const ContainerDirectory& directory,
                          const RuntimeSettings& settings);

// Whether a {hostPort}-sandbox request reaches a port of an OpenHands agent server that guards
// itself (its API, which checks X-Session-API-Key, and VS Code, which checks its token): those
// are served without a gateway session, since OpenHands' app server and UI call them without
// our cookie. Every other port (the worker ports where users' apps run, unknown ports) goes
// through sign-in and runtime.access like the conversation form.
bool servedWithoutSession(const RuntimeAddress& address, const ContainerDirectory& directory);

// A browser's CORS probe (Origin present, Accept contains application/json, Sec-Fetch-Mode
// cors): when the app is not listening it gets 204 + no-store instead of 502.
bool isCorsProbe(const GateRequest& request);

}  // namespace oh::gateway
