#pragma once
// SHA-256 and hex, for identifiers derived from secrets or subjects (user keys, key hashes).

#include <string>
#include <string_view>

namespace oh::common {

// The 32 raw bytes of SHA-256(bytes).
std::string sha256(std::string_view bytes);

// Lowercase hex of bytes.
std::string hexEncode(std::string_view bytes);

}  // namespace oh::common
