#pragma once
// Requests a user's app makes to the platform (issue 16). Runtime hosts are subdomains of a main
// host, so they are the same site: a browser attaches the main host's SameSite=Lax session to a
// runtime page's form posts, fetches and WebSockets towards the main host. A main host therefore
// refuses a request that can change state (any method but GET, HEAD and OPTIONS, and every
// WebSocket upgrade) when a runtime host's page sent it:
//   - its Origin is a runtime host (any configured suffix, any port, any case);
//   - its Origin is "null" (an opaque origin: a sandboxed frame of such a page hides its host
//     this way) and Sec-Fetch-Site says another origin of this or another site sent it;
//   - it has no Origin, Sec-Fetch-Site says same-site or cross-site, and its Referer is a
//     runtime host.
// The platform's own pages send their own origin (or Sec-Fetch-Site: same-origin), so they pass.
// Pure: no I/O, tested with plain structs.

#include <optional>
#include <string_view>

#include "config/settings.h"
#include "http/request_gate.h"

namespace oh::gateway {

// Why `request` (to a main host) must be refused as coming from a runtime app, for the access
// log; nullopt when it may proceed.
std::optional<std::string_view> runtimeOriginProblem(const GateRequest& request, const RuntimeSettings& runtime);

// True when the host of `url` ("scheme://host[:port][/...]", an Origin or a Referer) is a
// runtime host or a runtime suffix itself.
bool urlIsOnRuntimeHost(std::string_view url, const RuntimeSettings& runtime);

}  // namespace oh::gateway
