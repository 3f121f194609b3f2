#include "appserver/access_tokens.h"

#include <optional>
#include <string>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "appserver/user_secrets.h"
#include "common/base64.h"

namespace oh::control {
namespace {

namespace json = boost::json;

std::optional<json::object> jsonObject(std::string_view base64url) {
  const auto text = common::base64UrlDecode(base64url);
  if (!text) {
    return std::nullopt;
  }
  json::parse_options options;
  options.max_depth = 8;
  boost::system::error_code ec;
  json::value value = json::parse(*text, ec, json::storage_ptr(), options);
  if (ec || !value.is_object()) {
    return std::nullopt;
  }
  return std::move(value.as_object());
}

}  // namespace

bool signedByUsersServer(std::string_view secret_key, std::string_view user_key, std::string_view token,
                         std::int64_t now_unix) {
  if (token.empty() || token.size() > kMaxAccessTokenBytes) {
    return false;
  }
  const std::size_t first = token.find('.');
  const std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view signing_input = token.substr(0, second);
  const auto header = jsonObject(token.substr(0, first));
  const auto signature = common::base64UrlDecode(token.substr(second + 1));
  if (!header || !signature || signature->size() != 32) {
    return false;
  }
  // Exactly HS256, as PyJWT is told to accept (jwt_service.py:139): never none, never another.
  const json::value* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string() || alg->as_string() != "HS256") {
    return false;
  }
  const std::string secret = jwtSecretFor(secret_key, user_key);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac, &mac_size);
  if (mac_size != signature->size() || CRYPTO_memcmp(mac, signature->data(), mac_size) != 0) {
    return false;
  }
  // Signed by that server: now the payload may be read. exp is required (the server always sets it).
  const auto payload = jsonObject(token.substr(first + 1, second - first - 1));
  if (!payload) {
    return false;
  }
  const json::value* exp = payload->if_contains("exp");
  if (exp == nullptr) {
    return false;
  }
  if (exp->is_int64()) {
    return exp->as_int64() > now_unix;
  }
  if (exp->is_uint64()) {
    return true;  // beyond int64: far in the future
  }
  if (exp->is_double()) {
    return exp->as_double() > static_cast<double>(now_unix);
  }
  return false;
}

}  // namespace oh::control
