#include "signin/gateway_sign_in.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <unordered_map>
#include <utility>

#include <spdlog/spdlog.h>

#include "auth/challenge.h"
#include "auth/cookies.h"
#include "auth/identity_headers.h"
#include "auth/jwt.h"
#include "auth/local_login_page.h"
#include "auth/return_path.h"
#include "auth/runtime_handoff.h"
#include "auth/token_exchange.h"
#include "runtime/runtime_address.h"
#include "signin/replies.h"
#include "signin/request_parts.h"

namespace oh::gateway::signin {
namespace {

constexpr std::string_view kLogoutPath = "/_logout";
constexpr std::string_view kIdentityHeaderPrefix = "x-cognito-";

// For log lines: printable ASCII only, cut short (hosts and names come from the client).
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 200)) {
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  return out;
}

Identity identityOf(const auth::Session& s) { return Identity{s.sub, s.email, s.email_verified}; }

// The request facts the sign-in needs after an asynchronous step (the GateRequest's views are
// only valid until its Done runs).
struct OwnedRequest {
  std::string method;
  std::string target;
  std::string host;  // lowercase
  std::string cookie;
  std::string accept;
  std::string sec_fetch_mode;
  std::string x_requested_with;
  std::string client_ip;
  bool websocket = false;

  static OwnedRequest copy(const GateRequest& r, std::string host) {
    return OwnedRequest{std::string(r.method), std::string(r.target), std::move(host), std::string(r.cookie),
                        std::string(r.accept), std::string(r.sec_fetch_mode), std::string(r.x_requested_with),
                        std::string(r.client_ip), r.websocket};
  }
  GateRequest view() const {
    GateRequest r;
    r.method = method;
    r.target = target;
    r.host = host;
    r.cookie = cookie;
    r.accept = accept;
    r.sec_fetch_mode = sec_fetch_mode;
    r.x_requested_with = x_requested_with;
    r.client_ip = client_ip;
    r.websocket = websocket;
    return r;
  }
};

AuthOutcome answer(ErrorReply reply, std::string reason) {
  AuthOutcome outcome;
  outcome.decision = GateDecision::answer(std::move(reply), std::move(reason));
  return outcome;
}

std::size_t largestCookie(const std::vector<std::string>& set_cookies) {
  std::size_t largest = 0;
  for (const std::string& line : set_cookies) {
    largest = std::max(largest, line.size());
  }
  return largest;
}

// The kid of the ID token in a token-endpoint answer, when there is one to look up.
std::string idTokenKid(int status, std::string_view body) {
  auto tokens = auth::parseTokenResponse(status, body);
  if (!tokens) {
    return {};
  }
  auto jws = auth::parseJws(tokens->id_token);
  return jws ? jws->kid : std::string();
}

class GatewaySignIn final : public SignIn, public std::enable_shared_from_this<GatewaySignIn> {
public:
  GatewaySignIn(std::shared_ptr<LongLivedState> state, SignInSetup setup)
      : state_(std::move(state)), setup_(std::move(setup)) {
    runtime_hosts_.host_suffixes = setup_.runtime_suffixes;
    if (setup_.ticket_key) {
      issuer_.emplace(*setup_.ticket_key, *state_->clock, *state_->random);
      verifier_.emplace(*setup_.ticket_key, *state_->clock, state_->replay);
    }
  }

  std::optional<std::string> notReadyReason() const override {
    return setup_.endpoints ? setup_.endpoints->notReadyReason() : std::nullopt;
  }

  void authenticate(const GateRequest& request, HostRole role, bool allow_anonymous, Done done) override {
    const std::string host = lowercase(request.host);
    if (role == HostRole::runtime) {
      runtimeHost(request, host, allow_anonymous, std::move(done));
    } else {
      mainHost(request, host, allow_anonymous, std::move(done));
    }
  }

private:
  using Refreshed = std::optional<auth::Refreshed>;
  using RefreshWaiter = std::function<void(const Refreshed&)>;

