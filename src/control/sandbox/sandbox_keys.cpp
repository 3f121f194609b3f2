#include "sandbox/sandbox_keys.h"

#include "common/base64.h"
#include "common/digest.h"

namespace oh::control {
namespace {

constexpr std::size_t kKeyBytes = 32;

std::string purposeFor(std::string_view owner, std::string_view sandbox_id) {
  std::string purpose = "oh sandbox keys v1\n";
  purpose += owner;
  purpose += '\n';
  purpose += sandbox_id;
  return purpose;
}

}  // namespace

SandboxKeys generateSandboxKeys(common::RandomSource& random) {
  return SandboxKeys{common::base64UrlEncode(random.bytes(kKeyBytes)), common::base64UrlEncode(random.bytes(kKeyBytes))};
}

// Plaintext: the two keys separated by a space (base64url has none).
std::string sealSandboxKeys(const common::SealedBox& box, const SandboxKeys& keys, std::string_view owner,
                            std::string_view sandbox_id, common::RandomSource& random) {
  return box.seal(purposeFor(owner, sandbox_id), keys.session_api_key + ' ' + keys.secret_key, random);
}

common::Result<SandboxKeys> unsealSandboxKeys(const common::SealedBox& box, std::string_view sealed,
                                              std::string_view owner, std::string_view sandbox_id) {
  auto plain = box.open(purposeFor(owner, sandbox_id), sealed);
  if (!plain) {
    return common::failure("sandbox keys: " + plain.error().reason);
  }
  const auto space = plain->find(' ');
  if (space == std::string::npos || space == 0 || space + 1 == plain->size()) {
    return common::failure("sandbox keys: malformed");
  }
  return SandboxKeys{plain->substr(0, space), plain->substr(space + 1)};
}

std::string sessionKeyDigest(std::string_view session_api_key) { return common::sha256(session_api_key); }

}  // namespace oh::control
