#include "auth/sign_in_flow.h"

#include "auth/cookies.h"
#include "test_crypto.h"
#include "test_tokens.h"

#include <boost/json.hpp>
#include <boost/url.hpp>
#include <gtest/gtest.h>

namespace oh::gateway::auth {
namespace {

using std::chrono::seconds;

// The value of a Set-Cookie line ("name=value; ...").
std::string cookieValue(const std::string& set_cookie) {
  const std::size_t eq = set_cookie.find('=');
  return set_cookie.substr(eq + 1, set_cookie.find(';') - eq - 1);
}

class SignInFlowTest : public ::testing::Test {
protected:
  SignInFlowTest() : keys_(parseJwks(test::defaultJwks()).value()) {
    config_.provider = cognitoProvider({"eu-west-1", "eu-west-1_TestPool", "oh-test"}).value();
    config_.client = {test::kClientId, "client-secret"};
    config_.callback_hosts = {"oh.example.com", "oh.example.org"};
  }

  // An ID token for `nonce`, as the provider would mint it.
  std::string idToken(const std::string& nonce, std::int64_t exp = test::kNow + 3600) {
    boost::json::object p;
    p["sub"] = "user-1";
    p["email"] = "u@example.com";
    p["email_verified"] = true;
    p["token_use"] = "id";
    p["iss"] = test::kIssuer;
    p["aud"] = test::kClientId;
    p["nonce"] = nonce;
    p["exp"] = exp;
    return test::signJwt(R"({"alg":"RS256","kid":"rsa-1"})", boost::json::serialize(p), test::TestKey::rsa1);
  }

  // Runs beginSignIn and returns (authorize URL params, Cookie header for the callback).
  std::pair<boost::urls::url, std::string> begin(std::string_view target = "/conversations/7?x=1") {
    auto r = beginSignIn(config_, box_, random_, now_, "OH.example.com", target);
    EXPECT_TRUE(r);
    EXPECT_EQ(r->set_cookies.size(), 1u);
    return {boost::urls::url(r->location), "__Host-oh_login=" + cookieValue(r->set_cookies[0])};
  }

  static std::string param(const boost::urls::url_view u, const char* key) {
    return std::string((*u.params().find(key)).value);
  }

  SignInConfig config_;
  SealedBox box_ = SealedBox::create(std::string(32, 'S')).value();
  test::CountingRandom random_;
  StaticKeys keys_;
  std::chrono::sys_seconds now_{seconds(test::kNow)};
};

// The whole happy path: authorize URL, callback, code exchange request, session cookie.
TEST_F(SignInFlowTest, FullSignIn) {
  auto [authorize, cookies] = begin();
  EXPECT_EQ(authorize.host(), "oh-test.auth.eu-west-1.amazoncognito.com");
  EXPECT_EQ(param(authorize, "redirect_uri"), "https://oh.example.com/_callback");
  const std::string state = param(authorize, "state");
  const std::string target = "/_callback?code=the-code&state=" + state;
  auto start = startCallback(config_, box_, now_ + seconds(20), "oh.example.com", target, "a=b; " + cookies);
  ASSERT_TRUE(start) << start.error().reason;
  EXPECT_NE(start->token_request.body.find("code=the-code"), std::string::npos);
  EXPECT_NE(start->token_request.body.find("code_verifier="), std::string::npos);
  EXPECT_EQ(start->token_request.authorization.rfind("Basic ", 0), 0u);

  const std::string body = R"({"id_token":")" + idToken(param(authorize, "nonce")) +
                           R"(","access_token":"at","refresh_token":"rt-1","expires_in":3600,"token_type":"Bearer"})";
  auto done = finishCallback(config_, box_, random_, keys_, now_ + seconds(21), *start, 200, body);
  ASSERT_TRUE(done) << done.error().reason;
  EXPECT_EQ(done->location, "/conversations/7?x=1");
  ASSERT_EQ(done->set_cookies.size(), 2u);
  EXPECT_EQ(done->set_cookies[0].rfind("__Host-oh_session=", 0), 0u);
  EXPECT_NE(done->set_cookies[0].find("Max-Age=2592000; HttpOnly; Secure; SameSite=Lax"), std::string::npos);
  EXPECT_EQ(done->set_cookies[1].rfind("__Host-oh_login=; Path=/; Max-Age=0", 0), 0u);
  auto session = openSession(box_, cookieValue(done->set_cookies[0]), now_ + seconds(22));
  ASSERT_TRUE(session);
  EXPECT_EQ(session->sub, "user-1");
  EXPECT_EQ(session->refresh_token, "rt-1");
}

// Hosts outside the configured list get no sign-in (400), and the configured spelling is used.
TEST_F(SignInFlowTest, CallbackHostMustBeConfigured) {
  EXPECT_EQ(callbackUrlFor(config_, "OH.EXAMPLE.ORG"), "https://oh.example.org/_callback");
  EXPECT_FALSE(callbackUrlFor(config_, "evil.example"));
  EXPECT_FALSE(callbackUrlFor(config_, "oh.example.com.evil.example"));
  EXPECT_FALSE(callbackUrlFor(config_, ""));
  EXPECT_FALSE(beginSignIn(config_, box_, random_, now_, "evil.example", "/"));
  EXPECT_FALSE(startCallback(config_, box_, now_, "evil.example", "/_callback?code=a&state=b", ""));
}

