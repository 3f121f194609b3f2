#pragma once
// Plain value types shared by the test bed's clients and servers (no Boost headers, so test
// files that include them compile quickly).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oh::testing {

struct HeaderField {
  std::string name;
  std::string value;
};
using Headers = std::vector<HeaderField>;

// Case-insensitive lookups over a header list (field names are case-insensitive, RFC 9110 5.1).
std::optional<std::string> findHeader(const Headers& headers, std::string_view name);
std::size_t countHeader(const Headers& headers, std::string_view name);
bool equalsIgnoreCase(std::string_view a, std::string_view b);

// Incremental SHA-256 (OpenSSL), so large bodies are hashed without being kept.
class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t size);
  std::string finalHex();  // lower-case hex; the object is spent afterwards

private:
  void* ctx_;  // EVP_MD_CTX*, kept opaque so OpenSSL headers stay out of the tests
};

std::string sha256Hex(std::string_view data);

// The deterministic byte pattern every generated body uses: byte i of a body is
// patternByte(i), so a receiver can verify any length without the sender keeping it.
inline char patternByte(std::uint64_t index) {
  return static_cast<char>('a' + static_cast<char>(index % 26));
}
void fillPattern(char* out, std::size_t size, std::uint64_t offset);
std::string patternSha256Hex(std::uint64_t size);

}  // namespace oh::testing
