// SignIn decisions for the code-flow providers (oidc; cognito's endpoints), through
// SignInServices::build with an in-memory provider: sign-in, callback checks, renewal (single
// flight), JWKS rotation without blocking, provider down, cookies and identity headers, the
// runtime hand-off, and what reaches the logs.

#include <gtest/gtest.h>

#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "auth/cookies.h"
#include "common/base64.h"
#include "sign_in_test_support.h"

namespace oh::gateway::signin_test {
namespace {

using std::chrono::seconds;

TestRequest page(std::string target, std::string cookie = "") {
  TestRequest r;
  r.target = std::move(target);
  r.cookie = std::move(cookie);
  return r;
}

TestRequest api(std::string target, std::string cookie = "") {
  TestRequest r = page(std::move(target), std::move(cookie));
  r.accept = "application/json";
  r.sec_fetch_mode = "cors";
  return r;
}

// Captures everything the sign-in code logs, to check what never appears there.
class LogCapture {
public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
    spdlog::set_level(spdlog::level::trace);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return text_.str(); }

private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream text_;
};

class SignInTest : public ::testing::Test {
protected:
  SignInTest() {
    SignInDependencies deps;
    deps.clock = clock_;
    deps.random = std::make_shared<auth::test::CountingRandom>();
    deps.make_client = [idp = idp_](const HttpsClient::Options& options) {
      EXPECT_FALSE(options.allow_loopback_http);
      return std::variant<std::unique_ptr<HttpsClient>, std::string>(std::make_unique<FakeClient>(idp));
    };
    deps.submit_blocking = [](std::function<void()> job) {
      job();
      return true;
    };
    deps.schedule = [scheduled = scheduled_](std::chrono::milliseconds delay, std::function<void()> job) {
      scheduled->emplace_back(delay, std::move(job));
    };
    services_ = std::make_unique<SignInServices>(std::move(deps));
  }

  // Runs the one pending scheduled job (a discovery retry); returns its delay.
  std::chrono::milliseconds runScheduled() {
    EXPECT_EQ(scheduled_->size(), 1u);
    if (scheduled_->empty()) {
      return std::chrono::milliseconds(-1);
    }
    auto [delay, job] = std::move(scheduled_->front());
    scheduled_->erase(scheduled_->begin());
    job();
    return delay;
  }

  Settings settings() const {
    Settings s;
    s.mode = Mode::aws;
    s.auth.provider = AuthProvider::oidc;
    s.auth.client_id = std::string(kClientId);
    s.auth.client_secret_file = files_.path("client.secret");
    s.auth.callback_hosts = {"oh.test", "other.test:8443"};
    s.auth.cookie_key_file = files_.path("cookie.key");
    s.auth.ticket_key_file = files_.path("ticket.key");
    s.auth.oidc.issuer = std::string(kIssuer);
    s.auth.oidc.require_token_use_id = true;
    s.runtime.enabled = true;
    s.runtime.host_suffixes = {"runtime.oh.test"};
    return s;
  }

  std::shared_ptr<SignIn> build(const Settings& s) {
    auto built = services_->build(std::make_shared<const Settings>(s));
    if (auto* problem = std::get_if<std::string>(&built)) {
      ADD_FAILURE() << *problem;
      return nullptr;
    }
    return std::get<std::shared_ptr<SignIn>>(built);
  }

  SignIn& signIn() {
    if (!sign_in_) {
      sign_in_ = build(settings());
    }
    return *sign_in_;
  }

  // The whole code flow from a page load; returns "__Host-oh_session=…".
  std::string signInFrom(const std::string& target, const std::string& host = "oh.test") {
    TestRequest first = page(target);
    first.host = host;
    auto begin = run(signIn(), first);
    EXPECT_TRUE(begin && begin->decision);
    if (!begin || !begin->decision) {
      return {};
    }
    const ErrorReply& redirect = begin->decision->reply;
    EXPECT_EQ(redirect.status, 302u);
    const std::string location = header(redirect, "Location");
    idp_->nonce = urlParam(location, "nonce");
    TestRequest callback = page("/_callback?code=the-code&state=" + urlParam(location, "state"),
                                cookiePair(redirect, "__Host-oh_login"));
    callback.host = host;
    auto done = run(signIn(), callback);
    EXPECT_TRUE(done && done->decision);
    if (!done || !done->decision) {
      return {};
    }
    EXPECT_EQ(done->decision->reply.status, 302u) << done->decision->reply.body;
    return cookiePair(done->decision->reply, "__Host-oh_session");
  }

