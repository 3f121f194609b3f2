#include "auth/account_fingerprint.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/base64.h"
#include "common/constant_time.h"

namespace oh::gateway::auth {
namespace {

std::string hmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

}  // namespace

AccountFingerprinter::AccountFingerprinter(std::string_view cookie_key)
    : key_(hmacSha256(cookie_key, "oh-account-fingerprint-v1")) {}

std::string AccountFingerprinter::fingerprint(std::string_view name, std::string_view password_hash) const {
  // The name is bound too (length-prefixed), so two accounts with one hash differ.
  std::string input = std::to_string(name.size()) + ":";
  input.append(name);
  input.append(password_hash);
  return common::base64UrlEncode(hmacSha256(key_, input).substr(0, 12));
}

bool fingerprintMatches(std::string_view session_fingerprint, std::string_view expected) {
  return !session_fingerprint.empty() && !expected.empty() && common::constantTimeEqual(session_fingerprint, expected);
}

}  // namespace oh::gateway::auth