  std::chrono::sys_seconds now() const { return state_->clock->now(); }

  // The flow settings joined with the provider's endpoints: null while an OIDC provider is not
  // discovered yet (and for local accounts). Made once, on the first request after discovery.
  struct ReadyProvider {
    auth::SignInConfig flow;
    std::shared_ptr<JwksSource> jwks;
  };
  using ReadyPtr = std::shared_ptr<const ReadyProvider>;

  ReadyPtr ready() const {
    if (ReadyPtr known = ready_.load(std::memory_order_acquire)) {
      return known;
    }
    if (!setup_.flow || !setup_.endpoints) {
      return nullptr;
    }
    const auto endpoints = setup_.endpoints->current();
    if (!endpoints) {
      return nullptr;
    }
    auto made = std::make_shared<ReadyProvider>(ReadyProvider{*setup_.flow, endpoints->jwks});
    made->flow.provider = endpoints->provider;
    ReadyPtr published = std::move(made);
    ready_.store(published, std::memory_order_release);  // two racing requests make equal copies
    return published;
  }

  static bool wantsJson(const GateRequest& r) {
    return auth::decideChallenge({r.method, pathOf(r.target), r.accept, r.sec_fetch_mode, r.websocket ? "websocket" : "",
                                  r.x_requested_with}) == auth::Challenge::unauthorized_json;
  }

  // 503 + Retry-After while the provider is not discovered: a sign-in cannot start or finish,
  // and a session cannot be renewed (its cookie is kept: it works again once the provider does).
  AuthOutcome providerUnavailable(bool json, const std::vector<std::string>& cookies = {}) const {
    return answer(signInUnavailableReply(json, setup_.endpoints->retryAfter(), cookies),
                  "signin: provider not discovered");
  }

  // ---- main host --------------------------------------------------------------------------

  void mainHost(const GateRequest& r, const std::string& host, bool allow_anonymous, Done done) {
    const std::string_view path = pathOf(r.target);
    if (setup_.flow && path == auth::kCallbackPath) {
      return callback(r, host, std::move(done));
    }
    if (path == kLogoutPath) {
      return logout(host, done);
    }
    if (setup_.users && path == auth::kLoginPath) {
      return loginPage(r, std::move(done));
    }
    if (issuer_ && path == auth::kHandoffPath) {
      return handoff(r, host, std::move(done));
    }
    sessionCheck(r, host, allow_anonymous, std::move(done));
  }

  // What the copies of the session cookie a browser sent amount to: the first copy that opens,
  // belongs to a current account and is valid, else the first that needs renewal. Every copy is
  // tried: one that another host of the site planted (a longer Path is sent first) must not
  // decide while the real one is there.
  struct FoundSession {
    auth::SessionPtr session;
    std::string_view cookie;  // the copy `session` was opened from
    auth::SessionState state = auth::SessionState::expired;
    bool present = false;     // any copy at all (an unusable one is cleared)
  };

  FoundSession findSession(std::string_view cookie_header, const std::string& host) const {
    FoundSession found;
    for (const std::string_view value : auth::findCookies(cookie_header, cookieName(auth::kSessionCookieName))) {
      found.present = true;
      auto opened = auth::openSessionCached(*setup_.box, state_->sessions, value, now());
      if (!opened) {
        // Tampered, truncated, planted, sealed with a retired key, or past its absolute end.
        spdlog::info("sign-in: session cookie refused on {}: {}", printable(host), opened.error().reason);
        continue;
      }
      if (!accountCurrent(**opened)) {  // it logged why
        continue;
      }
      const auth::SessionState state = auth::renewalDecision(**opened, now());
      if (state == auth::SessionState::valid) {
        return FoundSession{*opened, value, state, true};
      }
      if (state == auth::SessionState::needs_refresh && !found.session) {
        found.session = *opened;
        found.cookie = value;
        found.state = state;
      }
    }
    return found;
  }

