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

std::vector<std::pair<std::string, std::string>> runtimeSecurityHeaders(const RuntimeResponsePolicy& policy) {
  std::vector<std::pair<std::string, std::string>> headers;
  headers.emplace_back("X-Frame-Options", "SAMEORIGIN");
  headers.emplace_back("X-Content-Type-Options", "nosniff");
  headers.emplace_back("Referrer-Policy", "strict-origin-when-cross-origin");
  std::string csp = "frame-ancestors 'self'";
  if (!policy.main_host.empty()) {
    csp.append(" https://");
    csp.append(policy.main_host);
  }
  headers.emplace_back("Content-Security-Policy", std::move(csp));
  return headers;
}

}  // namespace oh::gateway
