#include "test_crypto.h"

#include "common/base64.h"
#include "test_keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <map>
#include <memory>
#include <stdexcept>

namespace oh::gateway::auth::test {
namespace {

const char* pemFor(TestKey key) {
  switch (key) {
    case TestKey::rsa1: return kRsa1Pem;
    case TestKey::rsa2: return kRsa2Pem;
    case TestKey::ec1: return kEc1Pem;
    case TestKey::rsa_weak: return kRsaWeakPem;
  }
  return nullptr;
}

std::string b64(std::string_view s) { return common::base64UrlEncode(s); }

std::string bnMember(EVP_PKEY* key, const char* name, int pad_to) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
    throw std::runtime_error("get_bn_param");
  }
  const int len = pad_to > 0 ? pad_to : BN_num_bytes(bn);
  std::string out(static_cast<std::size_t>(len), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), len);
  BN_free(bn);
  return b64(out);
}

}  // namespace

EVP_PKEY* privateKey(TestKey key) {
  struct Free {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  };
  static std::map<TestKey, std::unique_ptr<EVP_PKEY, Free>> cache;
  auto it = cache.find(key);
  if (it != cache.end()) {
    return it->second.get();
  }
  BIO* bio = BIO_new_mem_buf(pemFor(key), -1);
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (pkey == nullptr) {
    throw std::runtime_error("bad PEM fixture");
  }
  cache[key].reset(pkey);
  return pkey;
}

std::string signJwt(std::string_view header_json, std::string_view payload_json, TestKey key) {
  const std::string input = b64(header_json) + "." + b64(payload_json);
  EVP_PKEY* pkey = privateKey(key);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey);
  std::size_t len = 0;
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  if (key == TestKey::ec1) {
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(es);
    sig = raw;
  }
  return input + "." + b64(sig);
}

std::string signHs256(std::string_view header_json, std::string_view payload_json, std::string_view secret) {
  const std::string input = b64(header_json) + "." + b64(payload_json);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + b64(std::string_view(reinterpret_cast<const char*>(mac), len));
}

std::string publicKeyPem(TestKey key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, privateKey(key));
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

std::string jwksJson(const std::vector<JwkSpec>& keys) {
  std::string out = R"({"keys":[)";
  bool first = true;
  for (const JwkSpec& spec : keys) {
    if (!first) {
      out += ",";
    }
    first = false;
    EVP_PKEY* pkey = privateKey(spec.key);
    out += "{" + spec.extra_members + R"("kid":")" + spec.kid + "\",";
    if (spec.key == TestKey::ec1) {
      out += R"("kty":"EC","crv":"P-256","x":")" + bnMember(pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32) +
             R"(","y":")" + bnMember(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32) + "\"}";
    } else {
      out += R"("kty":"RSA","n":")" + bnMember(pkey, OSSL_PKEY_PARAM_RSA_N, 0) + R"(","e":")" +
             bnMember(pkey, OSSL_PKEY_PARAM_RSA_E, 0) + "\"}";
    }
  }
  return out + "]}";
}

}  // namespace oh::gateway::auth::test