  std::string_view cookieName(std::string_view base_name) const {
    return auth::platformCookieName(base_name, setup_.https);
  }

  std::string clearCookie(std::string_view base_name) const {
    return auth::buildClearCookie(cookieName(base_name), setup_.https);
  }

  void sessionCheck(const GateRequest& r, const std::string& host, bool allow_anonymous, Done done) {
    const FoundSession found = findSession(r.cookie, host);
    if (found.state == auth::SessionState::valid) {
      return done(forwardMain(identityOf(*found.session), {}));
    }
    if (found.state == auth::SessionState::needs_refresh && setup_.flow && !found.session->refresh_token.empty()) {
      ReadyPtr provider = ready();
      if (!provider) {
        return done(providerUnavailable(wantsJson(r)));
      }
      auto owned = std::make_shared<OwnedRequest>(OwnedRequest::copy(r, host));
      return refresh(provider, found.cookie, found.session,
                     [self = shared_from_this(), owned, allow_anonymous, done = std::move(done)](const Refreshed& refreshed) {
        if (refreshed) {
          done(self->forwardMain(identityOf(refreshed->session), {refreshed->set_cookie}));
        } else {
          self->noSession(owned->view(), owned->host, allow_anonymous, true, done);
        }
      });
    }
    noSession(r, host, allow_anonymous, found.present, done);
  }

  // Local accounts: the session's account is still in the users file and its password has not
  // changed since the sign-in (the session's fingerprint matches). Lock-free read of the
  // accounts; true for providers.
  bool accountCurrent(const auth::Session& session) const {
    if (!setup_.users) {
      return true;
    }
    setup_.users->checkSoon(state_->submit_blocking);
    switch (setup_.users->current()->check(session)) {
      case UsersFileSource::SessionCheck::ok:
        return true;
      case UsersFileSource::SessionCheck::unknown_account:
        spdlog::info("sign-in: session of account {} refused: no longer in auth.users_file", printable(session.sub));
        return false;
      case UsersFileSource::SessionCheck::password_changed:
        spdlog::info("sign-in: session of account {} refused: its password changed since (or the session predates "
                     "password binding)",
                     printable(session.sub));
        return false;
    }
    return false;
  }

  AuthOutcome forwardMain(Identity identity, std::vector<std::string> response_cookies) {
    AuthOutcome outcome;
    outcome.plan.remove_header_prefixes.emplace_back(kIdentityHeaderPrefix);
    outcome.plan.set_headers = auth::identityHeaders({identity.sub, identity.email, identity.email_verified});
    outcome.plan.add_response_cookies = std::move(response_cookies);
    outcome.plan.user = identity.sub;
    outcome.identity = std::move(identity);
    return outcome;
  }

  void noSession(const GateRequest& r, const std::string& host, bool allow_anonymous, bool clear_cookie,
                 const Done& done) {
    std::vector<std::string> cookies;
    if (clear_cookie) {
      cookies.push_back(clearCookie(auth::kSessionCookieName));
    }
    if (allow_anonymous) {
      AuthOutcome outcome;
      outcome.plan.remove_header_prefixes.emplace_back(kIdentityHeaderPrefix);
      outcome.plan.add_response_cookies = std::move(cookies);
      return done(std::move(outcome));
    }
    const bool json = wantsJson(r);
    if (setup_.flow && !ready()) {
      return done(providerUnavailable(json, cookies));
    }
    if (json) {
      return done(answer(unauthorizedJsonReply(signInUrl(), cookies), "signin: no session"));
    }
    startSignIn(host, r.target, std::move(cookies), done);
  }

  // Where a script is told to send the user: a page load there starts the sign-in.
  std::string signInUrl() const { return setup_.users ? std::string(auth::kLoginPath) : "/"; }

