#include "auth/handoff_ticket.h"

#include "common/base64.h"
#include "common/constant_time.h"

#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace oh::gateway::auth {
namespace {

namespace json = boost::json;

constexpr std::string_view kDomain = "oh-handoff-v1.";

std::string mac(std::string_view key, std::string_view payload_b64) {
  std::string input(kDomain);
  input += payload_b64;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string lowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

Fail<TicketFailure> ticketFail(TicketError code, std::string detail = {}) {
  return fail(TicketFailure{code, std::move(detail)});
}

}  // namespace

std::string_view toString(TicketError e) {
  switch (e) {
    case TicketError::malformed: return "malformed";
    case TicketError::bad_signature: return "bad_signature";
    case TicketError::expired: return "expired";
    case TicketError::misbound: return "misbound";
    case TicketError::replayed: return "replayed";
    case TicketError::replay_cache_full: return "replay_cache_full";
  }
  return "unknown";
}

TicketIssuer::TicketIssuer(std::string key, const common::WallClock& clock, common::RandomSource& random)
    : key_(std::move(key)), clock_(clock), random_(random) {}

std::string TicketIssuer::issue(const Identity& identity, std::string_view runtime_host) {
  json::object o;
  o["jti"] = common::base64UrlEncode(random_.bytes(16));
  o["aud"] = lowerAscii(runtime_host);
  o["sub"] = identity.sub;
  o["em"] = identity.email;
  o["ev"] = identity.email_verified;
  if (!identity.account_fingerprint.empty()) {
    o["afp"] = identity.account_fingerprint;
  }
  o["exp"] = (clock_.now() + kTicketLifetime).time_since_epoch().count();
  const std::string payload = common::base64UrlEncode(json::serialize(o));
  return payload + "." + common::base64UrlEncode(mac(key_, payload));
}

bool ReplayCache::markUsed(const std::string& jti, std::chrono::sys_seconds expires_at, std::chrono::sys_seconds now,
                           bool* full) {
  std::lock_guard lock(mutex_);
  *full = false;
  auto it = used_.find(jti);
  if (it != used_.end()) {
    return false;
  }
  if (used_.size() >= max_entries_) {
    std::erase_if(used_, [now](const auto& entry) { return entry.second < now; });
    if (used_.size() >= max_entries_) {
      *full = true;
      return false;
    }
  }
  used_.emplace(jti, expires_at);
  return true;
}

std::size_t ReplayCache::size() const {
  std::lock_guard lock(mutex_);
  return used_.size();
}

TicketVerifier::TicketVerifier(std::string key, const common::WallClock& clock, ReplayCache& replay_cache)
    : key_(std::move(key)), clock_(clock), replay_cache_(replay_cache) {}

Result<Identity, TicketFailure> TicketVerifier::verify(std::string_view ticket, std::string_view runtime_host) {
  if (ticket.empty() || ticket.size() > kMaxTicketBytes) {
    return ticketFail(TicketError::malformed, "size");
  }
  const std::size_t dot = ticket.find('.');
  if (dot == std::string_view::npos || ticket.find('.', dot + 1) != std::string_view::npos) {
    return ticketFail(TicketError::malformed, "not two parts");
  }
  const std::string_view payload_b64 = ticket.substr(0, dot);
  const auto signature = common::base64UrlDecode(ticket.substr(dot + 1));
  const auto payload = common::base64UrlDecode(payload_b64);
  if (!signature || !payload) {
    return ticketFail(TicketError::malformed, "not base64url");
  }
  if (!common::constantTimeEqual(*signature, mac(key_, payload_b64))) {
    return ticketFail(TicketError::bad_signature);
  }
  boost::system::error_code ec;
  json::value v = json::parse(*payload, ec);
  if (ec || !v.is_object()) {
    return ticketFail(TicketError::malformed, "payload");
  }
  const json::object& o = v.get_object();
  auto str = [&](std::string_view k) -> const json::string* {
    const json::value* m = o.if_contains(k);
    return m != nullptr && m->is_string() ? &m->get_string() : nullptr;
  };
  const json::value* exp = o.if_contains("exp");
  const json::value* ev = o.if_contains("ev");
  if (str("jti") == nullptr || str("aud") == nullptr || str("sub") == nullptr || str("em") == nullptr ||
      exp == nullptr || !exp->is_int64() || ev == nullptr || !ev->is_bool()) {
    return ticketFail(TicketError::malformed, "fields");
  }
  const json::value* afp = o.if_contains("afp");
  if (afp != nullptr && !afp->is_string()) {
    return ticketFail(TicketError::malformed, "fields");
  }
  const std::chrono::sys_seconds expires_at{std::chrono::seconds(exp->get_int64())};
  const auto now = clock_.now();
  if (now >= expires_at) {
    return ticketFail(TicketError::expired);
  }
  if (expires_at > now + kTicketLifetime + std::chrono::seconds(5)) {
    // Signed by us, but not with our lifetime: a key shared with something else, or a bug.
    return ticketFail(TicketError::malformed, "lifetime too long");
  }
  if (*str("aud") != lowerAscii(runtime_host)) {
    return ticketFail(TicketError::misbound);
  }
  bool full = false;
  if (!replay_cache_.markUsed(std::string(*str("jti")), expires_at, now, &full)) {
    return ticketFail(full ? TicketError::replay_cache_full : TicketError::replayed);
  }
  return Identity{std::string(*str("sub")), std::string(*str("em")), ev->get_bool(),
                  afp != nullptr ? std::string(afp->get_string()) : std::string()};
}

}  // namespace oh::gateway::auth
