#pragma once
// The remote sandbox API's keys (issue 13): one per user, so the key the app server presents
// names the owner (OpenHands' /start carries no user, remote_sandbox_service.py:482-492).
// A key is "ohsb1_{userKey}_{mac}", mac = base64url(HMAC-SHA256(secret, "sandbox api v1\n" ||
// userKey)); checking one recomputes the mac and compares in constant time, so no table of
// keys exists to leak or to keep in step. The secret is a 32-byte key file (auth/key_file.h forms).

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace oh::control {

class SandboxApiKeys {
public:
  static common::Result<SandboxApiKeys> fromSecret(std::string secret32);

  // The key an app server of this user is given.
  std::string keyFor(std::string_view user_key) const;

  // The owner a presented key names, or nullopt (malformed, unknown secret, wrong mac).
  std::optional<std::string> ownerOf(std::string_view presented_key) const;

private:
  explicit SandboxApiKeys(std::string secret) : secret_(std::move(secret)) {}
  std::string secret_;
};

}  // namespace oh::control