  void startSignIn(const std::string& host, std::string_view target, std::vector<std::string> cookies,
                   const Done& done) {
    if (setup_.users) {
      const std::string location =
          std::string(auth::kLoginPath) + "?rd=" + auth::formEncode(auth::sanitizeReturnPath(target));
      return done(answer(redirectReply(location, cookies), "signin: to login page"));
    }
    const ReadyPtr provider = ready();
    if (!provider) {
      return done(providerUnavailable(false, cookies));
    }
    auto begun = auth::beginSignIn(provider->flow, *setup_.box, *state_->random, now(), host, target);
    if (!begun) {
      spdlog::warn("sign-in: cannot start a sign-in: {}", begun.error().reason);
      return done(answer(pageReply(400, "Unknown host", "This host name is not configured for sign-in."),
                         "signin: host not in auth.callback_hosts"));
    }
    cookies.insert(cookies.end(), begun->set_cookies.begin(), begun->set_cookies.end());
    done(answer(redirectReply(begun->location, cookies), "signin: to provider"));
  }

  void logout(const std::string& host, const Done& done) {
    if (const ReadyPtr provider = ready()) {
      auth::Redirect out = auth::signOut(provider->flow, host);
      out.set_cookies.push_back(clearCookie(auth::kLoginFlowCookieName));
      return done(answer(redirectReply(out.location, out.set_cookies), "signin: logout"));
    }
    if (setup_.flow) {
      // Signed out here; the provider's own session cannot be ended before it is discovered.
      spdlog::warn("sign-in: logout without the provider's logout: {}", setup_.endpoints->notReadyReason().value_or(""));
    }
    done(answer(redirectReply("/", {clearCookie(auth::kSessionCookieName)}),
                "signin: logout"));
  }

  // ---- renewal (single flight per cookie) -------------------------------------------------

  void refresh(const ReadyPtr& provider, std::string_view cookie, const auth::SessionPtr& session,
               RefreshWaiter waiter) {
    std::string key(cookie);
    {
      std::lock_guard lock(refresh_mutex_);
      auto [it, first] = refreshing_.try_emplace(key);
      it->second.push_back(std::move(waiter));
      if (!first) {
        return;  // another request of the same browser is renewing it; wait for that answer
      }
    }
    const auth::TokenRequest token_request = auth::refreshRequestFor(provider->flow, *session);
    setup_.client->send(tokenPost(*provider, token_request), [self = shared_from_this(), provider, key = std::move(key),
                                                              session](OutboundResult result) mutable {
      self->onRefreshAnswer(provider, std::move(key), session, std::move(result));
    });
  }

  void onRefreshAnswer(const ReadyPtr& provider, std::string key, auth::SessionPtr session, OutboundResult result) {
    if (const auto* reason = std::get_if<std::string>(&result)) {
      spdlog::warn("sign-in: session renewal failed, token endpoint unreachable: {}", *reason);
      return finishRefresh(key, std::nullopt);
    }
    auto response = std::make_shared<OutboundResponse>(std::get<OutboundResponse>(std::move(result)));
    const int status = static_cast<int>(response->status);
    provider->jwks->ensureKey(idTokenKid(status, response->body), [self = shared_from_this(), provider,
                                                                     key = std::move(key), session, response, status] {
      auto renewed = auth::finishRefresh(provider->flow, *self->setup_.box, *self->state_->random,
                                         provider->jwks->cachedKeys(), self->now(), *session, status,
                                         response->body);
      if (!renewed) {
        spdlog::warn("sign-in: session renewal refused for {}: {}", printable(session->sub), renewed.error().reason);
        return self->finishRefresh(key, std::nullopt);
      }
      if (renewed->set_cookie.size() > auth::kMaxCookieBytes) {
        spdlog::error("sign-in: renewed session cookie of {} bytes exceeds the browser limit", renewed->set_cookie.size());
        return self->finishRefresh(key, std::nullopt);
      }
      self->finishRefresh(key, std::move(renewed).value());
    });
  }