  Files files_;
  std::shared_ptr<auth::test::FakeClock> clock_ = std::make_shared<auth::test::FakeClock>(1'800'000'000);
  std::shared_ptr<FakeIdp> idp_ = std::make_shared<FakeIdp>(*clock_);
  // Jobs handed to the injected scheduler, run by the test (runScheduled).
  std::shared_ptr<std::vector<std::pair<std::chrono::milliseconds, std::function<void()>>>> scheduled_ =
      std::make_shared<std::vector<std::pair<std::chrono::milliseconds, std::function<void()>>>>();
  std::unique_ptr<SignInServices> services_;
  std::shared_ptr<SignIn> sign_in_;
};

// This test verifies the full code flow: 302 to the provider with PKCE, state and nonce; the
// callback exchanges the code (client_secret_basic) and sets the session; the next request is
// forwarded with the identity headers and the spoofable prefix removed.
TEST_F(SignInTest, FullSignInThenForwardWithIdentity) {
  auto begin = run(signIn(), page("/conversations/7?tab=x"));
  ASSERT_TRUE(begin && begin->decision);
  const std::string location = header(begin->decision->reply, "Location");
  EXPECT_TRUE(location.starts_with("https://idp.test/auth?")) << location;
  EXPECT_EQ(urlParam(location, "code_challenge_method"), "S256");
  EXPECT_EQ(urlParam(location, "redirect_uri"), "https://oh.test/_callback");
  EXPECT_EQ(urlParam(location, "client_id"), kClientId);
  EXPECT_EQ(header(begin->decision->reply, "Cache-Control"), "no-store");

  const std::string session = signInFrom("/conversations/7?tab=x");
  ASSERT_FALSE(session.empty());
  const OutboundRequest& token_call = idp_->seen.back();
  EXPECT_EQ(token_call.url, "https://idp.test/token");
  EXPECT_NE(token_call.body.find("code_verifier="), std::string::npos);
  bool basic = false;
  for (const auto& [name, value] : token_call.headers) {
    basic = basic || (name == "Authorization" && value.starts_with("Basic "));
  }
  EXPECT_TRUE(basic);

  auto forwarded = run(signIn(), page("/api/conversations", session + "; theme=dark; oh_login=stale"));
  ASSERT_TRUE(forwarded);
  EXPECT_FALSE(forwarded->decision);
  ASSERT_TRUE(forwarded->identity);
  EXPECT_EQ(forwarded->identity->sub, "user-1");
  EXPECT_EQ(forwarded->plan.user, "user-1");
  EXPECT_EQ(forwarded->plan.remove_header_prefixes, std::vector<std::string_view>{"x-cognito-"});
  const std::vector<std::pair<std::string, std::string>> expected{
      {"X-Cognito-User-Id", "user-1"}, {"X-Cognito-Email", "user-1@example.test"}, {"X-Cognito-Email-Verified", "true"}};
  EXPECT_EQ(forwarded->plan.set_headers, expected);
  // The Cookie header is the gate's business (routing/gateway_gate.cpp strips it once).
  EXPECT_FALSE(forwarded->plan.cookie);
}

// This test verifies the callback returns to the requested same-origin path.
TEST_F(SignInTest, CallbackReturnsToTheRequestedPath) {
  auto begin = run(signIn(), page("/conversations/7?tab=x"));
  const std::string location = header(begin->decision->reply, "Location");
  idp_->nonce = urlParam(location, "nonce");
  auto done = run(signIn(), page("/_callback?code=c&state=" + urlParam(location, "state"),
                                 cookiePair(begin->decision->reply, "__Host-oh_login")));
  ASSERT_TRUE(done && done->decision);
  EXPECT_EQ(header(done->decision->reply, "Location"), "/conversations/7?tab=x");
  // The login-flow cookie is deleted.
  bool cleared = false;
  for (const std::string& line : setCookies(done->decision->reply)) {
    cleared = cleared || (line.starts_with("__Host-oh_login=;") && line.find("Max-Age=0") != std::string::npos);
  }
  EXPECT_TRUE(cleared);
}

// This test verifies hostile return paths become "/" after sign-in (no open redirect).
TEST_F(SignInTest, OpenRedirectAttemptsLandOnRoot) {
  for (const std::string target : {"//evil.example", "/\\evil.example", "https:evil.example", "/%2F%2Fevil.example",
                                   "/%2f%2Fevil.example", "/%5Cevil.example", "/%252F%252Fevil.example",
                                   "//EVIL.example/%2e%2e", "/%09/evil.example"}) {
    auto begin = run(signIn(), page(target));
    ASSERT_TRUE(begin && begin->decision) << target;
    const std::string location = header(begin->decision->reply, "Location");
    idp_->nonce = urlParam(location, "nonce");
    auto done = run(signIn(), page("/_callback?code=c&state=" + urlParam(location, "state"),
                                   cookiePair(begin->decision->reply, "__Host-oh_login")));
    ASSERT_TRUE(done && done->decision) << target;
    EXPECT_EQ(header(done->decision->reply, "Location"), "/") << target;
  }
}

// This test verifies API, XHR and WebSocket requests without a session get 401 JSON, never a
// redirect, and that a page load on an unconfigured host gets 400.
TEST_F(SignInTest, ChallengeKinds) {
  auto json = run(signIn(), api("/api/conversations"));
  ASSERT_TRUE(json && json->decision);
  EXPECT_EQ(json->decision->reply.status, 401u);
  EXPECT_EQ(json->decision->reply.content_type, "application/json");
  TestRequest socket = page("/socket.io/?EIO=4");
  socket.websocket = true;
  auto ws = run(signIn(), socket);
  EXPECT_EQ(ws->decision->reply.status, 401u);
  TestRequest xhr = page("/");
  xhr.x_requested_with = "XMLHttpRequest";
  EXPECT_EQ(run(signIn(), xhr)->decision->reply.status, 401u);
  TestRequest post = page("/");
  post.method = "POST";
  EXPECT_EQ(run(signIn(), post)->decision->reply.status, 401u);
  TestRequest elsewhere = page("/");
  elsewhere.host = "evil.test";
  EXPECT_EQ(run(signIn(), elsewhere)->decision->reply.status, 400u);
  // The gateway's own paths never redirect into a loop.
  EXPECT_EQ(run(signIn(), page("/_gateway/whatever"))->decision->reply.status, 401u);
}

// This test verifies a second configured host uses its own spelling in the callback URL.
TEST_F(SignInTest, SecondCallbackHost) {
  TestRequest r = page("/");
  r.host = "OTHER.test:8443";
  auto begin = run(signIn(), r);
  EXPECT_EQ(urlParam(header(begin->decision->reply, "Location"), "redirect_uri"), "https://other.test:8443/_callback");
  EXPECT_FALSE(signInFrom("/", "other.test:8443").empty());
}

// This test verifies a state mismatch, a missing login cookie and a foreign host are refused
// before any token request is made.
TEST_F(SignInTest, CallbackRefusals) {
  auto begin = run(signIn(), page("/"));
  const std::string location = header(begin->decision->reply, "Location");
  const std::string flow = cookiePair(begin->decision->reply, "__Host-oh_login");
  const std::size_t calls = idp_->seen.size();
  EXPECT_EQ(run(signIn(), page("/_callback?code=c&state=wrong", flow))->decision->reply.status, 400u);
  EXPECT_EQ(run(signIn(), page("/_callback?code=c&state=" + urlParam(location, "state")))->decision->reply.status, 400u);
  TestRequest foreign = page("/_callback?code=c&state=" + urlParam(location, "state"), flow);
  foreign.host = "evil.test";
  EXPECT_EQ(run(signIn(), foreign)->decision->reply.status, 400u);
  // RFC 9207: an iss naming another provider.
  EXPECT_EQ(run(signIn(), page("/_callback?code=c&iss=https%3A%2F%2Fevil.test&state=" + urlParam(location, "state"), flow))
                ->decision->reply.status,
            400u);
  EXPECT_EQ(idp_->seen.size(), calls);
  // The right iss is accepted.
  idp_->nonce = urlParam(location, "nonce");
  EXPECT_EQ(run(signIn(), page("/_callback?code=c&iss=https%3A%2F%2Fidp.test&state=" + urlParam(location, "state"), flow))
                ->decision->reply.status,
            302u);
}

// This test verifies a token with the wrong nonce (a replayed answer) is refused with 401.
TEST_F(SignInTest, WrongNonceRefused) {
  auto begin = run(signIn(), page("/"));
  const std::string location = header(begin->decision->reply, "Location");
  idp_->nonce = "another-attempt";
  auto done = run(signIn(), page("/_callback?code=c&state=" + urlParam(location, "state"),
                                 cookiePair(begin->decision->reply, "__Host-oh_login")));
  EXPECT_EQ(done->decision->reply.status, 401u);
  EXPECT_TRUE(cookiePair(done->decision->reply, "__Host-oh_session").empty());
}

// This test verifies the bad-token matrix through the whole callback: each ID token is refused
// with 401, no session cookie, and a log line naming the reason (never the token).
TEST_F(SignInTest, BadTokenMatrix) {
  using auth::test::TestKey;
  const std::string rs256 = R"({"alg":"RS256","kid":"k1"})";
  auto with = [this](const std::string& key, const boost::json::value& value) {
    auto claims = boost::json::parse(idp_->claimsJson(true)).as_object();
    claims[key] = value;
    return boost::json::serialize(claims);
  };
  auto b64 = [](std::string_view text) { return common::base64UrlEncode(text); };
  const std::int64_t now = clock_->now().time_since_epoch().count();
  struct Case {
    std::string name;
    std::function<std::string()> token;
    std::string logged;
  };
  const std::vector<Case> cases{
      {"alg none", [&] { return b64(R"({"alg":"none","kid":"k1"})") + "." + b64(idp_->claimsJson(true)) + "."; },
       "malformed"},
      {"alg None with a signature",
       [&] { return b64(R"({"alg":"None","kid":"k1"})") + "." + b64(idp_->claimsJson(true)) + "." + b64("sig"); },
       "alg_none"},
      {"HS256 with the public key",
       [&] {
         return auth::test::signHs256(R"({"alg":"HS256","kid":"k1"})", idp_->claimsJson(true),
                                      auth::test::publicKeyPem(TestKey::rsa1));
       },
       "alg_hmac"},
      {"unknown kid", [&] { return auth::test::signJwt(R"({"alg":"RS256","kid":"nope"})", idp_->claimsJson(true), TestKey::rsa1); },
       "unknown_kid"},
      {"missing kid", [&] { return auth::test::signJwt(R"({"alg":"RS256"})", idp_->claimsJson(true), TestKey::rsa1); },
       "missing_kid"},
      {"signed by another key", [&] { return auth::test::signJwt(rs256, idp_->claimsJson(true), TestKey::rsa2); },
       "bad_signature"},
      {"expired", [&] { return auth::test::signJwt(rs256, with("exp", now - 3600), TestKey::rsa1); }, "expired"},
      {"not yet valid", [&] { return auth::test::signJwt(rs256, with("nbf", now + 3600), TestKey::rsa1); },
       "not_yet_valid"},
      {"wrong iss", [&] { return auth::test::signJwt(rs256, with("iss", "https://evil.test"), TestKey::rsa1); },
       "wrong_issuer"},
      {"wrong aud", [&] { return auth::test::signJwt(rs256, with("aud", "other-client"), TestKey::rsa1); },
       "wrong_audience"},
      {"token_use access", [&] { return auth::test::signJwt(rs256, with("token_use", "access"), TestKey::rsa1); },
       "wrong_token_use"},
      {"wrong nonce", [&] { return auth::test::signJwt(rs256, with("nonce", "other"), TestKey::rsa1); }, "wrong_nonce"},
      {"tampered payload",
       [&] {
         const std::string good = auth::test::signJwt(rs256, idp_->claimsJson(true), TestKey::rsa1);
         const std::size_t dot1 = good.find('.');
         const std::size_t dot2 = good.find('.', dot1 + 1);
         return good.substr(0, dot1 + 1) + b64(with("sub", "admin")) + good.substr(dot2);
       },
       "bad_signature"},
      {"truncated",
       [&] {
         const std::string good = auth::test::signJwt(rs256, idp_->claimsJson(true), TestKey::rsa1);
         return good.substr(0, good.size() - 10);
       },
       "refused"},
      {"100 KB", [&] { return auth::test::signJwt(rs256, with("pad", boost::json::string(std::string(100 * 1024, 'x'))), TestKey::rsa1); },
       "too large"},
      {"not base64url", [&] { return std::string("eyJ!!!.eyJ***.abc"); }, "bad_base64"},
  };
  for (const Case& c : cases) {
    LogCapture logs;
    idp_->id_token_override = c.token;
    auto begin = run(signIn(), page("/"));
    const std::string location = header(begin->decision->reply, "Location");
    idp_->nonce = urlParam(location, "nonce");
    auto done = run(signIn(), page("/_callback?code=c&state=" + urlParam(location, "state"),
                                   cookiePair(begin->decision->reply, "__Host-oh_login")));
    ASSERT_TRUE(done && done->decision) << c.name;
    EXPECT_EQ(done->decision->reply.status, 401u) << c.name;
    EXPECT_TRUE(cookiePair(done->decision->reply, "__Host-oh_session").empty()) << c.name;
    const std::string text = logs.text();
    EXPECT_NE(text.find(c.logged), std::string::npos) << c.name << ": " << text;
    const std::string token = c.token();
    EXPECT_EQ(text.find(token.substr(0, std::min<std::size_t>(token.size(), 60))), std::string::npos) << c.name;
  }
}

// This test verifies tokens too large for a cookie fail visibly (500) instead of looping.
TEST_F(SignInTest, OversizedSessionCookieRefused) {
  idp_->refresh_token = std::string(5000, 'r');
  auto begin = run(signIn(), page("/"));
  const std::string location = header(begin->decision->reply, "Location");
  idp_->nonce = urlParam(location, "nonce");
  auto done = run(signIn(), page("/_callback?code=c&state=" + urlParam(location, "state"),
                                 cookiePair(begin->decision->reply, "__Host-oh_login")));
  ASSERT_TRUE(done && done->decision);
  EXPECT_EQ(done->decision->reply.status, 500u);
  EXPECT_TRUE(cookiePair(done->decision->reply, "__Host-oh_session").empty());
}

// This test verifies the client secret comes from $OH_GATEWAY_CLIENT_SECRET when no file is set.
TEST_F(SignInTest, ClientSecretFromEnvironment) {
  ::setenv("OH_GATEWAY_CLIENT_SECRET", "secret-from-env", 1);
  Settings s = settings();
  s.auth.client_secret_file.clear();
  sign_in_ = build(s);
  ::unsetenv("OH_GATEWAY_CLIENT_SECRET");
  EXPECT_FALSE(signInFrom("/").empty());
  std::string authorization;
  for (const auto& [name, value] : idp_->seen.back().headers) {
    if (name == "Authorization") {
      authorization = value;
    }
  }
  // Basic base64(client-1:secret-from-env)
  EXPECT_EQ(authorization, "Basic " + common::base64Encode(std::string(kClientId) + ":secret-from-env"));
}

// This test verifies tampered, truncated and foreign session cookies are refused and deleted.
TEST_F(SignInTest, TamperedCookiesRefused) {
  const std::string session = signInFrom("/");
  std::string flipped = session;
  flipped[flipped.size() - 5] = flipped[flipped.size() - 5] == 'A' ? 'B' : 'A';
  for (const std::string& cookie : {flipped, session.substr(0, session.size() - 10), std::string("__Host-oh_session=garbage"),
                                    std::string("__Host-oh_session=") + std::string(9000, 'A')}) {
    auto outcome = run(signIn(), api("/api/x", cookie));
    ASSERT_TRUE(outcome && outcome->decision);
    EXPECT_EQ(outcome->decision->reply.status, 401u);
    bool cleared = false;
    for (const std::string& line : setCookies(outcome->decision->reply)) {
      cleared = cleared || line.starts_with("__Host-oh_session=;");
    }
    EXPECT_TRUE(cleared);
  }
}

// This test verifies anonymous access (runtime.access = public) forwards without identity but
// still strips spoofed identity headers.
TEST_F(SignInTest, AnonymousAllowedStillStripsIdentityHeaders) {
  auto outcome = run(signIn(), api("/"), HostRole::main, true);
  ASSERT_TRUE(outcome);
  EXPECT_FALSE(outcome->decision);
  EXPECT_FALSE(outcome->identity);
  EXPECT_EQ(outcome->plan.remove_header_prefixes, std::vector<std::string_view>{"x-cognito-"});
  EXPECT_TRUE(outcome->plan.set_headers.empty());
}

// This test verifies silent renewal: after the ID token expires, one request renews with the
// refresh token and forwards with a rewritten cookie; concurrent requests share one renewal.
TEST_F(SignInTest, SilentRenewalIsSingleFlight) {
  idp_->id_token_ttl = 600;
  const std::string session = signInFrom("/");
  clock_->advance(seconds(700));
  idp_->hold = true;
  auto first = std::make_shared<std::optional<AuthOutcome>>();
  auto second = std::make_shared<std::optional<AuthOutcome>>();
  EXPECT_FALSE(run(signIn(), api("/api/a", session), HostRole::main, false, first));
  EXPECT_FALSE(run(signIn(), page("/b", session), HostRole::main, false, second));
  ASSERT_EQ(idp_->held.size(), 1u);  // one token call for both requests
  EXPECT_NE(idp_->held[0].first.body.find("grant_type=refresh_token"), std::string::npos);
  EXPECT_NE(idp_->held[0].first.body.find(std::string(kRefreshToken)), std::string::npos);
  idp_->hold = false;
  idp_->releaseAll();
  for (const auto& outcome : {first, second}) {
    ASSERT_TRUE(outcome->has_value());
    EXPECT_FALSE((*outcome)->decision);
    EXPECT_EQ((*outcome)->identity->sub, "user-1");
    ASSERT_EQ((*outcome)->plan.add_response_cookies.size(), 1u);
    EXPECT_TRUE((*outcome)->plan.add_response_cookies[0].starts_with("__Host-oh_session="));
  }
  // The renewed cookie works without another call.
  const std::string renewed = cookiePair((*first)->plan.add_response_cookies, "__Host-oh_session");
  const std::size_t calls = idp_->seen.size();
  EXPECT_TRUE(run(signIn(), api("/api/c", renewed))->identity);
  EXPECT_EQ(idp_->seen.size(), calls);
}

// This test verifies a refused renewal clears the cookie and challenges (302 page, 401 API).
TEST_F(SignInTest, RefusedRenewalSignsOut) {
  idp_->id_token_ttl = 600;
  const std::string session = signInFrom("/");
  clock_->advance(seconds(700));
  idp_->refuse_refresh = true;
  auto outcome = run(signIn(), api("/api/a", session));
  ASSERT_TRUE(outcome && outcome->decision);
  EXPECT_EQ(outcome->decision->reply.status, 401u);
  EXPECT_FALSE(setCookies(outcome->decision->reply).empty());
  auto navigation = run(signIn(), page("/b", session));
  EXPECT_EQ(navigation->decision->reply.status, 302u);
  EXPECT_TRUE(header(navigation->decision->reply, "Location").starts_with("https://idp.test/auth"));
}

// This test verifies that with the provider down, a valid session keeps working (no call is
// needed), a sign-in fails with 502, and a renewal fails closed.
TEST_F(SignInTest, ProviderDown) {
  idp_->id_token_ttl = 600;
  const std::string session = signInFrom("/");
  idp_->down = true;
  EXPECT_TRUE(run(signIn(), api("/api/a", session))->identity);
  auto begin = run(signIn(), page("/"));
  const std::string location = header(begin->decision->reply, "Location");
  auto done = run(signIn(), page("/_callback?code=c&state=" + urlParam(location, "state"),
                                 cookiePair(begin->decision->reply, "__Host-oh_login")));
  EXPECT_EQ(done->decision->reply.status, 502u);
  clock_->advance(seconds(700));
  EXPECT_EQ(run(signIn(), api("/api/a", session))->decision->reply.status, 401u);
}

// This test verifies JWKS rotation: a token signed with a new kid makes one asynchronous JWKS
// fetch (not a blocking one), after which the sign-in succeeds; old-key sessions stay valid.
TEST_F(SignInTest, JwksRotationRefetchesOnce) {
  const std::string before = signInFrom("/");
  ASSERT_FALSE(before.empty());
  EXPECT_EQ(idp_->count("/jwks"), 1u);  // at build
  idp_->jwks = {{"k2", auth::test::TestKey::rsa2, ""}, {"k1", auth::test::TestKey::rsa1, ""}};
  idp_->signing_kid = "k2";
  idp_->signing_key = auth::test::TestKey::rsa2;
  clock_->advance(seconds(120));
  const std::string after = signInFrom("/");
  EXPECT_FALSE(after.empty());
  EXPECT_EQ(idp_->count("/jwks"), 2u);
  EXPECT_TRUE(run(signIn(), api("/api/a", before))->identity);
  // A token with an unknown kid within the minute does not fetch again.
  idp_->signing_kid = "k3";
  auto begin = run(signIn(), page("/"));
  const std::string location = header(begin->decision->reply, "Location");
  idp_->nonce = urlParam(location, "nonce");
  auto done = run(signIn(), page("/_callback?code=c&state=" + urlParam(location, "state"),
                                 cookiePair(begin->decision->reply, "__Host-oh_login")));
  EXPECT_EQ(done->decision->reply.status, 401u);
  EXPECT_EQ(idp_->count("/jwks"), 2u);
}

// This test verifies the runtime hand-off: runtime host -> main host hand-off -> ticket ->
// runtime cookie; the runtime request is forwarded with every platform cookie removed and no
// identity headers; a replayed ticket and one redeemed on another host get 403.
TEST_F(SignInTest, RuntimeHandOff) {
  const std::string session = signInFrom("/");
  TestRequest app = page("/index.html?x=1");
  app.host = "3000-abcdef123456.runtime.oh.test";
  auto start = run(signIn(), app, HostRole::runtime);
  ASSERT_TRUE(start && start->decision);
  EXPECT_EQ(start->decision->reply.status, 302u);
  const std::string handoff = header(start->decision->reply, "Location");
  ASSERT_TRUE(handoff.starts_with("https://oh.test/_gateway/handoff?")) << handoff;

  auto issued = run(signIn(), page(handoff.substr(std::string("https://oh.test").size()), session));
  ASSERT_TRUE(issued && issued->decision);
  const std::string ticket_url = header(issued->decision->reply, "Location");
  ASSERT_TRUE(ticket_url.starts_with("https://3000-abcdef123456.runtime.oh.test/_gateway/ticket?")) << ticket_url;
  const std::string ticket_target = ticket_url.substr(ticket_url.find("/_gateway/ticket"));

  TestRequest redeem = app;
  redeem.target = ticket_target;
  auto redeemed = run(signIn(), redeem, HostRole::runtime);
  ASSERT_TRUE(redeemed && redeemed->decision);
  EXPECT_EQ(redeemed->decision->reply.status, 302u);
  EXPECT_EQ(header(redeemed->decision->reply, "Location"), "/index.html?x=1");
  const std::string runtime_cookie = cookiePair(redeemed->decision->reply, "__Host-oh_runtime");
  ASSERT_FALSE(runtime_cookie.empty());

  app.cookie = runtime_cookie + "; " + session + "; app=1";
  auto forwarded = run(signIn(), app, HostRole::runtime);
  ASSERT_TRUE(forwarded);
  EXPECT_FALSE(forwarded->decision);
  EXPECT_EQ(forwarded->identity->sub, "user-1");
  EXPECT_TRUE(forwarded->plan.set_headers.empty());
  EXPECT_FALSE(forwarded->plan.cookie);  // the gate strips every platform cookie for the app
  EXPECT_EQ(forwarded->plan.remove_header_prefixes, std::vector<std::string_view>{"x-cognito-"});

  // Replayed.
  EXPECT_EQ(run(signIn(), redeem, HostRole::runtime)->decision->reply.status, 403u);
  // Misbound: a fresh ticket for one host, redeemed on another.
  auto again = run(signIn(), page(handoff.substr(std::string("https://oh.test").size()), session));
  TestRequest other = redeem;
  other.host = "3001-abcdef123456.runtime.oh.test";
  const std::string fresh = header(again->decision->reply, "Location");
  other.target = fresh.substr(fresh.find("/_gateway/ticket"));
  EXPECT_EQ(run(signIn(), other, HostRole::runtime)->decision->reply.status, 403u);
  // The main session cookie alone never opens a runtime host.
  TestRequest main_cookie_only = app;
  main_cookie_only.cookie = session;
  EXPECT_EQ(run(signIn(), main_cookie_only, HostRole::runtime)->decision->reply.status, 302u);
  // A runtime cookie is bound to its host.
  TestRequest moved = app;
  moved.host = "3001-abcdef123456.runtime.oh.test";
  EXPECT_EQ(run(signIn(), moved, HostRole::runtime)->decision->reply.status, 302u);
}

// This test verifies the main host issues tickets only for runtime hosts under its own suffix.
TEST_F(SignInTest, HandOffOnlyForOwnRuntimeHosts) {
  const std::string session = signInFrom("/");
  for (const std::string host : {"3000-abc.runtime.evil.test", "evil.test", "a.b.runtime.oh.test", "runtime.oh.test"}) {
    auto out = run(signIn(), page("/_gateway/handoff?host=" + host + "&rd=%2F", session));
    ASSERT_TRUE(out && out->decision);
    EXPECT_EQ(out->decision->reply.status, 400u) << host;
  }
  // Without a session the hand-off URL starts a sign-in that returns to it.
  auto anonymous = run(signIn(), page("/_gateway/handoff?host=3000-abcdef123456.runtime.oh.test&rd=%2F"));
  EXPECT_EQ(anonymous->decision->reply.status, 302u);
  EXPECT_TRUE(header(anonymous->decision->reply, "Location").starts_with("https://idp.test/auth"));
}

// This test verifies /_logout clears the session and sends the browser to the provider's logout.
TEST_F(SignInTest, Logout) {
  const std::string session = signInFrom("/");
  auto out = run(signIn(), page("/_logout", session));
  ASSERT_TRUE(out && out->decision);
  EXPECT_EQ(out->decision->reply.status, 302u);
  EXPECT_TRUE(header(out->decision->reply, "Location").starts_with("https://idp.test/session/end?"));
  bool cleared = false;
  for (const std::string& line : setCookies(out->decision->reply)) {
    cleared = cleared || (line.starts_with("__Host-oh_session=;") && line.find("Max-Age=0") != std::string::npos);
  }
  EXPECT_TRUE(cleared);
}

// This test verifies tokens, the client secret and the refresh token never reach the logs,
// while refusals are logged with a reason.
TEST_F(SignInTest, SecretsNeverLogged) {
  LogCapture logs;
  idp_->id_token_ttl = 600;
  const std::string session = signInFrom("/");
  clock_->advance(seconds(700));
  EXPECT_TRUE(run(signIn(), api("/api/a", session))->identity);
  idp_->refuse_refresh = true;
  clock_->advance(seconds(700));
  run(signIn(), api("/api/a", session));
  run(signIn(), page("/_callback?code=secret-code&state=x", "__Host-oh_login=junk"));
  const std::string text = logs.text();
  EXPECT_EQ(text.find(kClientSecret), std::string::npos);
  EXPECT_EQ(text.find(kRefreshToken), std::string::npos);
  EXPECT_EQ(text.find("secret-code"), std::string::npos);
  EXPECT_EQ(text.find("access-token-value"), std::string::npos);
  EXPECT_EQ(text.find(session.substr(11, 40)), std::string::npos);
  EXPECT_NE(text.find("renewal refused"), std::string::npos) << text;
  EXPECT_NE(text.find("callback refused"), std::string::npos) << text;
}

// This test verifies build problems are reported with their key and a reload keeps working.
TEST_F(SignInTest, BuildProblems) {
  Settings s = settings();
  s.auth.cookie_key_file = files_.path("missing.key");
  auto built = services_->build(std::make_shared<const Settings>(s));
  ASSERT_TRUE(std::holds_alternative<std::string>(built));
  EXPECT_TRUE(std::get<std::string>(built).starts_with("auth.cookie_key_file:")) << std::get<std::string>(built);

  s = settings();
  s.auth.ticket_key_file = s.auth.cookie_key_file;
  built = services_->build(std::make_shared<const Settings>(s));
  ASSERT_TRUE(std::holds_alternative<std::string>(built));
  EXPECT_TRUE(std::get<std::string>(built).starts_with("auth.ticket_key_file:"));

  // An unreachable provider, or a discovery document naming another issuer, is not a build
  // problem: the sign-in is built and not ready (DiscoveryRetriedInBackground).
  idp_->down = true;
  built = services_->build(std::make_shared<const Settings>(settings()));
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<SignIn>>(built));
  EXPECT_TRUE(std::get<std::shared_ptr<SignIn>>(built)->notReadyReason());

