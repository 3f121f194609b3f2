#include "identifiers.h"

#include <vector>

#include <openssl/rand.h>

#include <cstdlib>

namespace oh::appserver_standin {

std::optional<std::string> parseUuidHex(std::string_view text) {
  // uuid.UUID.__init__: strips "urn:", "uuid:", braces and dashes, then needs 32 hex digits.
  if (text.rfind("urn:", 0) == 0) text.remove_prefix(4);
  if (text.rfind("uuid:", 0) == 0) text.remove_prefix(5);
  while (!text.empty() && text.front() == '{') text.remove_prefix(1);
  while (!text.empty() && text.back() == '}') text.remove_suffix(1);
  std::string hex;
  for (char c : text) {
    if (c == '-') continue;
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
    hex.push_back(c);
    if (hex.size() > 32) return std::nullopt;
  }
  if (hex.size() != 32) return std::nullopt;
  return hex;
}

std::string dashedUuid(const std::string& hex) {
  if (hex.size() != 32) return hex;
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

std::string newUuidHex() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string base62Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::vector<unsigned> number;
  for (char c : bytes) number.push_back(static_cast<unsigned char>(c));
  std::string out;
  while (!number.empty()) {
    unsigned remainder = 0;
    std::vector<unsigned> quotient;
    for (unsigned digit : number) {
      const unsigned value = remainder * 256 + digit;
      if (!quotient.empty() || value / 62 != 0) quotient.push_back(value / 62);
      remainder = value % 62;
    }
    out.insert(out.begin(), kAlphabet[remainder]);
    number = std::move(quotient);
  }
  return out.empty() ? "0" : out;
}

std::string randomBase62(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) std::abort();
  return base62Encode(raw);
}

}  // namespace oh::appserver_standin