  void finishRefresh(const std::string& key, Refreshed refreshed) {
    std::vector<RefreshWaiter> waiters;
    {
      std::lock_guard lock(refresh_mutex_);
      auto it = refreshing_.find(key);
      if (it != refreshing_.end()) {
        waiters = std::move(it->second);
        refreshing_.erase(it);
      }
    }
    for (const RefreshWaiter& waiter : waiters) {
      waiter(refreshed);
    }
  }

  static OutboundRequest tokenPost(const ReadyProvider& provider, const auth::TokenRequest& token_request) {
    OutboundRequest request;
    request.method = "POST";
    request.url = provider.flow.provider.token_endpoint;
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    request.headers.emplace_back("Accept", "application/json");
    if (!token_request.authorization.empty()) {
      request.headers.emplace_back("Authorization", token_request.authorization);
    }
    request.body = token_request.body;
    return request;
  }

  // ---- /_callback -------------------------------------------------------------------------

  void callback(const GateRequest& r, const std::string& host, Done done) {
    const std::vector<std::string> clear_flow{clearCookie(auth::kLoginFlowCookieName)};
    const ReadyPtr provider = ready();
    if (!provider) {
      return done(providerUnavailable(false, clear_flow));
    }
    // RFC 9207: a provider that names itself in the answer must be the one we sent the user to
    // (mix-up defence). Cognito sends no iss; oidc-provider does.
    if (auto iss = queryParameter(r.target, "iss"); iss && *iss != provider->flow.provider.issuer) {
      spdlog::warn("sign-in: callback refused: iss parameter {} is not the configured issuer", printable(*iss));
      return done(answer(pageReply(400, "Sign-in failed", "The sign-in answer came from an unexpected provider.",
                                   clear_flow),
                         "signin: callback iss mismatch"));
    }
    auto start = auth::startCallback(provider->flow, *setup_.box, now(), host, r.target, r.cookie);
    if (!start) {
      spdlog::warn("sign-in: callback refused on {}: {}", printable(host), start.error().reason);
      return done(answer(pageReply(400, "Sign-in failed",
                                   "The sign-in could not be completed. Go back to the start page to try again.",
                                   clear_flow),
                         "signin: callback refused"));
    }
    auto started = std::make_shared<auth::CallbackStart>(std::move(start).value());
    setup_.client->send(tokenPost(*provider, started->token_request),
                        [self = shared_from_this(), provider, started, done = std::move(done)](OutboundResult result) {
                          self->onCodeExchanged(provider, started, std::move(result), done);
    });
  }

  void onCodeExchanged(const ReadyPtr& provider, const std::shared_ptr<auth::CallbackStart>& started,
                       OutboundResult result, const Done& done) {
    const std::vector<std::string> clear_flow{clearCookie(auth::kLoginFlowCookieName)};
    if (const auto* reason = std::get_if<std::string>(&result)) {
      spdlog::warn("sign-in: token endpoint unreachable: {}", *reason);
      return done(answer(pageReply(502, "Sign-in provider unreachable",
                                   "The sign-in provider could not be reached. Try again in a moment.", clear_flow),
                         "signin: token endpoint unreachable"));
    }
    auto response = std::make_shared<OutboundResponse>(std::get<OutboundResponse>(std::move(result)));
    const int status = static_cast<int>(response->status);
    provider->jwks->ensureKey(idTokenKid(status, response->body), [self = shared_from_this(), provider, started,
                                                                     response, status, done, clear_flow] {
      auto finished = auth::finishCallback(provider->flow, *self->setup_.box, *self->state_->random,
                                           provider->jwks->cachedKeys(), self->now(), *started, status,
                                           response->body);
      if (!finished) {
        spdlog::warn("sign-in: sign-in refused: {}", finished.error().reason);
        return done(answer(pageReply(401, "Sign-in failed",
                                     "The sign-in could not be verified. Go back to the start page to try again.",
                                     clear_flow),
                           "signin: token refused"));
      }
      if (const std::size_t size = largestCookie(finished->set_cookies); size > auth::kMaxCookieBytes) {
        // A browser would drop it silently and the user would bounce between here and the
        // provider forever: fail visibly instead.
        spdlog::error("sign-in: session cookie of {} bytes exceeds the {}-byte browser limit (provider tokens "
                      "too large)",
                      size, auth::kMaxCookieBytes);
        return done(answer(pageReply(500, "Sign-in failed", "The sign-in could not be stored in this browser.",
                                     clear_flow),
                           "signin: session cookie too large"));
      }
      done(answer(redirectReply(finished->location, finished->set_cookies), "signin: signed in"));
    });
  }