  idp_->down = false;
  idp_->discovery_issuer = "https://other.test";
  built = services_->build(std::make_shared<const Settings>(settings()));
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<SignIn>>(built));
  const auto reason = std::get<std::shared_ptr<SignIn>>(built)->notReadyReason();
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("discovery document refused"), std::string::npos) << *reason;

  s = settings();
  s.auth.provider = AuthProvider::none;
  s.mode = Mode::local;
  built = services_->build(std::make_shared<const Settings>(s));
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<SignIn>>(built));
  EXPECT_EQ(std::get<std::shared_ptr<SignIn>>(built), nullptr);
}

// This test verifies a reload with a rotated cookie key: sessions sealed with the previous key
// keep working while it is configured as previous, and stop when it is dropped.
TEST_F(SignInTest, CookieKeyRotation) {
  Settings s = settings();
  s.auth.cookie_key_file = files_.path("cookie-old.key");
  sign_in_ = build(s);
  const std::string session = signInFrom("/");
  s.auth.cookie_key_file = files_.path("cookie.key");
  s.auth.cookie_previous_key_file = files_.path("cookie-old.key");
  sign_in_ = build(s);
  EXPECT_TRUE(run(signIn(), api("/api/a", session))->identity);
  s.auth.cookie_previous_key_file.clear();
  sign_in_ = build(s);
  EXPECT_EQ(run(signIn(), api("/api/a", session))->decision->reply.status, 401u);
}

