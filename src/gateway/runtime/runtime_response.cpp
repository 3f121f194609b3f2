#include "runtime/runtime_response.h"

#include "common/text.h"

namespace oh::gateway {

std::string rewriteAppSetCookie(std::string_view set_cookie) {
  std::string out;
  out.reserve(set_cookie.size() + 32);
  bool has_secure = false;
  bool has_same_site = false;
  bool first = true;
  while (true) {
    const std::size_t semi = set_cookie.find(';');
    const std::string_view part = common::trimOws(set_cookie.substr(0, semi));
    if (first) {
      out.append(part);  // name=value, untouched
      first = false;
    } else if (!part.empty()) {
      const std::string_view name = common::trimOws(part.substr(0, part.find('=')));
      if (common::equalsIgnoreCase(name, "domain")) {
        // dropped: the cookie stays on the app's own host (no leak to other runtimes)
      } else {
        has_secure = has_secure || common::equalsIgnoreCase(name, "secure");
        has_same_site = has_same_site || common::equalsIgnoreCase(name, "samesite");
        out.append("; ");
        out.append(part);
      }
    }
    if (semi == std::string_view::npos) {
      break;
    }
    set_cookie.remove_prefix(semi + 1);
  }
  if (!has_secure) {
    out.append("; Secure");
  }
  if (!has_same_site) {
    out.append("; SameSite=Strict");
  }
  return out;
}

std::string frameAncestorsDirective(const RuntimeResponsePolicy& policy) {
  std::string csp = "frame-ancestors 'self'";
  for (const std::string& host : policy.frame_ancestor_hosts) {
    csp.append(" https://").append(host);
  }
  return csp;
}

std::string_view clientAllowOrigin(const RuntimeResponsePolicy& policy, std::string_view allow_origin) {
  if (!policy.upstream_origin.empty() && allow_origin == policy.upstream_origin) {
    return policy.client_origin;
  }
  return allow_origin;
}

}  // namespace oh::gateway
