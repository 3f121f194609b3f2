#include "sandbox/sandbox_id.h"

namespace oh::control {

bool isSandboxId(std::string_view id) {
  if (id.empty() || id.size() > kMaxSandboxIdChars) {
    return false;
  }
  for (char c : id) {
    const bool alphanumeric = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alphanumeric) {
      return false;
    }
  }
  return true;
}

}  // namespace oh::control