// This test verifies Cognito's derived endpoints and the Cognito logout URL.
TEST_F(SignInTest, CognitoEndpoints) {
  Settings s = settings();
  s.auth.provider = AuthProvider::cognito;
  s.auth.oidc = {};
  s.auth.cognito = {"eu-west-1", "eu-west-1_AbC123", "oh-test"};
  sign_in_ = build(s);
  EXPECT_EQ(idp_->count("cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json"), 1u);
  auto begin = run(signIn(), page("/"));
  EXPECT_TRUE(header(begin->decision->reply, "Location")
                  .starts_with("https://oh-test.auth.eu-west-1.amazoncognito.com/oauth2/authorize?"));
  auto out = run(signIn(), page("/_logout"));
  const std::string logout = header(out->decision->reply, "Location");
  EXPECT_TRUE(logout.starts_with("https://oh-test.auth.eu-west-1.amazoncognito.com/logout?")) << logout;
  EXPECT_EQ(urlParam(logout, "logout_uri"), "https://oh.test/");
}

// This test verifies an unreachable provider at start: the sign-in is built but not ready,
// pages get a 503 page and scripts 503 JSON, both with Retry-After, the callback 503; discovery
// is retried with doubling delays capped at 30 s, and once the provider answers, sign-in works
// without a rebuild and nothing more is scheduled.
TEST_F(SignInTest, DiscoveryRetriedInBackground) {
  idp_->down = true;
  sign_in_ = build(settings());
  ASSERT_TRUE(sign_in_);
  const auto reason = signIn().notReadyReason();
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("OIDC discovery of https://idp.test failed: OIDC discovery: connect"), std::string::npos)
      << *reason;
  EXPECT_EQ(idp_->count("/.well-known/openid-configuration"), 1u);

  auto html = run(signIn(), page("/conversations/1"));
  ASSERT_TRUE(html && html->decision);
  EXPECT_EQ(html->decision->reply.status, 503u);
  EXPECT_EQ(header(html->decision->reply, "Retry-After"), "1");
  EXPECT_TRUE(html->decision->reply.content_type.starts_with("text/html"));
  EXPECT_EQ(header(html->decision->reply, "Cache-Control"), "no-store");
  for (TestRequest script : {api("/api/conversations"), page("/socket.io/?EIO=4")}) {
    script.websocket = script.target.starts_with("/socket.io");
    auto json = run(signIn(), script);
    ASSERT_TRUE(json && json->decision) << script.target;
    EXPECT_EQ(json->decision->reply.status, 503u) << script.target;
    EXPECT_EQ(json->decision->reply.content_type, "application/json") << script.target;
    EXPECT_TRUE(boost::json::parse(json->decision->reply.body).as_object().contains("error"));
    EXPECT_EQ(header(json->decision->reply, "Retry-After"), "1");
  }
  EXPECT_EQ(run(signIn(), page("/_callback?code=c&state=s", "__Host-oh_login=x"))->decision->reply.status, 503u);
  // Logout still signs out of the gateway.
  auto out = run(signIn(), page("/_logout", "__Host-oh_session=x"));
  EXPECT_EQ(out->decision->reply.status, 302u);
  EXPECT_EQ(header(out->decision->reply, "Location"), "/");

  // Failed retries double the delay up to the cap; Retry-After follows it.
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 7; ++i) {
    delays.push_back(runScheduled().count());
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{1000, 2000, 4000, 8000, 16000, 30000, 30000}));
  EXPECT_EQ(header(run(signIn(), page("/"))->decision->reply, "Retry-After"), "30");
  EXPECT_EQ(idp_->count("/.well-known/openid-configuration"), 8u);

  idp_->down = false;
  EXPECT_EQ(runScheduled().count(), 30000);
  EXPECT_TRUE(scheduled_->empty());
  EXPECT_FALSE(signIn().notReadyReason());
  const std::string session = signInFrom("/");
  ASSERT_FALSE(session.empty());
  EXPECT_EQ(run(signIn(), api("/api/a", session))->identity->sub, "user-1");
}

