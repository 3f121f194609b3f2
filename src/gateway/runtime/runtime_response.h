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

// The CSP every app response gets beside the app's own: "frame-ancestors 'self'" then
// "https://{host}" for each of the policy's frame-ancestor hosts.
std::string frameAncestorsDirective(const RuntimeResponsePolicy& policy);

// The Access-Control-Allow-Origin the browser gets for the app's `allow_origin`: the browser's
// own origin when the gate presented the request with another one and the app allowed that,
// else the app's value unchanged.
std::string_view clientAllowOrigin(const RuntimeResponsePolicy& policy, std::string_view allow_origin);

}  // namespace oh::gateway
