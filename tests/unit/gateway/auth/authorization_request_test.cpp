#include "auth/authorization_request.h"

#include "test_crypto.h"

#include <boost/url.hpp>
#include <gtest/gtest.h>

namespace oh::gateway::auth {
namespace {

// RFC 7636 appendix B test vector.
TEST(PkceTest, S256MatchesRfc7636Vector) {
  EXPECT_EQ(codeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

// Verifiers are 43-128 characters of the unreserved alphabet, whatever length is asked.
TEST(PkceTest, VerifierLengthAndAlphabet) {
  test::CountingRandom random;
  for (std::size_t n : {0u, 43u, 64u, 100u, 128u, 500u}) {
    const std::string v = makeCodeVerifier(random, n);
    EXPECT_GE(v.size(), 43u);
    EXPECT_LE(v.size(), 128u);
    EXPECT_EQ(v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
  }
}

// state, nonce and verifier differ from each other and between attempts.
TEST(PkceTest, PendingLoginsAreFresh) {
  common::SystemRandomSource random;
  const PendingLogin a = newPendingLogin(random, "/x");
  const PendingLogin b = newPendingLogin(random, "/x");
  EXPECT_EQ(a.state.size(), 43u);
  EXPECT_NE(a.state, a.nonce);
  EXPECT_NE(a.state, b.state);
  EXPECT_NE(a.code_verifier, b.code_verifier);
}

// The authorize URL carries every parameter, properly encoded, and keeps the endpoint's own query.
TEST(AuthorizeUrlTest, BuildsEncodedUrl) {
  OidcProvider p;
  p.authorization_endpoint = "https://idp.example.com/auth?tenant=a%20b";
  PendingLogin login{"st&ate", "no=nce", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "/"};
  const std::string url =
      buildAuthorizeUrl(p, {"client id", "https://oh.example.com/_callback?x=1&y=2", "openid email"}, login);
  auto parsed = boost::urls::parse_absolute_uri(url);
  ASSERT_TRUE(parsed);
  auto params = parsed->params();
  auto get = [&](const char* key) { return std::string((*params.find(key)).value); };
  EXPECT_EQ(get("tenant"), "a b");
  EXPECT_EQ(get("response_type"), "code");
  EXPECT_EQ(get("client_id"), "client id");
  EXPECT_EQ(get("redirect_uri"), "https://oh.example.com/_callback?x=1&y=2");
  EXPECT_EQ(get("scope"), "openid email");
  EXPECT_EQ(get("state"), "st&ate");
  EXPECT_EQ(get("nonce"), "no=nce");
  EXPECT_EQ(get("code_challenge"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  EXPECT_EQ(get("code_challenge_method"), "S256");
  EXPECT_EQ(url.find(' '), std::string::npos);
  EXPECT_EQ(url.find("&y=2"), std::string::npos);  // the & inside redirect_uri is encoded
  EXPECT_NE(url.find("redirect_uri=https%3A%2F%2Foh.example.com%2F_callback%3Fx%3D1%26y%3D2&"), std::string::npos);
}

}  // namespace
}  // namespace oh::gateway::auth