// This test verifies a session cookie needs no provider: after a restart with the provider
// down, a valid session is still forwarded while new sign-ins get 503.
TEST_F(SignInTest, ValidSessionWorksBeforeDiscovery) {
  const std::string session = signInFrom("/");
  idp_->down = true;
  SignInDependencies deps;
  deps.clock = clock_;
  deps.random = std::make_shared<auth::test::CountingRandom>();
  deps.make_client = [idp = idp_](const HttpsClient::Options&) {
    return std::variant<std::unique_ptr<HttpsClient>, std::string>(std::make_unique<FakeClient>(idp));
  };
  deps.schedule = [](std::chrono::milliseconds, std::function<void()>) {};
  SignInServices restarted(std::move(deps));
  auto built = restarted.build(std::make_shared<const Settings>(settings()));
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<SignIn>>(built));
  SignIn& after = *std::get<std::shared_ptr<SignIn>>(built);
  EXPECT_TRUE(after.notReadyReason());
  auto forwarded = run(after, api("/api/a", session));
  ASSERT_TRUE(forwarded);
  EXPECT_FALSE(forwarded->decision);
  EXPECT_EQ(forwarded->identity->sub, "user-1");
  EXPECT_EQ(run(after, api("/api/a"))->decision->reply.status, 503u);
}