  // ---- runtime hand-off -------------------------------------------------------------------

  // Runtime hosts of `main_host` only, read with the router's grammar and rebuilt from their
  // parts: a session of one domain never opens an app under another, and a hand-off never sends
  // its ticket to a host that merely looks like a runtime host.
  auth::HandoffConfig handoffConfig(std::string main_host) const {
    auto runtime_host = [main = main_host, runtime = runtime_hosts_](std::string_view h) -> std::optional<std::string> {
      auto canonical = canonicalRuntimeHost(h, runtime);
      if (!canonical || mainHostOfRuntimeHost(*canonical, runtime.host_suffixes) != main) {
        return std::nullopt;
      }
      return canonical;
    };
    return auth::HandoffConfig{std::move(main_host), setup_.https, std::move(runtime_host)};
  }

  // Main host: /_gateway/handoff?host=…&rd=… with a session issues a ticket for that runtime host.
  void handoff(const GateRequest& r, const std::string& host, Done done) {
    const FoundSession found = findSession(r.cookie, host);
    if (found.state == auth::SessionState::needs_refresh && setup_.flow && !found.session->refresh_token.empty()) {
      const ReadyPtr provider = ready();
      if (!provider) {
        return done(providerUnavailable(false));
      }
      auto owned = std::make_shared<OwnedRequest>(OwnedRequest::copy(r, host));
      return refresh(provider, found.cookie, found.session,
                     [self = shared_from_this(), owned, done = std::move(done)](const Refreshed& refreshed) {
        if (refreshed) {
          self->issueTicket(owned->target, owned->host, refreshed->session, {refreshed->set_cookie}, done);
        } else {
          self->startSignIn(owned->host, owned->target, {self->clearCookie(auth::kSessionCookieName)}, done);
        }
      });
    }
    if (found.state != auth::SessionState::valid) {
      // Always a navigation (the runtime host redirected the browser here): sign in, then come back.
      std::vector<std::string> cookies;
      if (found.present) {
        cookies.push_back(clearCookie(auth::kSessionCookieName));
      }
      return startSignIn(host, r.target, std::move(cookies), done);
    }
    issueTicket(r.target, host, *found.session, {}, done);
  }

  void issueTicket(std::string_view target, const std::string& host, const auth::Session& session,
                   const std::vector<std::string>& cookies, const Done& done) {
    const auth::HandoffConfig config = handoffConfig(host);
    auto redirect = auth::handoffIssue(config, *issuer_, session, target);
    if (!redirect) {
      spdlog::warn("sign-in: hand-off refused on {}: {}", printable(host), redirect.error().reason);
      return done(answer(pageReply(400, "Bad hand-off request", "This address cannot be opened from here.", cookies),
                         "signin: hand-off refused"));
    }
    done(answer(redirectReply(redirect->location, cookies), "signin: hand-off ticket issued"));
  }

