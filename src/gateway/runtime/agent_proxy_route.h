#pragma once
// The sandbox API listener's forward proxy (issue 14, docs/sandboxes.md "Agent-server calls on
// the instance"): where an app server's absolute-form request for a sandbox's url may go. An
// OpenHands 1.7.0 app server with RUNTIME=remote calls each sandbox's agent server at the url the
// sandbox API returned, "http://{agentPort}-{sandboxId}.{runtime suffix}[:{public port}]"
// (remote_sandbox_service.py); with HTTP_PROXY set to the sandbox API listener, httpx sends those
// calls here as "GET http://{that host}/path HTTP/1.1". A pure function: the listener relays what
// it allows and refuses the rest with the status and reason it returns.
//
// Allowed: GET/POST/... with an http:// target whose authority is a runtime host in the router's
// grammar (runtime_address.h), naming a sandbox by its id and the sandbox's agent port, the
// authority's port absent or the gateway's public port, the sandbox owned by the user whose app
// server is the peer, and running. Everything else is refused.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "config/settings.h"

namespace oh::control {
class SandboxRoutes;
}  // namespace oh::control

namespace oh::gateway {

// Whether a request is meant for a proxy (absolute- or authority-form target, or CONNECT) rather
// than the sandbox API itself (origin-form "/...").
bool isProxyRequest(std::string_view method, std::string_view target);

struct AgentProxyRequest {
  std::string_view method;
  std::string_view target;       // as received: "http://host[:port]/path?query"
  std::string_view host_header;  // the Host field ("" when absent)
  // The user key whose app server the peer is (AppServerPool::appServerUserAt); nullopt for any
  // other peer (loopback tools, a stale address).
  std::optional<std::string_view> peer_user;
};

struct AgentProxyLimits {
  RuntimeSettings runtime;       // host_suffixes: the runtime hosts of this gateway
  std::uint16_t public_port = 0; // sandbox.public_port: the only port a url may carry (0: none)
};

struct AgentProxyForward {
  std::string address;      // the sandbox's address on its owner's network
  std::uint16_t port = 0;   // its agent server's port
  std::string target;       // origin-form, checked like the router's
  std::string host;         // the runtime host rebuilt from its parsed parts (the Host to send)
  std::string owner;        // user key (the access log)
  std::string sandbox_id;
};

struct AgentProxyRefusal {
  unsigned status = 403;
  std::string reason;       // for the caller and the access log; no secrets
};

using AgentProxyDecision = std::variant<AgentProxyForward, AgentProxyRefusal>;

AgentProxyDecision routeAgentProxy(const AgentProxyRequest& request, const control::SandboxRoutes& routes,
                                   const AgentProxyLimits& limits);

// The authority of an http:// absolute-form target, and its origin-form rest ("/" when the
// target has no path). A refusal for any other scheme, userinfo, percent-escapes, IP literals in
// brackets, a fragment, an empty authority or bytes outside printable ASCII.
struct AbsoluteTarget {
  std::string_view authority;
  std::string origin_form;
};
std::variant<AbsoluteTarget, AgentProxyRefusal> parseAbsoluteTarget(std::string_view target);

}  // namespace oh::gateway
