#include "gateway/auth/return_path.h"

#include <optional>

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

// One round of percent-decoding; nullopt on a malformed escape.
std::optional<std::string> percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    const int hi = i + 1 < s.size() ? hexValue(s[i + 1]) : -1;
    const int lo = i + 2 < s.size() ? hexValue(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// The raw form: printable ASCII from the URI path/query alphabet, no backslash, no fragment.
bool rawCharactersOk(std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '\\' || c == '#' || c == '"' || c == '<' || c == '>' || c == '`' ||
        c == '{' || c == '}' || c == '|' || c == '^') {
      return false;
    }
  }
  return true;
}

// A path a browser resolves against our origin: "/" then anything but a second slash or a
// backslash (browsers treat "\" as "/" in special URLs).
bool sameOriginShape(std::string_view s) {
  if (s.empty() || s[0] != '/') {
    return false;
  }
  return s.size() == 1 || (s[1] != '/' && s[1] != '\\');
}

}  // namespace

bool isSafeReturnPath(std::string_view candidate) {
  if (candidate.empty() || candidate.size() > kMaxReturnPathBytes || !rawCharactersOk(candidate) ||
      !sameOriginShape(candidate)) {
    return false;
  }
  // Decode repeatedly (a few rounds) so %2F%2F, %5C, %252F%252F and mixed-case escapes are seen
  // as what some later hop might make of them; each round must keep the same-origin shape and
  // introduce no control characters or backslashes.
  std::string current(candidate);
  for (int round = 0; round < 3; ++round) {
    auto decoded = percentDecode(current);
    if (!decoded) {
      return false;
    }
    for (const char ch : *decoded) {
      const auto c = static_cast<unsigned char>(ch);
      if (c < 0x20 || c == 0x7f || c == '\\') {
        return false;
      }
    }
    if (!sameOriginShape(*decoded)) {
      return false;
    }
    if (*decoded == current) {
      break;
    }
    current = std::move(*decoded);
  }
  return true;
}

std::string sanitizeReturnPath(std::string_view candidate) {
  return isSafeReturnPath(candidate) ? std::string(candidate) : std::string("/");
}

}  // namespace oh::gateway::auth
