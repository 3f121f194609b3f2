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
  const auto frame_options = fields.find(http::field::x_frame_options);
  const bool app_denies = frame_options != fields.end() && frame_options->value().size() == 4 &&
                          (frame_options->value() == "DENY" || frame_options->value() == "deny" ||
                           frame_options->value() == "Deny");
  for (const auto& [name, value] : runtimeSecurityHeaders(policy)) {
    if (name == "Content-Security-Policy") {
      fields.insert("Content-Security-Policy", value);
    } else if (name == "X-Frame-Options") {
      if (!app_denies) {
        fields.set(http::field::x_frame_options, value);
      }
    } else {
      fields.set(name, value);
    }
  }
}

}  // namespace oh::gateway
