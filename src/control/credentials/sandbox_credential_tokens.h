#pragma once
// The token each sandbox presents to the credential endpoint (AWS_CONTAINER_AUTHORIZATION_TOKEN,
// issue 15): "ohcr1.{sandboxId}.{mac}", mac = base64url(HMAC-SHA256(key, "sandbox credentials
// v1\n" || sandboxId)). Derived, not stored: the sandbox service computes it again whenever it
// (re)creates the container, and the endpoint checks it by recomputing, in constant time. The
// token names only a sandbox; whose credentials it opens is the owner the sandbox service's
// route snapshot records for that id at the time of the call, so a removed sandbox's token
// opens nothing.

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace oh::control {

inline constexpr std::size_t kMaxCredentialTokenBytes = 128;

class SandboxCredentialTokens {
public:
  // The key is 32 bytes (the token key file, decoded); another size is refused.
  static common::Result<SandboxCredentialTokens> fromKey(std::string key32);

  std::string tokenFor(std::string_view sandbox_id) const;

  // The sandbox id a presented token names, or nullopt (malformed, other key, wrong mac).
  std::optional<std::string> sandboxOf(std::string_view presented_token) const;

private:
  explicit SandboxCredentialTokens(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace oh::control
