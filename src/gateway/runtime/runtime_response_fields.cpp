#include "runtime/runtime_response_fields.h"

#include <string>
#include <vector>

#include <boost/beast/http/field.hpp>

#include "runtime/runtime_response.h"

namespace oh::gateway {

void applyRuntimeResponsePolicy(boost::beast::http::fields& fields, const RuntimeResponsePolicy& policy) {
  namespace http = boost::beast::http;
  std::vector<std::string> cookies;
  const auto range = fields.equal_range(http::field::set_cookie);
  for (auto it = range.first; it != range.second; ++it) {
    cookies.push_back(rewriteAppSetCookie(it->value()));
  }
  if (!cookies.empty()) {
    fields.erase(http::field::set_cookie);
    for (const std::string& cookie : cookies) {
      fields.insert(http::field::set_cookie, cookie);
    }
  }
  // The same headers as runtimeSecurityHeaders(), set directly (no temporary strings: this
  // runs on every app response).
  const auto frame_options = fields.find(http::field::x_frame_options);
  bool app_denies = false;
  if (frame_options != fields.end() && frame_options->value().size() == 4) {
    app_denies = true;
    for (std::size_t i = 0; i < 4; ++i) {
      const char c = frame_options->value()[i];
      app_denies = app_denies && (c | 0x20) == "deny"[i];
    }
  }
  if (!app_denies) {
    fields.set(http::field::x_frame_options, "SAMEORIGIN");
  }
  fields.set("X-Content-Type-Options", "nosniff");
  fields.set("Referrer-Policy", "strict-origin-when-cross-origin");
  std::string csp;
  csp.reserve(32 + policy.main_host.size());
  csp.append("frame-ancestors 'self'");
  if (!policy.main_host.empty()) {
    csp.append(" https://").append(policy.main_host);
  }
  fields.insert("Content-Security-Policy", csp);
}

}  // namespace oh::gateway
