#include "runtime/runtime_plan.h"

#include <algorithm>
#include <utility>

#include "common/text.h"
#include "runtime/runtime_router.h"

namespace oh::gateway {
namespace {

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

}  // namespace

GateDecision refuseRuntime(unsigned status, std::string_view error, std::string reason) {
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

ForwardPlan appPlan(const RuntimeAddress& address, const GateRequest& request, ForwardTarget target) {
  ForwardPlan plan;
  plan.targets.push_back(std::move(target));
  plan.remove_header_prefixes = appStrippedHeaderPrefixes();
  plan.runtime_response.emplace().frame_ancestor_hosts = {address.main_host};
  plan.cors_probe_no_content = isCorsProbe(request);
  return plan;
}

ForwardPlan agentServerPlan(const RuntimeAddress& address, const GateRequest& request,
                            const RuntimeSettings& settings, ForwardTarget target) {
  ForwardPlan plan;
  plan.targets.push_back(std::move(target));
  plan.remove_header_prefixes = appStrippedHeaderPrefixes();
  RuntimeResponsePolicy policy;
  policy.frame_ancestor_hosts = allMainHosts(address, settings);
  const std::string& known_origin = settings.agent_server_origin;
  if (!known_origin.empty() && !request.origin.empty() && request.origin != known_origin &&
      isPlatformOrigin(request.origin, policy.frame_ancestor_hosts, known_origin)) {
    plan.set_headers.emplace_back("Origin", known_origin);
    policy.upstream_origin = known_origin;
    policy.client_origin = std::string(request.origin);
  }
  plan.runtime_response = std::move(policy);
  plan.cors_probe_no_content = isCorsProbe(request);
  return plan;
}

}  // namespace oh::gateway
