#include "auth/session.h"

#include <boost/json.hpp>

#include <algorithm>
#include <optional>

namespace oh::gateway::auth {
namespace {

namespace json = boost::json;

std::int64_t secs(std::chrono::sys_seconds t) { return t.time_since_epoch().count(); }
std::chrono::sys_seconds fromSecs(std::int64_t s) { return std::chrono::sys_seconds(std::chrono::seconds(s)); }

}  // namespace

Session sessionFromTokens(const IdTokenClaims& claims, std::string refresh_token, std::chrono::sys_seconds now,
                          std::chrono::seconds lifetime) {
  Session s;
  s.sub = claims.sub;
  s.email = claims.email;
  s.email_verified = claims.email_verified;
  s.id_token_expires_at = claims.expires_at;
  s.refresh_token = std::move(refresh_token);
  s.issued_at = now;
  s.absolute_expires_at = now + lifetime;
  return s;
}

Session renewedSession(const Session& old, const IdTokenClaims& claims, std::string new_refresh_token) {
  Session s = old;
  s.sub = claims.sub;
  s.email = claims.email;
  s.email_verified = claims.email_verified;
  s.id_token_expires_at = std::min(claims.expires_at, old.absolute_expires_at);
  if (!new_refresh_token.empty()) {
    s.refresh_token = std::move(new_refresh_token);
  }
  return s;
}

// Short keys: every byte is paid for in every request's Cookie header.
std::string serializeSession(const Session& s) {
  json::object o;
  o["v"] = 1;
  o["sub"] = s.sub;
  o["em"] = s.email;
  o["ev"] = s.email_verified;
  o["ite"] = secs(s.id_token_expires_at);
  o["rt"] = s.refresh_token;
  o["iat"] = secs(s.issued_at);
  o["exp"] = secs(s.absolute_expires_at);
  if (!s.account_fingerprint.empty()) {
    o["afp"] = s.account_fingerprint;  // optional: providers' sessions have none
  }
  return json::serialize(o);
}

Result<Session> parseSession(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    return failure("session is not a JSON object");
  }
  const json::object& o = v.get_object();
  auto str = [&](std::string_view k) -> const json::string* {
    const json::value* m = o.if_contains(k);
    return m != nullptr && m->is_string() ? &m->get_string() : nullptr;
  };
  auto num = [&](std::string_view k) -> std::optional<std::int64_t> {
    const json::value* m = o.if_contains(k);
    return m != nullptr && m->is_int64() ? std::optional<std::int64_t>(m->get_int64()) : std::nullopt;
  };
  const json::value* ver = o.if_contains("v");
  const json::value* ev = o.if_contains("ev");
  if (ver == nullptr || !ver->is_int64() || ver->get_int64() != 1) {
    return failure("session has an unknown version");
  }
  if (str("sub") == nullptr || str("sub")->empty() || str("em") == nullptr || str("rt") == nullptr || ev == nullptr ||
      !ev->is_bool() || !num("ite") || !num("iat") || !num("exp")) {
    return failure("session is missing fields");
  }
  Session s;
  s.sub = std::string(*str("sub"));
  s.email = std::string(*str("em"));
  s.email_verified = ev->get_bool();
  s.refresh_token = std::string(*str("rt"));
  s.id_token_expires_at = fromSecs(*num("ite"));
  s.issued_at = fromSecs(*num("iat"));
  s.absolute_expires_at = fromSecs(*num("exp"));
  if (const json::value* afp = o.if_contains("afp")) {
    if (!afp->is_string() || afp->get_string().size() > 64) {
      return failure("session has a malformed account fingerprint");
    }
    s.account_fingerprint = std::string(afp->get_string());
  }
  return s;
}

std::string sealSession(const SealedBox& box, const Session& s, common::RandomSource& random,
                        std::string_view purpose) {
  return box.seal(purpose, serializeSession(s), random);
}

Result<Session> openSession(const SealedBox& box, std::string_view cookie_value, std::chrono::sys_seconds now,
                            std::string_view purpose) {
  auto plain = box.open(purpose, cookie_value);
  if (!plain) {
    return fail(plain.error());
  }
  auto s = parseSession(*plain);
  if (!s) {
    return s;
  }
  if (now >= s->absolute_expires_at) {
    return failure("session past its absolute expiry");
  }
  return s;
}

std::string runtimeSessionPurpose(std::string_view runtime_host) {
  std::string p = "oh-runtime-v1 ";
  p += runtime_host;
  return p;
}

SessionState renewalDecision(const Session& s, std::chrono::sys_seconds now) {
  if (now >= s.absolute_expires_at) {
    return SessionState::expired;
  }
  if (now + kRenewalMargin < s.id_token_expires_at) {
    return SessionState::valid;
  }
  return s.refresh_token.empty() ? SessionState::expired : SessionState::needs_refresh;
}

}  // namespace oh::gateway::auth
