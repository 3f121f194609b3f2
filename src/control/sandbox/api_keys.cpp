#include "sandbox/api_keys.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/base64.h"
#include "common/constant_time.h"
#include "sandbox/user_key.h"

namespace oh::control {
namespace {

constexpr std::size_t kSecretBytes = 32;
constexpr std::string_view kKeyPrefix = "ohsb1_";
// The MAC's input is bound to its purpose, so the same secret used elsewhere never yields a key.
constexpr std::string_view kMacDomain = "sandbox api v1\n";
constexpr std::size_t kUserKeyChars = 32;
constexpr std::size_t kMacChars = 43;  // base64url of 32 bytes, unpadded
constexpr std::size_t kKeyChars = kKeyPrefix.size() + kUserKeyChars + 1 + kMacChars;

std::string macFor(const std::string& secret, std::string_view user_key) {
  std::string input;
  input.reserve(kMacDomain.size() + user_key.size());
  input.append(kMacDomain).append(user_key);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), mac, &mac_size);
  return common::base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), mac_size));
}

}  // namespace

common::Result<SandboxApiKeys> SandboxApiKeys::fromSecret(std::string secret32) {
  if (secret32.size() != kSecretBytes) {
    return common::failure("the sandbox API key secret must be 32 bytes");
  }
  return SandboxApiKeys(std::move(secret32));
}

std::string SandboxApiKeys::keyFor(std::string_view user_key) const {
  std::string key;
  key.reserve(kKeyChars);
  key.append(kKeyPrefix).append(user_key).append("_").append(macFor(secret_, user_key));
  return key;
}

std::optional<std::string> SandboxApiKeys::ownerOf(std::string_view presented_key) const {
  // The shape is checked before any MAC work; none of it depends on the secret.
  if (presented_key.size() != kKeyChars || !presented_key.starts_with(kKeyPrefix) ||
      presented_key[kKeyPrefix.size() + kUserKeyChars] != '_') {
    return std::nullopt;
  }
  const std::string_view user_key = presented_key.substr(kKeyPrefix.size(), kUserKeyChars);
  if (!isUserKey(user_key)) {
    return std::nullopt;
  }
  const std::string_view presented_mac = presented_key.substr(kKeyPrefix.size() + kUserKeyChars + 1);
  if (!common::constantTimeEqual(macFor(secret_, user_key), presented_mac)) {
    return std::nullopt;
  }
  return std::string(user_key);
}

}  // namespace oh::control
