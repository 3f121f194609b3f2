#pragma once
// 32-byte secret keys (session cookie keys, the hand-off ticket key) read from files, as
// Secrets Manager or `openssl rand` produce them: 32 raw bytes, 64 hex digits, or base64 /
// base64url of 32 bytes, with an optional trailing newline. Anything else is refused rather
// than stretched, so a truncated or empty secret can never become a weak key.

#include "auth/result.h"

#include <string>
#include <string_view>

namespace oh::gateway::auth {

constexpr std::size_t kKeyBytes = 32;

// Decodes key material in any of the accepted forms.
Result<std::string> decodeKeyMaterial(std::string_view contents);

// Reads and decodes `path`. The reason names the path, never the contents. A file readable or
// writable by group or others is refused, the reason naming the chmod that fixes it.
Result<std::string> readKeyFile(const std::string& path);

// A text secret such as the OAuth client secret: the file's contents without trailing
// newlines, 1-4096 bytes, no control characters. Same permission rule as readKeyFile.
Result<std::string> readSecretFile(const std::string& path);

}  // namespace oh::gateway::auth
