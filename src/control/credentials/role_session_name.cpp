#include "credentials/role_session_name.h"

#include <algorithm>

namespace oh::control::aws {
namespace {

bool isSessionNameChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
         std::string_view("+=,.@_-").find(c) != std::string_view::npos;
}

}  // namespace

std::string roleSessionName(std::string_view name) {
  std::string out = "oh-";
  for (char c : name) {
    if (out.size() == kMaxRoleSessionName) {
      break;
    }
    out.push_back(isSessionNameChar(c) ? c : '-');
  }
  return out;
}

bool isRoleSessionName(std::string_view name) {
  return name.size() >= 2 && name.size() <= kMaxRoleSessionName && std::all_of(name.begin(), name.end(), isSessionNameChar);
}

}  // namespace oh::control::aws
