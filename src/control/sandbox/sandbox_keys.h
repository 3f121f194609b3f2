#pragma once
// The two secrets the service generates for each sandbox (issue 13) and how they are kept:
//   session API key  OH_SESSION_API_KEYS_0, returned to the app server as session_api_key; the
//                    agent server requires it on its API and as VS Code's token
//                    (agent-server SDK v1.20.1 config.py:13-14, 98-108; vscode_service.py:237-244)
//   OH_SECRET_KEY    what the agent server encrypts persisted secrets with; any string (it is
//                    hashed into a Fernet key: SDK openhands/sdk/utils/cipher.py:60-68), and it
//                    must not change across re-creation or stored secrets become unreadable
//                    (SDK config.py:33-46, 166-195)
// Each is 32 random bytes in base64url (43 characters: safe in headers and in the ?tkn= and
// ?session_api_key= query parameters OpenHands puts them in). The store keeps both sealed
// (AES-256-GCM, common/sealed_box.h) under a purpose naming the owner and the sandbox, so a
// sealed value copied onto another record does not open.

#include <string>
#include <string_view>

#include "common/random_source.h"
#include "common/result.h"
#include "common/sealed_box.h"

namespace oh::control {

struct SandboxKeys {
  std::string session_api_key;
  std::string secret_key;
};

SandboxKeys generateSandboxKeys(common::RandomSource& random);

std::string sealSandboxKeys(const common::SealedBox& box, const SandboxKeys& keys, std::string_view owner,
                            std::string_view sandbox_id, common::RandomSource& random);

common::Result<SandboxKeys> unsealSandboxKeys(const common::SealedBox& box, std::string_view sealed,
                                              std::string_view owner, std::string_view sandbox_id);

// SHA-256 of the session key, raw 32 bytes (SandboxRoute::session_key_sha256).
std::string sessionKeyDigest(std::string_view session_api_key);

}  // namespace oh::control
