#include "support/http_types.h"

#include <openssl/evp.h>

#include <array>
#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

namespace oh::testing {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> findHeader(const Headers& headers, std::string_view name) {
  for (const auto& field : headers) {
    if (equalsIgnoreCase(field.name, name)) {
      return field.value;
    }
  }
  return std::nullopt;
}

std::size_t countHeader(const Headers& headers, std::string_view name) {
  std::size_t count = 0;
  for (const auto& field : headers) {
    if (equalsIgnoreCase(field.name, name)) {
      ++count;
    }
  }
  return count;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr ||
      EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_DigestInit_ex failed");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::update(const void* data, std::size_t size) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, size);
}

std::string Sha256::finalHex() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), digest.data(), &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0x0f]);
  }
  return out;
}

std::string sha256Hex(std::string_view data) {
  Sha256 sha;
  sha.update(data.data(), data.size());
  return sha.finalHex();
}

void fillPattern(char* out, std::size_t size, std::uint64_t offset) {
  // The pattern repeats every 26 bytes: copy from a precomputed run instead of computing each
  // byte, since the 200 MB streams go through here in debug builds.
  static constexpr std::size_t kRun = 26 * 2048;
  static const std::string run = [] {
    std::string bytes(kRun + 26, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      bytes[i] = patternByte(i);
    }
    return bytes;
  }();
  std::size_t done = 0;
  while (done < size) {
    const auto start = static_cast<std::size_t>((offset + done) % 26);
    const std::size_t chunk = std::min(size - done, kRun);
    std::memcpy(out + done, run.data() + start, chunk);
    done += chunk;
  }
}

std::string patternSha256Hex(std::uint64_t size) {
  Sha256 sha;
  std::array<char, 64 * 1024> buffer{};
  std::uint64_t done = 0;
  while (done < size) {
    const auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size - done));
    fillPattern(buffer.data(), chunk, done);
    sha.update(buffer.data(), chunk);
    done += chunk;
  }
  return sha.finalHex();
}

}  // namespace oh::testing
