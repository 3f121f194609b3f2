#pragma once
// The response policy for users' apps (DESIGN.md section 3): framing limited to the app and the
// main site, no MIME sniffing, a strict referrer policy, and every Set-Cookie host-only, Secure
// and SameSite=Strict unless the app chose a SameSite itself. Beast-free decisions here;
// runtime_response_fields.h applies them to a Beast response.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/request_gate.h"

namespace oh::gateway {

// The app's Set-Cookie value with every Domain attribute removed, Secure added when missing and
// SameSite=Strict added when the app set no SameSite. Name, value and other attributes kept.
std::string rewriteAppSetCookie(std::string_view set_cookie);

// Headers every app response gets (set, replacing the app's, except as noted in
// applyRuntimeResponsePolicy): X-Frame-Options, X-Content-Type-Options, Referrer-Policy and
// Content-Security-Policy frame-ancestors 'self' https://{main_host}.
std::vector<std::pair<std::string, std::string>> runtimeSecurityHeaders(const RuntimeResponsePolicy& policy);

}  // namespace oh::gateway