// This test verifies reloads keep the discovery: a discovered provider is not fetched again
// (a reload while it is down still signs in), and a reload while discovery is pending starts
// no second retry loop; the pending retry then serves both configurations.
TEST_F(SignInTest, DiscoverySurvivesReloads) {
  sign_in_ = build(settings());
  EXPECT_EQ(idp_->count("/.well-known/openid-configuration"), 1u);
  idp_->down = true;
  sign_in_ = build(settings());
  EXPECT_EQ(idp_->count("/.well-known/openid-configuration"), 1u);
  EXPECT_FALSE(signIn().notReadyReason());
  auto begin = run(signIn(), page("/"));
  EXPECT_EQ(begin->decision->reply.status, 302u);
  EXPECT_TRUE(scheduled_->empty());

  // Other discovery options: discovered anew; pending across a reload.
  Settings other = settings();
  other.auth.oidc.require_token_use_id = false;
  auto first = build(other);
  ASSERT_TRUE(first && first->notReadyReason());
  EXPECT_EQ(scheduled_->size(), 1u);
  auto second = build(other);
  ASSERT_TRUE(second && second->notReadyReason());
  EXPECT_EQ(scheduled_->size(), 1u);
  idp_->down = false;
  runScheduled();
  EXPECT_FALSE(first->notReadyReason());
  EXPECT_FALSE(second->notReadyReason());
  EXPECT_TRUE(scheduled_->empty());
}

// This test verifies a reload to a configuration without the OIDC provider ends its pending
// retry loop: the scheduled retry then sends nothing.
TEST_F(SignInTest, ReloadAwayFromOidcStopsRetries) {
  idp_->down = true;
  sign_in_ = build(settings());
  ASSERT_EQ(scheduled_->size(), 1u);
  Settings s = settings();
  s.auth.provider = AuthProvider::cognito;
  s.auth.oidc = {};
  s.auth.cognito = {"eu-west-1", "eu-west-1_AbC123", "oh-test"};
  ASSERT_TRUE(build(s));
  const std::size_t discoveries = idp_->count("/.well-known/openid-configuration");
  idp_->down = false;
  runScheduled();
  EXPECT_EQ(idp_->count("/.well-known/openid-configuration"), discoveries);
  EXPECT_TRUE(scheduled_->empty());
}

}  // namespace
}  // namespace oh::gateway::signin_test
