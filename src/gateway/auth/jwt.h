#pragma once
// ID-token verification: compact JWS parsing (RFC 7515), RS256/ES256 signature checks against
// a JWKS, and the OIDC Core 3.1.3.7 claim checks (plus Cognito's token_use). Everything that
// is not explicitly allowed is refused: alg none, HMAC algorithms, a missing or unknown kid,
// a "crit" header, oversized or non-canonical input.
//
//   TokenExpectations want{.issuer = provider.issuer, .audience = client_id,
//                          .require_token_use_id = provider.is_cognito, .nonce = flow.nonce};
//   auto claims = verifyIdToken(token, jwks_cache, want, clock.now());
//   if (!claims) log("token refused: {}", describe(claims.error()));

#include "auth/jwks.h"
#include "auth/result.h"

#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace oh::gateway::auth {

enum class JwtError {
  oversized,         // longer than the size cap
  malformed,         // not three dot-separated non-empty parts
  bad_base64,        // a part is not strict base64url without padding
  bad_json,          // header or payload is not a JSON object
  alg_none,          // "alg":"none"
  alg_hmac,          // HS256/384/512: a public key must never be used as an HMAC secret
  alg_unsupported,   // anything but RS256 and ES256
  crit_header,       // "crit" present: we understand no extensions (RFC 7515 4.1.11)
  missing_kid,
  unknown_kid,       // not in the JWKS (after the cache's refetch)
  key_mismatch,      // key type or the key's own alg does not fit the token's alg
  bad_signature,
  expired,
  not_yet_valid,
  wrong_issuer,
  wrong_audience,
  wrong_token_use,   // Cognito: token_use is not "id" (an access token used as an ID token)
  wrong_nonce,
  missing_claim,     // sub, exp or iss absent or of the wrong type
};

std::string_view toString(JwtError e);

struct JwtFailure {
  JwtError code;
  std::string detail;  // for logs; never contains the token
};
std::string describe(const JwtFailure& f);

// A syntactically valid compact JWS, not yet verified.
struct ParsedJws {
  std::string alg;
  std::string kid;
  boost::json::object header;
  boost::json::object payload;
  std::string signing_input;  // "<header b64>.<payload b64>", the bytes that were signed
  std::string signature;      // decoded signature bytes
};

constexpr std::size_t kMaxTokenBytes = 16 * 1024;

// Parses and applies the header policy (alg, kid, crit). Does not check the signature.
Result<ParsedJws, JwtFailure> parseJws(std::string_view token, std::size_t max_bytes = kMaxTokenBytes);

// Checks `signature` over `signing_input` with `key` for alg RS256 or ES256 (raw r||s, 64 bytes).
bool verifySignature(const ParsedJws& jws, const Jwk& key);

struct TokenExpectations {
  std::string issuer;                 // exact match with "iss"
  std::string audience;               // the client id: in "aud" (string or array) or "client_id"
  bool require_token_use_id = false;  // Cognito: "token_use" must be "id"
  std::optional<std::string> nonce;   // when set, "nonce" must equal it
  std::chrono::seconds leeway{60};    // clock skew allowed for exp/nbf; clamped to [0, 60]
};

// The claims the gateway uses from a verified ID token.
struct IdTokenClaims {
  std::string sub;
  std::string email;
  bool email_verified = false;
  std::chrono::sys_seconds expires_at;
  std::chrono::sys_seconds issued_at;  // epoch if the token has no iat
};

Result<IdTokenClaims, JwtFailure> checkClaims(const boost::json::object& payload,
                                             const TokenExpectations& want, std::chrono::sys_seconds now);

// parseJws + key lookup + verifySignature + checkClaims.
Result<IdTokenClaims, JwtFailure> verifyIdToken(std::string_view token, KeyLookup& keys,
                                               const TokenExpectations& want, std::chrono::sys_seconds now);

}  // namespace oh::gateway::auth
