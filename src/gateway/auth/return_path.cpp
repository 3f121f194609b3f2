#include "auth/return_path.h"

#include <optional>

#include "common/text.h"

namespace oh::gateway::auth {
namespace {

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
    auto decoded = common::percentDecode(current);
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
