#include "auth/key_file.h"

#include "common/base64.h"
#include "common/text.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <array>
#include <fstream>
#include <iterator>
#include <sstream>

namespace oh::gateway::auth {
Result<std::string> decodeKeyMaterial(std::string_view contents) {
  if (contents.size() == kKeyBytes) {
    return std::string(contents);
  }
  std::string_view text = contents;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  if (text.size() == kKeyBytes * 2) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); i += 2) {
      const int hi = common::hexDigitValue(text[i]);
      const int lo = common::hexDigitValue(text[i + 1]);
      if (hi < 0 || lo < 0) {
        return failure("key is 64 characters but not hex");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return out;
  }
  if (text.size() == 43 || (text.size() == 44 && text.back() == '=')) {
    std::string url(text.substr(0, 43));
    for (char& c : url) {
      c = c == '+' ? '-' : (c == '/' ? '_' : c);
    }
    auto decoded = common::base64UrlDecode(url);
    if (decoded && decoded->size() == kKeyBytes) {
      return *decoded;
    }
    return failure("key looks like base64 but does not decode to 32 bytes");
  }
  return failure(fmt::format("key must be 32 bytes (raw, 64 hex digits or base64), found {} bytes", contents.size()));
}

namespace {

// Reads at most max_bytes + 1 bytes (so "too large" is detectable). A file that group or others
// may access is refused: a key anyone on the machine can read forges every session.
Result<std::string> readSmallFile(const std::string& path, std::size_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    return failure(fmt::format("{} is accessible by group or others (mode {:o}); run chmod 600 {}", path,
                               st.st_mode & 0777, path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return failure(fmt::format("cannot read {}", path));
  }
  std::string contents(max_bytes + 1, '\0');
  in.read(contents.data(), static_cast<std::streamsize>(contents.size()));
  contents.resize(static_cast<std::size_t>(in.gcount()));
  if (contents.size() > max_bytes) {
    return failure(fmt::format("{} is larger than {} bytes", path, max_bytes));
  }
  return contents;
}

}  // namespace

Result<std::string> readSecretFile(const std::string& path) {
  auto contents = readSmallFile(path, 4096 + 2);
  if (!contents) {
    return contents;
  }
  std::string secret = std::move(contents).value();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) {
    secret.pop_back();
  }
  if (secret.empty() || secret.size() > 4096) {
    return failure(fmt::format("secret file {} must hold 1-4096 bytes", path));
  }
  for (const char ch : secret) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      return failure(fmt::format("secret file {} contains control characters", path));
    }
  }
  return secret;
}

Result<std::string> readKeyFile(const std::string& path) {
  auto read = readSmallFile(path, 256);
  if (!read) {
    return read;
  }
  const std::string contents = std::move(read).value();
  auto key = decodeKeyMaterial(contents);
  if (!key) {
    return failure(fmt::format("key file {}: {}", path, key.error().reason));
  }
  return key;
}

}  // namespace oh::gateway::auth
