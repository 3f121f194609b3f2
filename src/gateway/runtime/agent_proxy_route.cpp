#include "runtime/agent_proxy_route.h"

#include <utility>

#include "common/text.h"
#include "runtime/runtime_address.h"
#include "sandbox/sandbox_routes.h"

namespace oh::gateway {
namespace {

constexpr std::string_view kHttpScheme = "http://";

AgentProxyRefusal refuse(unsigned status, std::string reason) { return AgentProxyRefusal{status, std::move(reason)}; }

// The authority's port digits after the last ':' ("" when none).
std::string_view portOf(std::string_view authority) {
  const std::size_t colon = authority.rfind(':');
  return colon == std::string_view::npos ? std::string_view() : authority.substr(colon + 1);
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = common::toLowerAscii(c);
  }
  return out;
}

}  // namespace

bool isProxyRequest(std::string_view method, std::string_view target) {
  return method == "CONNECT" || target.empty() || target.front() != '/';
}

std::variant<AbsoluteTarget, AgentProxyRefusal> parseAbsoluteTarget(std::string_view target) {
  for (char c : target) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x21 || byte >= 0x7f) {
      return refuse(400, "control, space or non-ASCII byte in the target");
    }
  }
  if (!common::startsWithIgnoreCase(target, kHttpScheme)) {
    // https:// (or any scheme): the gateway holds no TLS for runtime hosts; an http:// proxy only.
    return refuse(400, "only http:// targets are relayed");
  }
  const std::string_view rest = target.substr(kHttpScheme.size());
  const std::size_t authority_end = rest.find_first_of("/?#");
  AbsoluteTarget out;
  out.authority = rest.substr(0, authority_end);
  if (out.authority.empty()) {
    return refuse(400, "no host in the target");
  }
  if (out.authority.find('@') != std::string_view::npos) {
    return refuse(400, "userinfo in the target");
  }
  if (out.authority.find('%') != std::string_view::npos) {
    return refuse(400, "percent-escape in the target's host");
  }
  if (out.authority.find_first_of("[]") != std::string_view::npos) {
    return refuse(403, "an IP literal is no runtime host");
  }
  const std::string_view path = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (path.find('#') != std::string_view::npos) {
    return refuse(400, "fragment in the target");
  }
  out.origin_form = path.empty() || path.front() != '/' ? "/" + std::string(path) : std::string(path);
  return out;
}

AgentProxyDecision routeAgentProxy(const AgentProxyRequest& request, const control::SandboxRoutes& routes,
                                   const AgentProxyLimits& limits) {
  if (request.method == "CONNECT") {
    return refuse(405, "CONNECT is not offered: runtime urls are plain http");
  }
  auto parsed = parseAbsoluteTarget(request.target);
  if (auto* refused = std::get_if<AgentProxyRefusal>(&parsed)) {
    return std::move(*refused);
  }
  const auto& absolute = std::get<AbsoluteTarget>(parsed);
  // RFC 9112 section 3.2.2 has a proxy ignore Host for an absolute-form target; one that says
  // otherwise is a client confused or probing, so it is refused rather than guessed at.
  if (!common::equalsIgnoreCase(request.host_header, absolute.authority)) {
    return refuse(400, "Host differs from the target's host");
  }
  if (!request.peer_user) {
    return refuse(403, "only app servers may use the agent proxy");
  }
  const auto classified = classifyRuntimeRequest(absolute.authority, absolute.origin_form, limits.runtime);
  if (const auto* refused = std::get_if<RuntimeRefusal>(&classified)) {
    return refuse(refused->status == 404 ? 403 : refused->status, "not a sandbox url: " + refused->reason);
  }
  const auto* address = std::get_if<RuntimeAddress>(&classified);
  if (address == nullptr) {
    return refuse(403, "not a runtime host of this gateway");
  }
  if (address->path_form || address->sandbox_form || address->service != AgentService::none) {
    return refuse(403, "not a sandbox's agent server url");
  }
  const std::string_view port = portOf(absolute.authority);
  if (!port.empty() && (limits.public_port == 0 || port != std::to_string(limits.public_port))) {
    return refuse(403, "not the gateway's public port");
  }
  const control::SandboxRoute* route = routes.find(address->conversation_id);
  if (route == nullptr || lowercase(route->sandbox_id) != address->conversation_id) {
    return refuse(404, "unknown sandbox");
  }
  if (route->owner != *request.peer_user) {
    return refuse(403, "another user's sandbox");
  }
  if (address->port != route->agent_port) {
    return refuse(403, "only the sandbox's agent server is relayed");
  }
  if (!route->running()) {
    return refuse(502, "sandbox not running");
  }
  auto host = canonicalRuntimeHost(absolute.authority, limits.runtime);
  if (!host) {
    return refuse(400, "runtime host not canonical");  // the grammar above accepted it: not reached
  }
  return AgentProxyForward{route->address, route->agent_port, address->forward_target, std::move(*host), route->owner,
                           route->sandbox_id};
}

}  // namespace oh::gateway
