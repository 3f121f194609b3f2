#include "gateway/auth/key_file.h"

#include "common/base64.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <array>
#include <fstream>
#include <iterator>
#include <sstream>

namespace oh::gateway::auth {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

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
      const int hi = hexValue(text[i]);
      const int lo = hexValue(text[i + 1]);
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

Result<std::string> readKeyFile(const std::string& path, std::string* warning) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return failure(fmt::format("cannot read key file {}", path));
  }
  std::string contents;
  std::array<char, 257> buf{};
  in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
  contents.assign(buf.data(), static_cast<std::size_t>(in.gcount()));
  if (contents.size() > 256) {
    return failure(fmt::format("key file {} is too large for a 32-byte key", path));
  }
  struct stat st {};
  if (warning != nullptr && ::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    *warning = fmt::format("key file {} is accessible by group or others (mode {:o}); chmod 600 it", path,
                           st.st_mode & 0777);
  }
  auto key = decodeKeyMaterial(contents);
  if (!key) {
    return failure(fmt::format("key file {}: {}", path, key.error().reason));
  }
  return key;
}

}  // namespace oh::gateway::auth