  void runtimeHost(const GateRequest& r, const std::string& host, bool allow_anonymous, Done done) {
    auto main = mainHostOfRuntimeHost(host, setup_.runtime_suffixes);
    if (!main) {
      return done(answer(pageReply(404, "Not found", "No app is served at this address."), "signin: not a runtime host"));
    }
    const auth::HandoffConfig config = handoffConfig(*main);
    const std::string_view path = pathOf(r.target);
    if (path == auth::kTicketPath) {
      if (!verifier_) {
        return done(answer(pageReply(404, "Not found", "No app is served at this address."), "signin: no ticket key"));
      }
      auto redeemed = auth::handoffRedeem(config, *verifier_, *setup_.box, *state_->random, now(), host, r.target);
      if (!redeemed) {
        spdlog::warn("sign-in: runtime ticket refused on {}: {} ({})", printable(host),
                     auth::toString(redeemed.error().code), redeemed.error().detail);
        return done(answer(pageReply(403, "Access denied", "This link has expired or was already used. Open the app "
                                                           "again from OpenHands."),
                           "signin: ticket " + std::string(auth::toString(redeemed.error().code))));
      }
      return done(answer(redirectReply(redeemed->location, redeemed->set_cookies), "signin: runtime cookie set"));
    }
    AuthOutcome outcome;
    outcome.plan.remove_header_prefixes.emplace_back(kIdentityHeaderPrefix);
    // Every copy: another runtime host may have planted one for this host (plain http only; over
    // HTTPS the __Host- name keeps them out).
    for (const std::string_view cookie : auth::findCookies(r.cookie, cookieName(auth::kRuntimeCookieName))) {
      auto opened = auth::openSessionCached(*setup_.box, state_->sessions, cookie, now(),
                                            auth::runtimeSessionPurpose(host));
      if (opened && auth::renewalDecision(**opened, now()) == auth::SessionState::valid && accountCurrent(**opened)) {
        // The app learns nothing about the user (no identity headers): with access =
        // "authenticated" it may be another user's app. The router gets the identity.
        outcome.identity = identityOf(**opened);
        outcome.plan.user = (*opened)->sub;
        return done(std::move(outcome));
      }
      if (!opened) {
        spdlog::info("sign-in: runtime cookie refused on {}: {}", printable(host), opened.error().reason);
      }
    }
    if (allow_anonymous) {
      return done(std::move(outcome));
    }
    const std::string start = auth::handoffStartUrl(config, host, r.target);
    const auth::Challenge challenge = auth::decideChallenge(
        {r.method, path, r.accept, r.sec_fetch_mode, r.websocket ? "websocket" : "", r.x_requested_with});
    if (challenge == auth::Challenge::unauthorized_json) {
      return done(answer(unauthorizedJsonReply(start), "signin: no runtime session"));
    }
    done(answer(redirectReply(start, {}), "signin: to hand-off"));
  }

  // ---- local accounts ---------------------------------------------------------------------

