// Untrusted bytes as STS answers them (issue 15): an AssumeRole answer and an error answer, read
// by the strict XML reader; and as a token a sandbox presents. Nothing may crash; what is
// accepted has the documented shape.

#include <cstdint>
#include <string_view>

#include "credentials/sandbox_credential_tokens.h"
#include "credentials/sts_reply.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (const auto role = oh::control::aws::parseAssumeRoleResponse(input); role.ok()) {
    const auto& c = role->credentials;
    if (c.access_key_id.size() < 16 || c.secret_access_key.empty() || c.session_token.empty() || !c.expiration ||
        !role->assumed_role_arn.starts_with("arn:")) {
      __builtin_trap();
    }
  }
  if (oh::control::aws::describeStsError(input).size() > 400) {
    __builtin_trap();
  }
  static const auto tokens = oh::control::SandboxCredentialTokens::fromKey(std::string(32, 'k')).value();
  if (const auto id = tokens.sandboxOf(input); id && tokens.tokenFor(*id) != input) {
    __builtin_trap();
  }
  return 0;
}
