#include "auth/sign_in_flow.h"

#include "auth/cookies.h"
#include "auth/login_flow_cookie.h"
#include "auth/return_path.h"

#include <boost/url.hpp>
#include <fmt/format.h>

#include "common/text.h"

namespace oh::gateway::auth {
namespace {

std::string printable(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 80)) {
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  return out;
}

TokenExpectations expectationsFor(const SignInConfig& config, std::optional<std::string> nonce) {
  TokenExpectations want;
  want.issuer = config.provider.issuer;
  want.audience = config.client.client_id;
  want.require_token_use_id = config.provider.requiresTokenUseId();
  want.nonce = std::move(nonce);
  want.leeway = config.leeway;
  return want;
}

std::string sessionCookie(const SignInConfig& config, const SealedBox& box, const Session& session,
                          common::RandomSource& random, std::chrono::sys_seconds now) {
  const auto remaining = session.absolute_expires_at - now;
  return buildSetCookie(platformCookieName(kSessionCookieName, config.https), sealSession(box, session, random),
                        CookieAttributes{config.https, std::chrono::duration_cast<std::chrono::seconds>(remaining)});
}

}  // namespace

std::optional<std::string> callbackUrlFor(const SignInConfig& config, std::string_view request_host) {
  for (const std::string& allowed : config.callback_hosts) {
    if (!request_host.empty() && common::equalsIgnoreCase(allowed, request_host)) {
      // Use the configured spelling, never the request's bytes.
      return fmt::format("{}://{}{}", config.https ? "https" : "http", allowed, kCallbackPath);
    }
  }
  return std::nullopt;
}

Result<Redirect> beginSignIn(const SignInConfig& config, const SealedBox& box, common::RandomSource& random,
                             std::chrono::sys_seconds now, std::string_view request_host,
                             std::string_view requested_target) {
  auto redirect_uri = callbackUrlFor(config, request_host);
  if (!redirect_uri) {
    return failure(fmt::format("host {} is not a configured callback host", printable(request_host)));
  }
  const PendingLogin login = newPendingLogin(random, sanitizeReturnPath(requested_target));
  Redirect r;
  r.location = buildAuthorizeUrl(config.provider, {config.client.client_id, *redirect_uri, config.scope}, login);
  r.set_cookies.push_back(buildSetCookie(platformCookieName(kLoginFlowCookieName, config.https), sealLoginFlow(box, login, now, random),
                                         CookieAttributes{config.https, kLoginFlowLifetime}));
  return r;
}

Result<CallbackStart> startCallback(const SignInConfig& config, const SealedBox& box, std::chrono::sys_seconds now,
                                    std::string_view request_host, std::string_view request_target,
                                    std::string_view cookie_header) {
  auto redirect_uri = callbackUrlFor(config, request_host);
  if (!redirect_uri) {
    return failure(fmt::format("host {} is not a configured callback host", printable(request_host)));
  }
  auto target = boost::urls::parse_origin_form(request_target);
  if (!target) {
    return failure("callback target is not a valid origin-form URL");
  }
  std::optional<std::string> code;
  std::optional<std::string> state;
  std::optional<std::string> error;
  for (const auto& param : target->params()) {
    std::optional<std::string>* slot = param.key == "code" ? &code : param.key == "state" ? &state
                                       : param.key == "error" ? &error : nullptr;
    if (slot == nullptr) {
      continue;
    }
    if (slot->has_value()) {
      return failure(fmt::format("callback repeats the {} parameter", param.key));
    }
    *slot = std::string(param.value);
  }
  if (error) {
    return failure(fmt::format("provider returned error {}", printable(*error)));
  }
  if (!code || code->empty() || code->size() > 4096 || !state) {
    return failure("callback without code or state");
  }
  // Every copy is tried: one planted by another host of the site must not hide the real one.
  const auto flow_cookies = findCookies(cookie_header, platformCookieName(kLoginFlowCookieName, config.https));
  if (flow_cookies.empty()) {
    return failure("callback without the login-flow cookie (expired, or another browser)");
  }
  auto login = openLoginFlow(box, flow_cookies.front(), *state, now);
  for (std::size_t i = 1; !login && i < flow_cookies.size(); ++i) {
    login = openLoginFlow(box, flow_cookies[i], *state, now);
  }
  if (!login) {
    return fail(login.error());
  }
  CallbackStart start;
  start.login = std::move(login).value();
  start.redirect_uri = *redirect_uri;
  start.token_request = codeExchangeRequest(config.client, *code, start.redirect_uri, start.login.code_verifier);
  return start;
}

Result<Redirect> finishCallback(const SignInConfig& config, const SealedBox& box, common::RandomSource& random,
                                KeyLookup& keys, std::chrono::sys_seconds now, const CallbackStart& start,
                                int token_http_status, std::string_view token_body) {
  auto tokens = parseTokenResponse(token_http_status, token_body);
  if (!tokens) {
    return failure(describe(tokens.error()));
  }
  auto claims = verifyIdToken(tokens->id_token, keys, expectationsFor(config, start.login.nonce), now);
  if (!claims) {
    return failure("ID token refused: " + describe(claims.error()));
  }
  const Session session = sessionFromTokens(*claims, tokens->refresh_token, now, config.session_lifetime);
  Redirect r;
  r.location = start.login.return_path.empty() ? "/" : start.login.return_path;
  r.set_cookies.push_back(sessionCookie(config, box, session, random, now));
  r.set_cookies.push_back(buildClearCookie(platformCookieName(kLoginFlowCookieName, config.https), config.https));
  return r;
}

TokenRequest refreshRequestFor(const SignInConfig& config, const Session& session) {
  return refreshRequest(config.client, session.refresh_token);
}

Result<Refreshed> finishRefresh(const SignInConfig& config, const SealedBox& box, common::RandomSource& random,
                                KeyLookup& keys, std::chrono::sys_seconds now, const Session& old,
                                int token_http_status, std::string_view token_body) {
  auto tokens = parseTokenResponse(token_http_status, token_body);
  if (!tokens) {
    return failure(describe(tokens.error()));
  }
  auto claims = verifyIdToken(tokens->id_token, keys, expectationsFor(config, std::nullopt), now);
  if (!claims) {
    return failure("refreshed ID token refused: " + describe(claims.error()));
  }
  if (claims->sub != old.sub) {
    return failure("refreshed ID token names another user");
  }
  Refreshed r{renewedSession(old, *claims, tokens->refresh_token), {}};
  r.set_cookie = sessionCookie(config, box, r.session, random, now);
  return r;
}

Redirect signOut(const SignInConfig& config, std::string_view request_host) {
  Redirect r;
  r.set_cookies.push_back(buildClearCookie(platformCookieName(kSessionCookieName, config.https), config.https));
  r.location = "/";
  auto callback = callbackUrlFor(config, request_host);
  if (callback) {
    const std::string home = callback->substr(0, callback->size() - kCallbackPath.size()) + "/";
    if (auto provider_logout = providerLogoutUrl(config.provider, config.client.client_id, home)) {
      r.location = *provider_logout;
    }
  }
  return r;
}

}  // namespace oh::gateway::auth