  void loginPage(const GateRequest& r, Done done) {
    if (r.method == "GET" || r.method == "HEAD") {
      const std::string csrf = auth::issueLoginCsrf(*setup_.box, *state_->random, now());
      const std::string rd = auth::sanitizeReturnPath(queryParameter(r.target, "rd").value_or("/"));
      return done(answer(htmlReply(200, auth::renderLoginPage({csrf, rd, "", ""}),
                                   {auth::buildSetCookie(cookieName(auth::kLoginCsrfCookieName), csrf,
                                                         {setup_.https, auth::kLoginCsrfLifetime})}),
                         "signin: login page"));
    }
    if (r.method != "POST") {
      ErrorReply reply = pageReply(405, "Method not allowed", "Use the sign-in form.");
      reply.headers.emplace_back("Allow", "GET, HEAD, POST");
      return done(answer(std::move(reply), "signin: login method"));
    }
    if (!r.body) {
      AuthOutcome outcome;
      outcome.decision = GateDecision::readBody(auth::kMaxLoginFormBytes);
      return done(std::move(outcome));
    }
    auto form = auth::parseLoginForm(*r.body);
    if (!form) {
      spdlog::warn("sign-in: login form refused: {}", form.error().reason);
      return done(answer(pageReply(400, "Bad request", "The sign-in form could not be read."), "signin: bad form"));
    }
    const auto csrf_cookies = auth::findCookies(r.cookie, cookieName(auth::kLoginCsrfCookieName));
    if (std::none_of(csrf_cookies.begin(), csrf_cookies.end(), [&](std::string_view csrf_cookie) {
          return auth::checkLoginCsrf(*setup_.box, csrf_cookie, form->csrf, now());
        })) {
      spdlog::warn("sign-in: login form without a valid CSRF token from {}", printable(r.client_ip));
      return done(answer(pageReply(403, "Form expired", "The sign-in form expired. Reload the page and sign in again."),
                         "signin: login csrf"));
    }
    // Counted before the hash runs, so parallel attempts cannot all pass (login_throttle.h).
    const auth::ThrottleDecision throttled = state_->throttle.reserve(form->username, r.client_ip);
    if (!throttled.allowed) {
      spdlog::warn("sign-in: login throttled for account {} from {} ({} s)", printable(form->username),
                   printable(r.client_ip), throttled.retry_after.count());
      return done(answer(tooManyAttemptsReply(throttled.retry_after), "signin: login throttled"));
    }
    const std::string username = form->username;
    auto job = [self = shared_from_this(), form = std::make_shared<auth::LoginForm>(std::move(form).value()),
                client_ip = std::string(r.client_ip), done]() { self->checkPassword(*form, client_ip, done); };
    if (!state_->submit_blocking(std::move(job))) {
      state_->throttle.release(username, r.client_ip);
      spdlog::warn("sign-in: password checks saturated, login refused with 503");
      ErrorReply reply = pageReply(503, "Busy", "Too many sign-ins at once. Try again in a moment.");
      reply.headers.emplace_back("Retry-After", "1");
      return done(answer(std::move(reply), "signin: login pool full"));
    }
  }

  // On a blocking-pool thread.
  void checkPassword(const auth::LoginForm& form, const std::string& client_ip, const Done& done) {
    setup_.users->refreshIfChanged();  // a user just added with `oh-gateway users add` can sign in
    // One snapshot for the check and the fingerprint: the session binds the hash that verified.
    const auto accounts = setup_.users->current();
    if (!accounts->accounts.verify(form.username, form.password)) {
      spdlog::warn("sign-in: wrong user name or password for account {} from {}", printable(form.username),
                   printable(client_ip));
      return done(answer(htmlReply(401, auth::renderLoginPage({form.csrf, form.return_path, form.username,
                                                               "Wrong user name or password."})),
                         "signin: wrong password"));
    }
    state_->throttle.recordSuccess(form.username, client_ip);
    auth::Session session = auth::localAccountSession(form.username, now(), setup_.session_lifetime);
    session.account_fingerprint = accounts->fingerprintOf(form.username);
    const std::string cookie = auth::buildSetCookie(
        cookieName(auth::kSessionCookieName), auth::sealSession(*setup_.box, session, *state_->random),
        {setup_.https, std::chrono::duration_cast<std::chrono::seconds>(session.absolute_expires_at - now())});
    spdlog::info("sign-in: account {} signed in from {}", printable(form.username), printable(client_ip));
    done(answer(redirectReply(form.return_path.empty() ? "/" : form.return_path,
                              {cookie, clearCookie(auth::kLoginCsrfCookieName)}),
                "signin: local sign-in"));
  }

  std::shared_ptr<LongLivedState> state_;
  SignInSetup setup_;
  RuntimeSettings runtime_hosts_;  // the runtime grammar's input: setup_.runtime_suffixes
  std::optional<auth::TicketIssuer> issuer_;
  std::optional<auth::TicketVerifier> verifier_;
  mutable std::atomic<ReadyPtr> ready_;
  std::mutex refresh_mutex_;
  std::unordered_map<std::string, std::vector<RefreshWaiter>> refreshing_;
};

}  // namespace

std::shared_ptr<SignIn> makeGatewaySignIn(std::shared_ptr<LongLivedState> state, SignInSetup setup) {
  return std::make_shared<GatewaySignIn>(std::move(state), std::move(setup));
}

}  // namespace oh::gateway::signin
