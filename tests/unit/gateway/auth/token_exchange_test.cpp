#include "auth/token_exchange.h"

#include <gtest/gtest.h>

namespace oh::gateway::auth {
namespace {

// Confidential client: credentials in Basic auth (form-encoded first), never in the body.
TEST(TokenRequestTest, CodeExchangeWithSecret) {
  const TokenRequest r = codeExchangeRequest({"my client", "s3cr:t"}, "c0de+/", "https://oh.example.com/_callback",
                                             "verifier-1");
  EXPECT_EQ(r.body,
            "grant_type=authorization_code&code=c0de%2B%2F&redirect_uri=https%3A%2F%2Foh.example.com%2F_callback"
            "&code_verifier=verifier-1");
  // base64("my%20client:s3cr%3At")
  EXPECT_EQ(r.authorization, "Basic bXklMjBjbGllbnQ6czNjciUzQXQ=");
  EXPECT_EQ(r.body.find("s3cr"), std::string::npos);
}

// Public client: client_id in the body, no Authorization header.
TEST(TokenRequestTest, RefreshForPublicClient) {
  const TokenRequest r = refreshRequest({"pub", ""}, "rt&x=1");
  EXPECT_EQ(r.body, "grant_type=refresh_token&refresh_token=rt%26x%3D1&client_id=pub");
  EXPECT_TRUE(r.authorization.empty());
}

TEST(TokenResponseTest, ParsesSuccess) {
  auto r = parseTokenResponse(
      200, R"({"id_token":"a.b.c","access_token":"x","refresh_token":"r","expires_in":3600,"token_type":"Bearer"})");
  ASSERT_TRUE(r) << describe(r.error());
  EXPECT_EQ(r->id_token, "a.b.c");
  EXPECT_EQ(r->refresh_token, "r");
  EXPECT_EQ(r->expires_in.count(), 3600);
  // Cognito's refresh answer has no refresh_token.
  auto refresh = parseTokenResponse(200, R"({"id_token":"a.b.c","access_token":"x","expires_in":3600,"token_type":"Bearer"})");
  ASSERT_TRUE(refresh);
  EXPECT_TRUE(refresh->refresh_token.empty());
}

// RFC 6749 5.2 errors, HTTP errors, non-JSON and hostile bodies become TokenError values.
TEST(TokenResponseTest, ParsesErrors) {
  auto e = parseTokenResponse(400, R"({"error":"invalid_grant","error_description":"Refresh Token has expired\r\nX: y"})");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().error, "invalid_grant");
  EXPECT_EQ(e.error().http_status, 400);
  EXPECT_EQ(e.error().description.find('\n'), std::string::npos);
  EXPECT_EQ(parseTokenResponse(502, "<html>bad gateway</html>").error().error, "http_error");
  EXPECT_EQ(parseTokenResponse(200, "<html>").error().error, "malformed_response");
  EXPECT_EQ(parseTokenResponse(200, R"({"access_token":"x"})").error().description, "no id_token");
  EXPECT_FALSE(parseTokenResponse(200, R"({"id_token":"a","token_type":"mac"})"));
  EXPECT_FALSE(parseTokenResponse(200, R"({"id_token":"a","expires_in":-5})"));
  EXPECT_FALSE(parseTokenResponse(200, R"({"id_token":"a","expires_in":"3600"})"));
  EXPECT_FALSE(parseTokenResponse(200, std::string(kMaxTokenResponseBytes + 1, ' ')));
  EXPECT_EQ(parseTokenResponse(200, R"({"error":"server_error","id_token":"a"})").error().error, "server_error");
}

}  // namespace
}  // namespace oh::gateway::auth
