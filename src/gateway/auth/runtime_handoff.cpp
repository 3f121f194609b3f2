#include "auth/runtime_handoff.h"

#include "auth/cookies.h"
#include "auth/oidc_provider.h"
#include "auth/return_path.h"

#include <boost/url.hpp>
#include <fmt/format.h>

#include <optional>

namespace oh::gateway::auth {
namespace {

std::string lowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

std::string origin(bool https, std::string_view host) { return fmt::format("{}://{}", https ? "https" : "http", host); }

struct Params {
  std::optional<std::string> a;
  std::optional<std::string> b;
};

// Reads two named query parameters once each; nullopt on a malformed target or a repeat.
std::optional<Params> readParams(std::string_view target, std::string_view a_name, std::string_view b_name) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) {
    return std::nullopt;
  }
  Params p;
  for (const auto& param : parsed->params()) {
    std::optional<std::string>* slot = param.key == a_name ? &p.a : param.key == b_name ? &p.b : nullptr;
    if (slot == nullptr) {
      continue;
    }
    if (slot->has_value()) {
      return std::nullopt;
    }
    *slot = std::string(param.value);
  }
  return p;
}

}  // namespace

std::string handoffStartUrl(const HandoffConfig& config, std::string_view runtime_host, std::string_view target) {
  return appendQuery(origin(config.https, config.main_host) + std::string(kHandoffPath),
                     {{"host", lowerAscii(runtime_host)}, {"rd", sanitizeReturnPath(target)}})
      .value_or("/");
}

Result<HandoffRedirect> handoffIssue(const HandoffConfig& config, TicketIssuer& issuer, const Session& session,
                                     std::string_view request_target) {
  auto params = readParams(request_target, "host", "rd");
  if (!params || !params->a) {
    return failure("hand-off request without a single host parameter");
  }
  const std::optional<std::string> parsed_host = config.runtime_host ? config.runtime_host(*params->a) : std::nullopt;
  if (!parsed_host) {
    return failure("hand-off requested for a host that is not a runtime host");
  }
  const std::string& host = *parsed_host;
  const std::string rd = sanitizeReturnPath(params->b.value_or("/"));
  const std::string ticket = issuer.issue(Identity{session.sub, session.email, session.email_verified, session.account_fingerprint}, host);
  auto location = appendQuery(origin(config.https, host) + std::string(kTicketPath), {{"t", ticket}, {"rd", rd}});
  if (!location) {
    return failure("cannot build the ticket URL");
  }
  return HandoffRedirect{*location, {}};
}

Session runtimeSession(const Identity& identity, std::chrono::sys_seconds now) {
  Session s;
  s.sub = identity.sub;
  s.email = identity.email;
  s.email_verified = identity.email_verified;
  s.account_fingerprint = identity.account_fingerprint;
  s.issued_at = now;
  s.id_token_expires_at = now + kRuntimeSessionLifetime;
  s.absolute_expires_at = now + kRuntimeSessionLifetime;
  return s;
}

Result<HandoffRedirect, TicketFailure> handoffRedeem(const HandoffConfig& config, TicketVerifier& verifier,
                                                     const SealedBox& box, common::RandomSource& random,
                                                     std::chrono::sys_seconds now, std::string_view runtime_host,
                                                     std::string_view request_target) {
  auto params = readParams(request_target, "t", "rd");
  if (!params || !params->a) {
    return fail(TicketFailure{TicketError::malformed, "ticket request without a single t parameter"});
  }
  auto identity = verifier.verify(*params->a, runtime_host);
  if (!identity) {
    return fail(identity.error());
  }
  const Session session = runtimeSession(*identity, now);
  HandoffRedirect r;
  r.location = sanitizeReturnPath(params->b.value_or("/"));
  r.set_cookies.push_back(
      buildSetCookie(platformCookieName(kRuntimeCookieName, config.https), sealSession(box, session, random, runtimeSessionPurpose(lowerAscii(runtime_host))),
                     CookieAttributes{config.https, kRuntimeSessionLifetime}));
  return r;
}

}  // namespace oh::gateway::auth
