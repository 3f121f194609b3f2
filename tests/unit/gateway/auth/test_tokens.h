#pragma once
// Named test tokens for the sign-in tests (Envoy's test_common.h habit). Each token is given as
// its decoded header and payload; makeToken() signs it with the named fixture key at test time
// (RS256 signatures are deterministic, so the RSA tokens are the same bytes on every run).
// All times are relative to kNow = 1764000000 (2025-11-24T16:00:00Z); the fake clock starts there.

#include "test_crypto.h"

#include <string>

namespace oh::gateway::auth::test {

inline constexpr std::int64_t kNow = 1764000000;
inline constexpr const char* kIssuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool";
inline constexpr const char* kClientId = "test-client-id";
inline constexpr const char* kNonce = "n-0S6_WzA2Mj";

struct TokenSpec {
  const char* header;
  const char* payload;
  TestKey key;
};

inline std::string makeToken(const TokenSpec& spec) { return signJwt(spec.header, spec.payload, spec.key); }

// The JWKS the verifier trusts in most tests: rsa1 as kid "rsa-1", ec1 as kid "ec-1".
inline std::string defaultJwks() { return jwksJson({{"rsa-1", TestKey::rsa1, ""}, {"ec-1", TestKey::ec1, ""}}); }

// A Cognito ID token, valid from kNow-60 to kNow+3600, signed RS256 by rsa-1.
//   {"sub":"5f1c0a2e-user","email":"alice@example.com","email_verified":true,"token_use":"id",
//    "iss":<kIssuer>,"aud":"test-client-id","nonce":"n-0S6_WzA2Mj","iat":1763999940,"exp":1764003600}
inline constexpr TokenSpec kGoodToken{
    R"({"alg":"RS256","kid":"rsa-1","typ":"JWT"})",
    R"({"sub":"5f1c0a2e-user","email":"alice@example.com","email_verified":true,"token_use":"id","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool","aud":"test-client-id","nonce":"n-0S6_WzA2Mj","iat":1763999940,"exp":1764003600})",
    TestKey::rsa1};

// The same claims signed ES256 by ec-1, with aud as an array and email_verified as a string.
//   {"sub":"5f1c0a2e-user","email":"alice@example.com","email_verified":"true","token_use":"id",
//    "iss":<kIssuer>,"aud":["other","test-client-id"],"nonce":"n-0S6_WzA2Mj","iat":1763999940,"exp":1764003600}
inline constexpr TokenSpec kGoodEs256Token{
    R"({"alg":"ES256","kid":"ec-1"})",
    R"({"sub":"5f1c0a2e-user","email":"alice@example.com","email_verified":"true","token_use":"id","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool","aud":["other","test-client-id"],"nonce":"n-0S6_WzA2Mj","iat":1763999940,"exp":1764003600})",
    TestKey::ec1};

// Good claims, header "alg":"none" (and an empty signature part replaced by "AA" so the parser
// reaches the header policy).
inline constexpr TokenSpec kAlgNoneToken{R"({"alg":"none","kid":"rsa-1"})", kGoodToken.payload, TestKey::rsa1};

// Good claims, header {"alg":"HS256","kid":"rsa-1"}: signed by signHs256 with rsa-1's public PEM.
inline constexpr const char* kHs256Header = R"({"alg":"HS256","kid":"rsa-1"})";

// Good claims, kid "rsa-9" that no JWKS contains; signed by rsa2.
inline constexpr TokenSpec kUnknownKidToken{R"({"alg":"RS256","kid":"rsa-9"})", kGoodToken.payload, TestKey::rsa2};

// Good claims, no kid.
inline constexpr TokenSpec kNoKidToken{R"({"alg":"RS256"})", kGoodToken.payload, TestKey::rsa1};

// Good claims plus a crit header.
inline constexpr TokenSpec kCritToken{R"({"alg":"RS256","kid":"rsa-1","crit":["exp"],"exp":1})", kGoodToken.payload,
                                      TestKey::rsa1};

// Expired an hour before kNow:
//   {..., "iat":1763992800,"exp":1763996400}
inline constexpr TokenSpec kExpiredToken{
    R"({"alg":"RS256","kid":"rsa-1"})",
    R"({"sub":"5f1c0a2e-user","token_use":"id","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool","aud":"test-client-id","nonce":"n-0S6_WzA2Mj","iat":1763992800,"exp":1763996400})",
    TestKey::rsa1};

// Not valid until an hour after kNow:
//   {..., "nbf":1764003600,"exp":1764007200}
inline constexpr TokenSpec kNotYetValidToken{
    R"({"alg":"RS256","kid":"rsa-1"})",
    R"({"sub":"5f1c0a2e-user","token_use":"id","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool","aud":"test-client-id","nonce":"n-0S6_WzA2Mj","nbf":1764003600,"exp":1764007200})",
    TestKey::rsa1};

// Another user pool as issuer:
//   {..., "iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OtherPool", ...}
inline constexpr TokenSpec kWrongIssuerToken{
    R"({"alg":"RS256","kid":"rsa-1"})",
    R"({"sub":"5f1c0a2e-user","token_use":"id","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OtherPool","aud":"test-client-id","nonce":"n-0S6_WzA2Mj","exp":1764003600})",
    TestKey::rsa1};

// Issued to another app client:
//   {..., "aud":"someone-else", ...}
inline constexpr TokenSpec kWrongAudienceToken{
    R"({"alg":"RS256","kid":"rsa-1"})",
    R"({"sub":"5f1c0a2e-user","token_use":"id","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool","aud":"someone-else","nonce":"n-0S6_WzA2Mj","exp":1764003600})",
    TestKey::rsa1};

// A Cognito ACCESS token (token_use "access", client_id instead of aud, no nonce):
//   {"sub":"5f1c0a2e-user","token_use":"access","client_id":"test-client-id","scope":"openid email",
//    "iss":<kIssuer>,"exp":1764003600}
inline constexpr TokenSpec kAccessToken{
    R"({"alg":"RS256","kid":"rsa-1"})",
    R"({"sub":"5f1c0a2e-user","token_use":"access","client_id":"test-client-id","scope":"openid email","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool","exp":1764003600})",
    TestKey::rsa1};

// Minted for another sign-in attempt:
//   {..., "nonce":"someone-elses-nonce", ...}
inline constexpr TokenSpec kWrongNonceToken{
    R"({"alg":"RS256","kid":"rsa-1"})",
    R"({"sub":"5f1c0a2e-user","token_use":"id","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool","aud":"test-client-id","nonce":"someone-elses-nonce","exp":1764003600})",
    TestKey::rsa1};

// The payload an attacker swaps in (sub changed to "admin") to tamper with kGoodToken:
//   {"sub":"admin",...same as kGoodToken...}
inline constexpr const char* kTamperedPayload =
    R"({"sub":"admin","email":"alice@example.com","email_verified":true,"token_use":"id","iss":"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool","aud":"test-client-id","nonce":"n-0S6_WzA2Mj","iat":1763999940,"exp":1764003600})";

}  // namespace oh::gateway::auth::test
