#pragma once
// Identifiers as the real app server makes them. UUIDs as Python's uuid module reads and writes
// them: parsed from the forms UUID(str) accepts (32 hex digits, with or without the four dashes,
// optional braces or "urn:uuid:"), printed dashed (str(uuid)) or as .hex; new ones version 4.
// base62 as pybase62's encodebytes (sandbox ids RSS:462-464, key ids utils/encryption_key.py).
// Randomness from OpenSSL's CSPRNG.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace oh::appserver_standin {

// The 32 lowercase hex digits of a UUID in any form UUID(str) accepts; nullopt otherwise.
std::optional<std::string> parseUuidHex(std::string_view text);
// 8-4-4-4-12 from 32 hex digits.
std::string dashedUuid(const std::string& hex);
// A new uuid4's 32 hex digits.
std::string newUuidHex();

// The bytes as a big-endian integer in base 62 (0-9A-Za-z).
std::string base62Encode(std::string_view bytes);
// base62Encode of `bytes` random bytes.
std::string randomBase62(std::size_t bytes);

}  // namespace oh::appserver_standin
