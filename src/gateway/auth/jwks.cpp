#include "auth/jwks.h"

#include "common/base64.h"

#include <boost/json.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <fmt/format.h>

namespace oh::gateway::auth {
namespace {

namespace json = boost::json;
using common::base64UrlDecode;

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

std::string stringMember(const json::object& obj, std::string_view name) {
  const json::value* v = obj.if_contains(name);
  if (v == nullptr || !v->is_string()) {
    return {};
  }
  return std::string(v->get_string());
}

PublicKeyPtr fromData(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0) {
    return nullptr;
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0 || raw == nullptr) {
    return nullptr;
  }
  return PublicKeyPtr(raw, PublicKeyDeleter{});
}

// Returns the key or a reason it was skipped.
Result<PublicKeyPtr> rsaKey(const json::object& obj) {
  const auto n = base64UrlDecode(stringMember(obj, "n"));
  const auto e = base64UrlDecode(stringMember(obj, "e"));
  if (!n || !e || n->empty() || e->empty()) {
    return failure("RSA key without valid base64url n and e");
  }
  if (n->size() > 1024 || e->size() > 8) {
    return failure("RSA key too large");
  }
  std::unique_ptr<BIGNUM, BnFree> bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                                               static_cast<int>(n->size()), nullptr));
  std::unique_ptr<BIGNUM, BnFree> be(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                                               static_cast<int>(e->size()), nullptr));
  if (!bn || !be) {
    return failure("RSA key: bad numbers");
  }
  // RFC 7518 section 3.3: RS256 keys must be at least 2048 bits.
  if (BN_num_bits(bn.get()) < 2048) {
    return failure(fmt::format("RSA key of {} bits (< 2048)", BN_num_bits(bn.get())));
  }
  if (!BN_is_odd(be.get()) || BN_is_one(be.get())) {
    return failure("RSA key: invalid exponent");
  }
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, be.get()) != 1) {
    return failure("RSA key: OpenSSL parameter error");
  }
  PublicKeyPtr key = fromData("RSA", bld.get());
  if (!key) {
    return failure("RSA key rejected by OpenSSL");
  }
  return key;
}

Result<PublicKeyPtr> ecKey(const json::object& obj) {
  if (stringMember(obj, "crv") != "P-256") {
    return failure("EC key on a curve other than P-256");
  }
  const auto x = base64UrlDecode(stringMember(obj, "x"));
  const auto y = base64UrlDecode(stringMember(obj, "y"));
  if (!x || !y || x->size() != 32 || y->size() != 32) {
    return failure("EC key without 32-byte x and y");
  }
  // SEC 1 uncompressed point: 0x04 || x || y. OpenSSL checks that it lies on the curve.
  std::string point;
  point.reserve(65);
  point.push_back('\x04');
  point += *x;
  point += *y;
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return failure("EC key: OpenSSL parameter error");
  }
  PublicKeyPtr key = fromData("EC", bld.get());
  if (!key) {
    return failure("EC key rejected by OpenSSL (point not on the curve?)");
  }
  return key;
}

}  // namespace

void PublicKeyDeleter::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

Result<JwkSet> parseJwks(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    return failure(fmt::format("JWKS document of {} bytes exceeds {}", text.size(), max_bytes));
  }
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) {
    return failure("JWKS document is not a JSON object");
  }
  const json::value* keys = doc.get_object().if_contains("keys");
  if (keys == nullptr || !keys->is_array()) {
    return failure("JWKS document has no \"keys\" array");
  }
  JwkSet set;
  std::size_t index = 0;
  for (const json::value& entry : keys->get_array()) {
    const std::size_t at = index++;
    if (!entry.is_object()) {
      set.skipped.push_back(fmt::format("keys[{}]: not an object", at));
      continue;
    }
    const json::object& obj = entry.get_object();
    Jwk jwk;
    jwk.kid = stringMember(obj, "kid");
    jwk.alg = stringMember(obj, "alg");
    const std::string kty = stringMember(obj, "kty");
    const json::value* use = obj.if_contains("use");
    if (jwk.kid.empty()) {
      set.skipped.push_back(fmt::format("keys[{}]: no kid", at));
      continue;
    }
    if (use != nullptr && !(use->is_string() && use->get_string() == "sig")) {
      set.skipped.push_back(fmt::format("keys[{}] kid={}: use is not \"sig\"", at, jwk.kid));
      continue;
    }
    Result<PublicKeyPtr> key = failure("unsupported kty");
    if (kty == "RSA" && (jwk.alg.empty() || jwk.alg == "RS256")) {
      jwk.type = KeyType::rsa;
      key = rsaKey(obj);
    } else if (kty == "EC" && (jwk.alg.empty() || jwk.alg == "ES256")) {
      jwk.type = KeyType::ec_p256;
      key = ecKey(obj);
    } else {
      key = failure(fmt::format("unsupported kty/alg {}/{}", kty, jwk.alg));
    }
    if (!key) {
      set.skipped.push_back(fmt::format("keys[{}] kid={}: {}", at, jwk.kid, key.error().reason));
      continue;
    }
    bool duplicate = false;
    for (const Jwk& seen : set.keys) {
      duplicate = duplicate || seen.kid == jwk.kid;
    }
    if (duplicate) {
      // Two keys under one kid would make the choice of key ambiguous: keep the first.
      set.skipped.push_back(fmt::format("keys[{}] kid={}: duplicate kid", at, jwk.kid));
      continue;
    }
    jwk.key = std::move(key).value();
    set.keys.push_back(std::move(jwk));
  }
  return set;
}

std::optional<Jwk> StaticKeys::find(std::string_view kid) const {
  for (const Jwk& k : set_.keys) {
    if (k.kid == kid) {
      return k;
    }
  }
  return std::nullopt;
}

}  // namespace oh::gateway::auth
