#include "appserver/user_secrets.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/base64.h"

namespace oh::control {
namespace {

std::string derived(std::string_view secret_key, std::string_view domain, std::string_view user_key) {
  std::string input;
  input.reserve(domain.size() + user_key.size());
  input.append(domain).append(user_key);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), secret_key.data(), static_cast<int>(secret_key.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_size);
  return common::base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), mac_size));
}

}  // namespace

std::string jwtSecretFor(std::string_view secret_key, std::string_view user_key) {
  return derived(secret_key, "app server jwt v1\n", user_key);
}

std::string databasePasswordFor(std::string_view secret_key, std::string_view user_key) {
  return derived(secret_key, "app server database v1\n", user_key);
}

}  // namespace oh::control
