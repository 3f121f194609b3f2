#include "runtime/runtime_response_fields.h"

#include <string>
#include <vector>

#include <boost/beast/http/field.hpp>

#include "common/text.h"
#include "runtime/runtime_response.h"

namespace oh::gateway {
namespace {

void translateAllowOrigin(Fields& fields, const RuntimeResponsePolicy& policy) {
  namespace http = boost::beast::http;
  const auto allow = fields.find(http::field::access_control_allow_origin);
  if (allow == fields.end()) {
    return;
  }
  const std::string_view translated = clientAllowOrigin(policy, allow->value());
  if (translated == allow->value()) {
    return;
  }
  fields.set(http::field::access_control_allow_origin, std::string(translated));
  // The answer now depends on the request's Origin: caches must not serve it to another origin.
  const auto vary = fields.find(http::field::vary);
  if (vary == fields.end()) {
    fields.set(http::field::vary, "Origin");
  } else if (!common::containsIgnoreCase(vary->value(), "origin") && vary->value() != "*") {
    fields.set(http::field::vary, std::string(vary->value()) + ", Origin");
  }
}

}  // namespace

void applyRuntimeResponsePolicy(Fields& fields, const RuntimeResponsePolicy& policy) {
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
  fields.insert("Content-Security-Policy", frameAncestorsDirective(policy));
  if (!policy.upstream_origin.empty()) {
    translateAllowOrigin(fields, policy);
  }
}

}  // namespace oh::gateway
