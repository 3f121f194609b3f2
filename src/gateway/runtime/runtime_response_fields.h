#pragma once
// Applies the runtime response policy (runtime_response.h) to an app's response headers. The
// client session calls it when ForwardPlan::runtime_response is set, before the head goes out.

#include "http/fields.h"
#include "http/request_gate.h"

namespace oh::gateway {

// X-Frame-Options SAMEORIGIN (an app's stricter DENY is kept), X-Content-Type-Options nosniff,
// Referrer-Policy strict-origin-when-cross-origin (replacing the app's), one more
// Content-Security-Policy frameAncestorsDirective() beside any of the app's (browsers enforce
// every CSP header, so the app's policy stays and cannot widen framing), each Set-Cookie
// rewritten by rewriteAppSetCookie(), and Access-Control-Allow-Origin given back for the
// browser's origin (plus Vary: Origin) when the gate presented another one.
void applyRuntimeResponsePolicy(Fields& fields, const RuntimeResponsePolicy& policy);

}  // namespace oh::gateway
