#pragma once
// Whose app server signed an X-Access-Token: the one credential OpenHands 1.7.0's
// GET /api/v1/webhooks/secrets takes (event_callback/webhook_router.py:438-471), which an agent
// server sends back to fetch a provider token. The app server issues it as a JWS of its
// JwtService (live_status_app_conversation_service.py:939-952: claims user_id (None here,
// single-user), provider_type, iat, exp), signed with HS256 and its JWT_SECRET
// (services/jwt_service.py:62-103; key id base62(SHA-256(JWT_SECRET)), utils/encryption_key.py:35-49).
// Each user's JWT_SECRET is derived from the pool's key (user_secrets.h), so the gateway can tell
// which user's server signed a token from the signature alone, believing nothing the token says.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace oh::control {

// At most this many bytes are looked at (OpenHands' tokens are ~200).
inline constexpr std::size_t kMaxAccessTokenBytes = 4096;

// True when `token` is a compact JWS with header alg exactly "HS256", signed with
// jwtSecretFor(secret_key, user_key), whose payload is a JSON object with a numeric exp later
// than now_unix. Anything else (alg none or another, malformed, oversized, expired, another
// user's key) is false.
bool signedByUsersServer(std::string_view secret_key, std::string_view user_key, std::string_view token,
                         std::int64_t now_unix);

}  // namespace oh::control
