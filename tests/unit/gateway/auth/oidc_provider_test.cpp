#include "auth/oidc_provider.h"

#include <gtest/gtest.h>

namespace oh::gateway::auth {
namespace {

// Cognito endpoints are derived exactly as Cognito publishes them.
TEST(CognitoProviderTest, DerivesEndpoints) {
  auto p = cognitoProvider({"eu-west-1", "eu-west-1_AbC123", "openhands-x1"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, ProviderKind::cognito);
  EXPECT_TRUE(p->requiresTokenUseId());
  EXPECT_EQ(p->issuer, "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123");
  EXPECT_EQ(p->jwks_uri, "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json");
  EXPECT_EQ(p->authorization_endpoint, "https://openhands-x1.auth.eu-west-1.amazoncognito.com/oauth2/authorize");
  EXPECT_EQ(p->token_endpoint, "https://openhands-x1.auth.eu-west-1.amazoncognito.com/oauth2/token");
  EXPECT_EQ(providerLogoutUrl(*p, "client1", "https://oh.example.com/"),
            "https://openhands-x1.auth.eu-west-1.amazoncognito.com/logout?client_id=client1&logout_uri=https%3A%2F%2F"
            "oh.example.com%2F");
}

// Every bad field is reported at once, each naming its key; host-injection attempts are refused.
TEST(CognitoProviderTest, ReportsEveryProblem) {
  auto p = cognitoProvider({"eu-west-1.evil.com/", "us-east-1_x", "Evil.example/"});
  ASSERT_FALSE(p);
  ASSERT_EQ(p.error().size(), 3u);
  EXPECT_EQ(p.error()[0].rfind("region:", 0), 0u);
  EXPECT_EQ(p.error()[1].rfind("user_pool_id:", 0), 0u);
  EXPECT_EQ(p.error()[2].rfind("domain_prefix:", 0), 0u);
  EXPECT_FALSE(cognitoProvider({"us-east-1", "us-east-1_", "ok"}));
  EXPECT_FALSE(cognitoProvider({"us-east-1", "us-east-1_a/b", "ok"}));
  EXPECT_FALSE(cognitoProvider({"us-east-1", "us-east-1_ab", "-bad"}));
  EXPECT_TRUE(cognitoProvider({"us-gov-west-1", "us-gov-west-1_ab", "ok"}));
}

constexpr const char* kDiscovery = R"({
  "issuer":"https://idp.example.com/realms/team",
  "authorization_endpoint":"https://idp.example.com/realms/team/auth",
  "token_endpoint":"https://idp.example.com/realms/team/token",
  "jwks_uri":"https://idp.example.com/realms/team/certs",
  "end_session_endpoint":"https://idp.example.com/realms/team/logout",
  "code_challenge_methods_supported":["plain","S256"]})";

TEST(DiscoveryTest, ParsesStandardDocument) {
  auto p = parseDiscovery(kDiscovery, {"https://idp.example.com/realms/team"});
  ASSERT_TRUE(p) << p.error()[0];
  EXPECT_EQ(p->kind, ProviderKind::oidc);
  EXPECT_FALSE(p->requiresTokenUseId());
  EXPECT_EQ(p->token_endpoint, "https://idp.example.com/realms/team/token");
  EXPECT_EQ(providerLogoutUrl(*p, "c", "https://oh.example.com/?a=b&c"),
            "https://idp.example.com/realms/team/logout?client_id=c&post_logout_redirect_uri=https%3A%2F%2Foh.example.com"
            "%2F%3Fa%3Db%26c");
}

// The issuer must match the configured one (OIDC Discovery 4.3), endpoints must be https.
TEST(DiscoveryTest, RefusesMismatchAndPlainHttp) {
  auto p = parseDiscovery(kDiscovery, {"https://idp.example.com/realms/other"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error()[0].rfind("issuer:", 0), 0u);
  auto http = parseDiscovery(
      R"J({"issuer":"http://idp.example.com","authorization_endpoint":"http://127.0.0.1/a","token_endpoint":"https://x/t","jwks_uri":"javascript:alert(1)"})J",
      {});
  ASSERT_FALSE(http);
  EXPECT_EQ(http.error().size(), 3u);
  EXPECT_FALSE(parseDiscovery("[]", {}));
  EXPECT_FALSE(parseDiscovery("{", {}));
  EXPECT_FALSE(parseDiscovery(R"({"issuer":"https://a"})", {}));
  EXPECT_FALSE(parseDiscovery(std::string(300 * 1024, ' '), {}));
  auto no_s256 = parseDiscovery(
      R"({"issuer":"https://a","authorization_endpoint":"https://a/a","token_endpoint":"https://a/t","jwks_uri":"https://a/j","code_challenge_methods_supported":["plain"]})",
      {});
  EXPECT_FALSE(no_s256);
}

// Loopback http is accepted only when allowed (tests against a local provider).
TEST(DiscoveryTest, LoopbackHttpOnlyWhenAllowed) {
  EXPECT_TRUE(isAcceptableEndpoint("http://127.0.0.1:4000/jwks", true));
  EXPECT_TRUE(isAcceptableEndpoint("http://localhost:4000/", true));
  EXPECT_FALSE(isAcceptableEndpoint("http://127.0.0.1:4000/jwks", false));
  EXPECT_FALSE(isAcceptableEndpoint("http://127.0.0.1.evil.com/", true));
  EXPECT_FALSE(isAcceptableEndpoint("http://127.0.0.1.evil.com:80/x", true));
  EXPECT_FALSE(isAcceptableEndpoint("https://user:pw@idp.example.com/", false));
  EXPECT_FALSE(isAcceptableEndpoint("https:///nohost", false));
  EXPECT_FALSE(isAcceptableEndpoint("/relative", false));
  EXPECT_TRUE(isAcceptableEndpoint("https://idp.example.com/x", false));
}

TEST(DiscoveryTest, NoLogoutEndpointMeansLocalLogoutOnly) {
  OidcProvider p;
  EXPECT_FALSE(providerLogoutUrl(p, "c", "https://x/"));
}

}  // namespace
}  // namespace oh::gateway::auth
