#include "credentials/sandbox_credential_tokens.h"

#include <algorithm>

#include "common/base64.h"
#include "common/constant_time.h"
#include "credentials/sigv4.h"

namespace oh::control {
namespace {

constexpr std::size_t kKeyBytes = 32;
constexpr std::string_view kPrefix = "ohcr1.";
// Bound to its purpose: the same key used for anything else never yields a token.
constexpr std::string_view kMacDomain = "sandbox credentials v1\n";
constexpr std::size_t kMacChars = 43;      // base64url of 32 bytes, unpadded
constexpr std::size_t kMaxSandboxId = 64;  // the sandbox API's own limit (start_validation.h)

bool isIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string macFor(const std::string& key, std::string_view sandbox_id) {
  std::string input(kMacDomain);
  input.append(sandbox_id);
  return common::base64UrlEncode(aws::hmacSha256(key, input));
}

}  // namespace

common::Result<SandboxCredentialTokens> SandboxCredentialTokens::fromKey(std::string key32) {
  if (key32.size() != kKeyBytes) {
    return common::failure("the credential token key must be 32 bytes");
  }
  return SandboxCredentialTokens(std::move(key32));
}

std::string SandboxCredentialTokens::tokenFor(std::string_view sandbox_id) const {
  std::string token(kPrefix);
  token.append(sandbox_id).append(".").append(macFor(key_, sandbox_id));
  return token;
}

std::optional<std::string> SandboxCredentialTokens::sandboxOf(std::string_view presented) const {
  // The shape is checked before any MAC work; none of it depends on the key.
  if (presented.size() > kMaxCredentialTokenBytes || !presented.starts_with(kPrefix) ||
      presented.size() < kPrefix.size() + 2 + kMacChars) {
    return std::nullopt;
  }
  const std::string_view rest = presented.substr(kPrefix.size());
  const std::size_t dot = rest.size() - kMacChars - 1;
  if (rest[dot] != '.') {
    return std::nullopt;
  }
  const std::string_view id = rest.substr(0, dot);
  if (id.empty() || id.size() > kMaxSandboxId || !std::all_of(id.begin(), id.end(), isIdChar)) {
    return std::nullopt;
  }
  if (!common::constantTimeEqual(macFor(key_, id), rest.substr(dot + 1))) {
    return std::nullopt;
  }
  return std::string(id);
}

}  // namespace oh::control
