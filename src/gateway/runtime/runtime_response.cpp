#include "runtime/runtime_response.h"

namespace oh::gateway {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string rewriteAppSetCookie(std::string_view set_cookie) {
  std::string out;
  out.reserve(set_cookie.size() + 32);
  bool has_secure = false;
  bool has_same_site = false;
  bool first = true;
  while (true) {
    const std::size_t semi = set_cookie.find(';');
    const std::string_view part = trim(set_cookie.substr(0, semi));
    if (first) {
      out.append(part);  // name=value, untouched
      first = false;
    } else if (!part.empty()) {
      const std::string_view name = trim(part.substr(0, part.find('=')));
      if (iequals(name, "domain")) {
        // dropped: the cookie stays on the app's own host (no leak to other runtimes)
      } else {
        has_secure = has_secure || iequals(name, "secure");
        has_same_site = has_same_site || iequals(name, "samesite");
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
