#pragma once
// The three redirects of the runtime hand-off (DESIGN.md section 3), as pure steps:
//
//   1. runtime host, no oh_runtime cookie:  handoffStart   -> 302 https://{main}/_gateway/handoff?host=…&rd=…
//   2. main host, valid session:            handoffIssue   -> 302 https://{runtime}/_gateway/ticket?t=…&rd=…
//      (main host without a session: the normal sign-in, returning to the same /_gateway/handoff URL)
//   3. runtime host:                        handoffRedeem  -> 302 rd + Set-Cookie oh_runtime (host-only)
//
// A runtime cookie carries the user's identity only (no refresh token) and lives
// kRuntimeSessionLifetime; when it lapses the hand-off simply runs again through the main host,
// which is how it is "renewed the same way". The server strips oh_runtime (removeCookie) before
// forwarding to the user's app.

#include "common/random_source.h"
#include "auth/handoff_ticket.h"
#include "auth/sealed_box.h"
#include "auth/session.h"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oh::gateway::auth {

constexpr std::string_view kHandoffPath = "/_gateway/handoff";
constexpr std::string_view kTicketPath = "/_gateway/ticket";
constexpr std::chrono::seconds kRuntimeSessionLifetime{3600};

struct HandoffConfig {
  std::string main_host;  // e.g. "oh.example.com" (with ":port" if not default)
  bool https = true;
  // For a host this deployment serves as a runtime host, by the router's own grammar
  // ({port}-{convId}.runtime.{sub}.{domain}, runtime/runtime_address.h), that host rebuilt from
  // its parsed parts; nullopt for anything else. Injected: that grammar is owned elsewhere.
  std::function<std::optional<std::string>(std::string_view)> runtime_host;
};

struct HandoffRedirect {
  std::string location;
  std::vector<std::string> set_cookies;
};

// Step 1, on the runtime host: where to send a browser that has no runtime cookie.
std::string handoffStartUrl(const HandoffConfig& config, std::string_view runtime_host, std::string_view target);

// Step 2, on the main host with an opened, valid session. request_target is
// "/_gateway/handoff?host=…&rd=…". Fails (-> 400) for a host that is not a runtime host. The
// ticket and the Location name the host config.runtime_host rebuilt, never the parameter's bytes.
Result<HandoffRedirect> handoffIssue(const HandoffConfig& config, TicketIssuer& issuer, const Session& session,
                                     std::string_view request_target);

// Step 3, on the runtime host: redeem "/_gateway/ticket?t=…&rd=…". Failure (-> 403) carries
// the ticket's reason.
Result<HandoffRedirect, TicketFailure> handoffRedeem(const HandoffConfig& config, TicketVerifier& verifier,
                                                     const SealedBox& box, common::RandomSource& random,
                                                     std::chrono::sys_seconds now, std::string_view runtime_host,
                                                     std::string_view request_target);

// A runtime cookie's session: identity plus a short lifetime, no refresh token.
Session runtimeSession(const Identity& identity, std::chrono::sys_seconds now);

}  // namespace oh::gateway::auth
