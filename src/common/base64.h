#pragma once
// Base64 encodings used by the gateway's sign-in code: base64url without padding (RFC 7515
// section 2, JWS/JWK and our cookies) decoded STRICTLY, and standard base64 (RFC 4648 section 4)
// for HTTP Basic credentials. Strict means: alphabet only, no padding, no whitespace, and the
// unused low bits of the last character must be zero, so every byte string has exactly one
// accepted encoding (a token cannot be altered without changing its bytes).

#include <optional>
#include <string>
#include <string_view>

namespace oh::common {

std::string base64UrlEncode(std::string_view bytes);

// nullopt on any character outside [A-Za-z0-9_-], on '=', on a length of 1 mod 4, or on
// non-zero unused bits.
std::optional<std::string> base64UrlDecode(std::string_view text);

// Standard alphabet with '=' padding.
std::string base64Encode(std::string_view bytes);

}  // namespace oh::common
