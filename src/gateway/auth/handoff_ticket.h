#pragma once
// The runtime hand-off: runtime hosts (*.runtime.{sub}.{domain}) never see the main site's
// cookie. The main host, holding a valid session, issues a ticket bound to one runtime host and
// the user; the browser carries it to that host in a redirect; the runtime host verifies it once
// and sets its own short-lived cookie.
//
// Ticket: base64url(JSON payload) "." base64url(HMAC-SHA256(ticket key, "oh-handoff-v1." payload))
// payload: {"jti": 16 random bytes, "aud": runtime host, "sub", "em", "ev", "exp": now + 60,
//           "afp": the local account's password fingerprint, when there is one}
//
//   main host:    std::string t = issuer.issue(identity, "3000-abc.runtime.oh.example.com");
//   runtime host: auto id = verifier.verify(t, request_host);   // Result<Identity, TicketFailure>

#include "common/random_source.h"
#include "common/wall_clock.h"
#include "auth/identity_headers.h"
#include "auth/result.h"

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace oh::gateway::auth {

constexpr std::chrono::seconds kTicketLifetime{60};
constexpr std::size_t kMaxTicketBytes = 2048;

enum class TicketError { malformed, bad_signature, expired, misbound, replayed, replay_cache_full };
std::string_view toString(TicketError e);

struct TicketFailure {
  TicketError code;
  std::string detail;
};

class TicketIssuer {
public:
  // key: 32 bytes, distinct from the cookie keys.
  TicketIssuer(std::string key, const common::WallClock& clock, common::RandomSource& random);
  std::string issue(const Identity& identity, std::string_view runtime_host);

private:
  std::string key_;
  const common::WallClock& clock_;
  common::RandomSource& random_;
};

// Remembers used ticket ids until they expire. Bounded: when full and nothing has expired,
// new tickets are refused (fail closed) rather than forgetting ids that could be replayed.
class ReplayCache {
public:
  explicit ReplayCache(std::size_t max_entries = 100000) : max_entries_(max_entries) {}
  // True if jti was unused (and is now recorded until expires_at); false if replayed.
  // Sets *full when it could not record.
  bool markUsed(const std::string& jti, std::chrono::sys_seconds expires_at, std::chrono::sys_seconds now, bool* full);
  std::size_t size() const;

private:
  std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::chrono::sys_seconds> used_;
};

class TicketVerifier {
public:
  TicketVerifier(std::string key, const common::WallClock& clock, ReplayCache& replay_cache);
  // Checks signature, expiry, binding to `runtime_host` (exact, case-insensitive), then
  // consumes the ticket id. Only a fully valid ticket is consumed.
  Result<Identity, TicketFailure> verify(std::string_view ticket, std::string_view runtime_host);

private:
  std::string key_;
  const common::WallClock& clock_;
  ReplayCache& replay_cache_;
};

}  // namespace oh::gateway::auth
