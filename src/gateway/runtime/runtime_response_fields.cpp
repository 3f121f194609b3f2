#include "runtime/runtime_response_fields.h"

#include <iterator>
#include <string>
#include <string_view>
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

bool isDeny(std::string_view value) { return common::equalsIgnoreCase(value, "DENY"); }

constexpr std::string_view kContentTypeOptions = "X-Content-Type-Options";
constexpr std::string_view kReferrerPolicy = "Referrer-Policy";

// X-Content-Type-Options or Referrer-Policy, which the policy replaces. Beast has no enum for
// either, so only the names of fields it did not recognise are compared.
bool replacedByPolicy(const Fields::value_type& field) {
  if (field.name() != boost::beast::http::field::unknown) {
    return false;
  }
  const std::string_view name = field.name_string();
  return common::equalsIgnoreCase(name, kContentTypeOptions) || common::equalsIgnoreCase(name, kReferrerPolicy);
}

}  // namespace

void applyRuntimeResponsePolicy(Fields& fields, const RuntimeResponsePolicy& policy) {
  namespace http = boost::beast::http;
  // One pass: each Set-Cookie is taken out rewritten (put back below, in its order), the app's
  // framing choice noted, and the headers the policy replaces removed.
  std::vector<std::string> cookies;
  bool app_denies_framing = false;
  for (auto it = fields.begin(); it != fields.end();) {
    bool drop = true;
    if (it->name() == http::field::set_cookie) {
      cookies.push_back(rewriteAppSetCookie(it->value()));
    } else if (it->name() == http::field::x_frame_options) {
      // An app's DENY is stricter than SAMEORIGIN and stays (the first one; any other goes).
      drop = app_denies_framing || !isDeny(it->value());
      app_denies_framing = app_denies_framing || !drop;
    } else {
      drop = replacedByPolicy(*it);
    }
    it = drop ? fields.erase(it) : std::next(it);
  }
  for (const std::string& cookie : cookies) {
    fields.insert(http::field::set_cookie, cookie);
  }
  if (!app_denies_framing) {
    fields.insert(http::field::x_frame_options, "SAMEORIGIN");
  }
  fields.insert(http::field::unknown, kContentTypeOptions, "nosniff");
  fields.insert(http::field::unknown, kReferrerPolicy, "strict-origin-when-cross-origin");
  fields.insert(http::field::unknown, "Content-Security-Policy", frameAncestorsDirective(policy));
  if (!policy.upstream_origin.empty()) {
    translateAllowOrigin(fields, policy);
  }
}

}  // namespace oh::gateway