// Open-redirect attempts in the requested target come back as "/".
TEST_F(SignInFlowTest, ReturnPathIsSanitised) {
  auto [authorize, cookies] = begin("//evil.example/");
  const std::string state = param(authorize, "state");
  auto start = startCallback(config_, box_, now_, "oh.example.com", "/_callback?code=c&state=" + state, cookies);
  ASSERT_TRUE(start);
  EXPECT_EQ(start->login.return_path, "/");
}

// State mismatch (CSRF), missing or foreign flow cookie, provider errors, repeated parameters.
TEST_F(SignInFlowTest, CallbackRefusals) {
  auto [authorize, cookies] = begin();
  const std::string state = param(authorize, "state");
  auto reason = [&](std::string_view target, std::string_view cookie_header) {
    auto r = startCallback(config_, box_, now_, "oh.example.com", target, cookie_header);
    return r ? std::string("accepted") : r.error().reason;
  };
  EXPECT_EQ(reason("/_callback?code=c&state=forged", cookies), "state mismatch");
  EXPECT_NE(reason("/_callback?code=c&state=" + state, "").find("login-flow cookie"), std::string::npos);
  EXPECT_NE(reason("/_callback?code=c&state=" + state, "__Host-oh_login=garbage").find("base64url"), std::string::npos);
  EXPECT_EQ(reason("/_callback?error=access_denied&state=" + state, cookies), "provider returned error access_denied");
  EXPECT_EQ(reason("/_callback?state=" + state, cookies), "callback without code or state");
  EXPECT_EQ(reason("/_callback?code=a&code=b&state=" + state, cookies), "callback repeats the code parameter");
  EXPECT_EQ(reason("not a target", cookies), "callback target is not a valid origin-form URL");
  // Issue 16: a planted copy sent first (or after) never hides the real flow cookie.
  EXPECT_EQ(reason("/_callback?code=c&state=" + state, "__Host-oh_login=planted; " + cookies + "; __Host-oh_login=x"),
            "accepted");
  EXPECT_EQ(reason("/_callback?code=c&state=" + state, cookies), "accepted");
}

// The token answer is checked: provider error, a token for another attempt's nonce, an expired token.
TEST_F(SignInFlowTest, FinishRefusesBadTokenAnswers) {
  auto [authorize, cookies] = begin();
  auto start = startCallback(config_, box_, now_, "oh.example.com",
                             "/_callback?code=c&state=" + param(authorize, "state"), cookies);
  ASSERT_TRUE(start);
  auto finish = [&](int status, const std::string& body) {
    auto r = finishCallback(config_, box_, random_, keys_, now_, *start, status, body);
    return r ? std::string("accepted") : r.error().reason;
  };
  EXPECT_NE(finish(400, R"({"error":"invalid_grant"})").find("invalid_grant"), std::string::npos);
  EXPECT_NE(finish(200, R"({"id_token":")" + idToken("other-nonce") + "\"}").find("wrong_nonce"), std::string::npos);
  EXPECT_NE(finish(200, R"({"id_token":")" + idToken(param(authorize, "nonce"), test::kNow - 3600) + "\"}")
                .find("expired"),
            std::string::npos);
  EXPECT_EQ(finish(200, R"({"id_token":")" + idToken(param(authorize, "nonce")) + "\"}"), "accepted");
}

// Refresh: new expiry, old refresh token kept when none is returned; another user's token refused.
TEST_F(SignInFlowTest, Refresh) {
  IdTokenClaims claims;
  claims.sub = "user-1";
  claims.expires_at = now_ + seconds(60);
  const Session old = sessionFromTokens(claims, "rt-old", now_ - seconds(86400));
  EXPECT_EQ(refreshRequestFor(config_, old).body, "grant_type=refresh_token&refresh_token=rt-old");
  const std::string body = R"({"id_token":")" + idToken("ignored-on-refresh") + R"(","token_type":"Bearer"})";
  auto r = finishRefresh(config_, box_, random_, keys_, now_, old, 200, body);
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(r->session.refresh_token, "rt-old");
  EXPECT_EQ(r->session.id_token_expires_at, now_ + seconds(3600));
  EXPECT_EQ(r->session.absolute_expires_at, old.absolute_expires_at);
  EXPECT_EQ(openSession(box_, cookieValue(r->set_cookie), now_)->id_token_expires_at, now_ + seconds(3600));
  Session other = old;
  other.sub = "user-2";
  EXPECT_FALSE(finishRefresh(config_, box_, random_, keys_, now_, other, 200, body));
  EXPECT_FALSE(finishRefresh(config_, box_, random_, keys_, now_, old, 400, R"({"error":"invalid_grant"})"));
}

// Logout clears the session and goes through Cognito's /logout back to this host.
TEST_F(SignInFlowTest, SignOut) {
  const Redirect r = signOut(config_, "oh.example.org");
  EXPECT_EQ(r.location,
            "https://oh-test.auth.eu-west-1.amazoncognito.com/logout?client_id=test-client-id&logout_uri=https%3A%2F%2F"
            "oh.example.org%2F");
  ASSERT_EQ(r.set_cookies.size(), 1u);
  EXPECT_EQ(r.set_cookies[0].rfind("__Host-oh_session=; Path=/; Max-Age=0", 0), 0u);
  EXPECT_EQ(signOut(config_, "evil.example").location, "/");
}

}  // namespace
}  // namespace oh::gateway::auth
