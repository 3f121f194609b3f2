#include "auth/jwt.h"

#include "common/base64.h"
#include "test_crypto.h"
#include "test_tokens.h"

#include <gtest/gtest.h>

namespace oh::gateway::auth {
namespace {

using namespace test;  // NOLINT: test fixtures

class JwtTest : public ::testing::Test {
protected:
  JwtTest() : keys_(parseJwks(defaultJwks()).value()) {
    want_.issuer = kIssuer;
    want_.audience = kClientId;
    want_.require_token_use_id = true;
    want_.nonce = kNonce;
  }

  Result<IdTokenClaims, JwtFailure> verify(std::string_view token, std::int64_t now = kNow) {
    return verifyIdToken(token, keys_, want_, std::chrono::sys_seconds(std::chrono::seconds(now)));
  }

  // Expects a refusal with exactly `code`.
  void expectRefused(std::string_view token, JwtError code) {
    auto r = verify(token);
    ASSERT_FALSE(r) << "token was accepted";
    EXPECT_EQ(r.error().code, code) << "got " << describe(r.error());
  }

  StaticKeys keys_;
  TokenExpectations want_;
};

// A good Cognito ID token verifies and yields sub, email and email_verified.
TEST_F(JwtTest, AcceptsGoodRs256Token) {
  auto claims = verify(makeToken(kGoodToken));
  ASSERT_TRUE(claims) << describe(claims.error());
  EXPECT_EQ(claims->sub, "5f1c0a2e-user");
  EXPECT_EQ(claims->email, "alice@example.com");
  EXPECT_TRUE(claims->email_verified);
  EXPECT_EQ(claims->expires_at.time_since_epoch().count(), 1764003600);
  EXPECT_EQ(claims->issued_at.time_since_epoch().count(), 1763999940);
}

// ES256 (raw r||s converted to DER), aud as an array, email_verified as "true".
TEST_F(JwtTest, AcceptsGoodEs256Token) {
  auto claims = verify(makeToken(kGoodEs256Token));
  ASSERT_TRUE(claims) << describe(claims.error());
  EXPECT_TRUE(claims->email_verified);
}

// The bad-token matrix of issue 4, each with its own reason.
TEST_F(JwtTest, RefusesAlgNone) {
  const std::string unsigned_token = common::base64UrlEncode(kAlgNoneToken.header) + "." +
                                     common::base64UrlEncode(kAlgNoneToken.payload) + ".AA";
  expectRefused(unsigned_token, JwtError::alg_none);
  expectRefused(common::base64UrlEncode(R"({"alg":"None","kid":"rsa-1"})") + "." +
                    common::base64UrlEncode(kGoodToken.payload) + ".AA",
                JwtError::alg_none);
}

TEST_F(JwtTest, RefusesHs256SignedWithThePublicKey) {
  expectRefused(signHs256(kHs256Header, kGoodToken.payload, publicKeyPem(TestKey::rsa1)), JwtError::alg_hmac);
  expectRefused(signHs256(R"({"alg":"hs512","kid":"rsa-1"})", kGoodToken.payload, "x"), JwtError::alg_hmac);
}

TEST_F(JwtTest, RefusesUnknownAndMissingKid) {
  expectRefused(makeToken(kUnknownKidToken), JwtError::unknown_kid);
  expectRefused(makeToken(kNoKidToken), JwtError::missing_kid);
  expectRefused(signJwt(R"({"alg":"RS256","kid":""})", kGoodToken.payload, TestKey::rsa1), JwtError::missing_kid);
  expectRefused(signJwt(R"({"alg":"RS256","kid":7})", kGoodToken.payload, TestKey::rsa1), JwtError::missing_kid);
}

TEST_F(JwtTest, RefusesExpiredAndNotYetValid) {
  expectRefused(makeToken(kExpiredToken), JwtError::expired);
  expectRefused(makeToken(kNotYetValidToken), JwtError::not_yet_valid);
}

// Leeway: up to 60 s past exp is accepted with the default; a configured 600 s is clamped to 60.
TEST_F(JwtTest, LeewayIsAtMostSixtySeconds) {
  const std::string token = makeToken(kGoodToken);  // exp 1764003600
  EXPECT_TRUE(verify(token, 1764003600 + 59));
  EXPECT_FALSE(verify(token, 1764003600 + 60));
  want_.leeway = std::chrono::seconds(600);
  auto r = verify(token, 1764003600 + 61);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, JwtError::expired);
  want_.leeway = std::chrono::seconds(0);
  EXPECT_FALSE(verify(token, 1764003600));
}

TEST_F(JwtTest, RefusesWrongIssuerAudienceTokenUseNonce) {
  expectRefused(makeToken(kWrongIssuerToken), JwtError::wrong_issuer);
  expectRefused(makeToken(kWrongAudienceToken), JwtError::wrong_audience);
  expectRefused(makeToken(kAccessToken), JwtError::wrong_token_use);
  expectRefused(makeToken(kWrongNonceToken), JwtError::wrong_nonce);
}

// A generic OIDC provider has no token_use; an access-like token with client_id passes the
// audience check but the nonce (absent) still fails when one is expected.
TEST_F(JwtTest, ClientIdCountsAsAudienceWithoutAud) {
  want_.require_token_use_id = false;
  want_.nonce.reset();
  EXPECT_TRUE(verify(makeToken(kAccessToken)));
  want_.nonce = kNonce;
  expectRefused(makeToken(kAccessToken), JwtError::wrong_nonce);
}

TEST_F(JwtTest, RefusesTamperedPayload) {
  const std::string good = makeToken(kGoodToken);
  const std::size_t d1 = good.find('.');
  const std::size_t d2 = good.find('.', d1 + 1);
  const std::string tampered =
      good.substr(0, d1 + 1) + common::base64UrlEncode(kTamperedPayload) + good.substr(d2);
  expectRefused(tampered, JwtError::bad_signature);
  // A token signed by a key that is not the one its kid names.
  expectRefused(signJwt(kGoodToken.header, kGoodToken.payload, TestKey::rsa2), JwtError::bad_signature);
  // ES256 header on an RSA key's kid.
  expectRefused(signJwt(R"({"alg":"ES256","kid":"rsa-1"})", kGoodToken.payload, TestKey::ec1),
                JwtError::key_mismatch);
}

TEST_F(JwtTest, RefusesTruncatedTokens) {
  const std::string good = makeToken(kGoodToken);
  expectRefused(good.substr(0, good.size() - 10), JwtError::bad_signature);
  expectRefused(good.substr(0, good.rfind('.')), JwtError::malformed);
  expectRefused(good.substr(0, good.rfind('.') + 1), JwtError::malformed);
  expectRefused(good.substr(0, 20), JwtError::malformed);
  expectRefused("", JwtError::malformed);
  expectRefused("..", JwtError::malformed);
  expectRefused(good + ".x", JwtError::malformed);
}

TEST_F(JwtTest, RefusesOversizedToken) {
  const std::string big(100 * 1024, 'A');
  expectRefused(big + "." + big + "." + big, JwtError::oversized);
  expectRefused(std::string(kMaxTokenBytes + 1, 'A'), JwtError::oversized);
}

TEST_F(JwtTest, RefusesNonBase64Url) {
  const std::string good = makeToken(kGoodToken);
  std::string padded = good + "=";
  expectRefused(padded, JwtError::bad_base64);
  std::string plus = good;
  plus[good.find('.') + 3] = '+';
  expectRefused(plus, JwtError::bad_base64);
  expectRefused("eyJ hbGciOi.e30.AA", JwtError::bad_base64);
  expectRefused("e30.e30.AA", JwtError::alg_unsupported);  // {} header: no alg
  expectRefused(common::base64UrlEncode("[1]") + ".e30.AA", JwtError::bad_json);
  expectRefused(common::base64UrlEncode(R"({"alg":"RS256","kid":"rsa-1"})") + "." +
                    common::base64UrlEncode("not json") + ".AA",
                JwtError::bad_json);
}

TEST_F(JwtTest, RefusesCritAndOtherAlgorithms) {
  expectRefused(makeToken(kCritToken), JwtError::crit_header);
  expectRefused(signJwt(R"({"alg":"PS256","kid":"rsa-1"})", kGoodToken.payload, TestKey::rsa1),
                JwtError::alg_unsupported);
  expectRefused(signJwt(R"({"alg":"RS512","kid":"rsa-1"})", kGoodToken.payload, TestKey::rsa1),
                JwtError::alg_unsupported);
}

// Claims of the wrong type are refused, never coerced.
TEST_F(JwtTest, RefusesMissingOrMistypedClaims) {
  auto with = [](const char* payload) { return signJwt(kGoodToken.header, payload, TestKey::rsa1); };
  want_.nonce.reset();
  expectRefused(with(R"({"iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool","aud":"test-client-id","token_use":"id","exp":1764003600})"),
                JwtError::missing_claim);  // no sub
  expectRefused(with(R"({"sub":"u","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool","aud":"test-client-id","token_use":"id","exp":"1764003600"})"),
                JwtError::missing_claim);  // exp as a string
  expectRefused(with(R"({"sub":"u","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool","aud":"test-client-id","token_use":"id"})"),
                JwtError::missing_claim);  // no exp
  expectRefused(with(R"({"sub":"u","iss":["https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool"],"aud":"test-client-id","token_use":"id","exp":1764003600})"),
                JwtError::missing_claim);  // iss as an array
  expectRefused(with(R"({"sub":"u","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool","aud":[],"token_use":"id","exp":1764003600})"),
                JwtError::wrong_audience);
  expectRefused(with(R"({"sub":"u","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool","aud":["test-client-id","x"],"azp":"x","token_use":"id","exp":1764003600})"),
                JwtError::wrong_audience);
  EXPECT_TRUE(verify(with(R"({"sub":"u","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool","aud":["test-client-id","x"],"azp":"test-client-id","token_use":"id","exp":1764003600})")));
  expectRefused(with(R"({"sub":"u","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool","aud":"test-client-id","token_use":"id","exp":1e300})"),
                JwtError::missing_claim);
}

}  // namespace
}  // namespace oh::gateway::auth
