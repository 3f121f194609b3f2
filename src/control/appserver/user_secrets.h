#pragma once
// A user's app-server secrets, derived rather than stored: HMAC-SHA256 of the pool's secret key
// (32+ random bytes from a key file) and the user key, each bound to its purpose by a domain
// string. So a restarted gateway, or one on a replaced instance, hands each user's server the
// same JWT secret (OpenHands encrypts the user's stored secrets with it,
// utils/encryption_key.py:35-50) and the same database password, with no table to keep or leak.

#include <string>
#include <string_view>

namespace oh::control {

// 43 characters of base64url (256 bits): OpenHands' JWT_SECRET for this user.
std::string jwtSecretFor(std::string_view secret_key, std::string_view user_key);

// 43 characters of base64url: the password of this user's database role (PostgreSQL).
std::string databasePasswordFor(std::string_view secret_key, std::string_view user_key);

}  // namespace oh::control
