#include "auth/jwt.h"

#include "common/base64.h"

#include <boost/json.hpp>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace oh::gateway::auth {
namespace {

namespace json = boost::json;

Fail<JwtFailure> jwtFail(JwtError code, std::string detail = {}) {
  return fail(JwtFailure{code, std::move(detail)});
}

std::optional<json::object> decodeJsonObject(std::string_view b64) {
  const auto bytes = common::base64UrlDecode(b64);
  if (!bytes) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 16;
  json::value v = json::parse(*bytes, ec, {}, opts);
  if (ec || !v.is_object()) {
    return std::nullopt;
  }
  return std::move(v.get_object());
}

// Numeric date (RFC 7519 section 2): integer or fractional seconds; rejects absurd values.
std::optional<std::int64_t> numericDate(const json::value& v) {
  double d = 0;
  if (v.is_int64()) {
    d = static_cast<double>(v.get_int64());
  } else if (v.is_uint64()) {
    d = static_cast<double>(v.get_uint64());
  } else if (v.is_double()) {
    d = v.get_double();
  } else {
    return std::nullopt;
  }
  if (!std::isfinite(d) || d < 0 || d > 1e11) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(std::floor(d));
}

struct DigestCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};

// JWS carries ECDSA signatures as fixed-size r||s (RFC 7518 3.4); OpenSSL wants DER.
std::optional<std::string> ecdsaRawToDer(std::string_view raw) {
  if (raw.size() != 64) {
    return std::nullopt;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(p, 32, nullptr);
  BIGNUM* s = BN_bin2bn(p + 32, 32, nullptr);
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || !sig || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) {
    return std::nullopt;
  }
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

// Attacker-chosen strings (kid, alg) go to logs: keep them short and printable.
std::string printable(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 64)) {
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  return out;
}

}  // namespace

std::string_view toString(JwtError e) {
  switch (e) {
    case JwtError::oversized: return "oversized";
    case JwtError::malformed: return "malformed";
    case JwtError::bad_base64: return "bad_base64";
    case JwtError::bad_json: return "bad_json";
    case JwtError::alg_none: return "alg_none";
    case JwtError::alg_hmac: return "alg_hmac";
    case JwtError::alg_unsupported: return "alg_unsupported";
    case JwtError::crit_header: return "crit_header";
    case JwtError::missing_kid: return "missing_kid";
    case JwtError::unknown_kid: return "unknown_kid";
    case JwtError::key_mismatch: return "key_mismatch";
    case JwtError::bad_signature: return "bad_signature";
    case JwtError::expired: return "expired";
    case JwtError::not_yet_valid: return "not_yet_valid";
    case JwtError::wrong_issuer: return "wrong_issuer";
    case JwtError::wrong_audience: return "wrong_audience";
    case JwtError::wrong_token_use: return "wrong_token_use";
    case JwtError::wrong_nonce: return "wrong_nonce";
    case JwtError::missing_claim: return "missing_claim";
  }
  return "unknown";
}

std::string describe(const JwtFailure& f) {
  if (f.detail.empty()) {
    return std::string(toString(f.code));
  }
  return fmt::format("{}: {}", toString(f.code), f.detail);
}

Result<ParsedJws, JwtFailure> parseJws(std::string_view token, std::size_t max_bytes) {
  if (token.size() > max_bytes) {
    return jwtFail(JwtError::oversized, fmt::format("{} bytes > {}", token.size(), max_bytes));
  }
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return jwtFail(JwtError::malformed, "not three parts");
  }
  const std::string_view header_b64 = token.substr(0, dot1);
  const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view sig_b64 = token.substr(dot2 + 1);
  if (header_b64.empty() || payload_b64.empty() || sig_b64.empty()) {
    return jwtFail(JwtError::malformed, "empty part");
  }
  auto signature = common::base64UrlDecode(sig_b64);
  if (!signature || !common::base64UrlDecode(header_b64) || !common::base64UrlDecode(payload_b64)) {
    return jwtFail(JwtError::bad_base64);
  }
  auto header = decodeJsonObject(header_b64);
  if (!header) {
    return jwtFail(JwtError::bad_json, "header");
  }
  ParsedJws jws;
  const json::value* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string()) {
    return jwtFail(JwtError::alg_unsupported, "no alg");
  }
  jws.alg = std::string(alg->get_string());
  std::string lower = jws.alg;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  if (lower == "none") {
    return jwtFail(JwtError::alg_none);
  }
  if (lower.rfind("hs", 0) == 0) {
    return jwtFail(JwtError::alg_hmac, printable(jws.alg));
  }
  if (jws.alg != "RS256" && jws.alg != "ES256") {
    return jwtFail(JwtError::alg_unsupported, printable(jws.alg));
  }
  if (header->contains("crit")) {
    return jwtFail(JwtError::crit_header);
  }
  const json::value* kid = header->if_contains("kid");
  if (kid == nullptr || !kid->is_string() || kid->get_string().empty()) {
    return jwtFail(JwtError::missing_kid);
  }
  jws.kid = std::string(kid->get_string());
  auto payload = decodeJsonObject(payload_b64);
  if (!payload) {
    return jwtFail(JwtError::bad_json, "payload");
  }
  jws.header = std::move(*header);
  jws.payload = std::move(*payload);
  jws.signing_input = std::string(token.substr(0, dot2));
  jws.signature = std::move(*signature);
  return jws;
}

bool verifySignature(const ParsedJws& jws, const Jwk& key) {
  std::string der;
  std::string_view sig = jws.signature;
  if (jws.alg == "ES256") {
    auto converted = ecdsaRawToDer(sig);
    if (!converted) {
      return false;
    }
    der = std::move(*converted);
    sig = der;
  } else if (jws.alg != "RS256") {
    return false;
  }
  std::unique_ptr<EVP_MD_CTX, DigestCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(jws.signing_input.data()),
                          jws.signing_input.size()) == 1;
}

Result<IdTokenClaims, JwtFailure> checkClaims(const json::object& payload, const TokenExpectations& want,
                                             std::chrono::sys_seconds now) {
  const std::chrono::seconds leeway = std::clamp(want.leeway, std::chrono::seconds(0), std::chrono::seconds(60));
  IdTokenClaims claims;

  const json::value* iss = payload.if_contains("iss");
  if (iss == nullptr || !iss->is_string()) {
    return jwtFail(JwtError::missing_claim, "iss");
  }
  if (iss->get_string() != want.issuer) {
    return jwtFail(JwtError::wrong_issuer);
  }

  // aud may be a string or an array (OIDC Core 2); Cognito access tokens carry client_id instead.
  bool audience_ok = false;
  if (const json::value* aud = payload.if_contains("aud")) {
    if (aud->is_string()) {
      audience_ok = aud->get_string() == want.audience;
    } else if (aud->is_array()) {
      for (const json::value& a : aud->get_array()) {
        audience_ok = audience_ok || (a.is_string() && a.get_string() == want.audience);
      }
    }
  } else if (const json::value* cid = payload.if_contains("client_id")) {
    audience_ok = cid->is_string() && cid->get_string() == want.audience;
  }
  if (!audience_ok || want.audience.empty()) {
    return jwtFail(JwtError::wrong_audience);
  }
  // OIDC Core 3.1.3.7 (5): an authorized party, when present, must be this client.
  if (const json::value* azp = payload.if_contains("azp")) {
    if (!azp->is_string() || azp->get_string() != want.audience) {
      return jwtFail(JwtError::wrong_audience, "azp");
    }
  }

  const json::value* exp = payload.if_contains("exp");
  const auto exp_s = exp == nullptr ? std::nullopt : numericDate(*exp);
  if (!exp_s) {
    return jwtFail(JwtError::missing_claim, "exp");
  }
  claims.expires_at = std::chrono::sys_seconds(std::chrono::seconds(*exp_s));
  if (now >= claims.expires_at + leeway) {
    return jwtFail(JwtError::expired);
  }
  if (const json::value* nbf = payload.if_contains("nbf")) {
    const auto nbf_s = numericDate(*nbf);
    if (!nbf_s) {
      return jwtFail(JwtError::missing_claim, "nbf is not a number");
    }
    if (now + leeway < std::chrono::sys_seconds(std::chrono::seconds(*nbf_s))) {
      return jwtFail(JwtError::not_yet_valid);
    }
  }
  if (const json::value* iat = payload.if_contains("iat")) {
    const auto iat_s = numericDate(*iat);
    if (!iat_s) {
      return jwtFail(JwtError::missing_claim, "iat is not a number");
    }
    claims.issued_at = std::chrono::sys_seconds(std::chrono::seconds(*iat_s));
    // Issued in the future beyond the leeway: the provider's clock or the token is wrong.
    if (now + leeway < claims.issued_at) {
      return jwtFail(JwtError::not_yet_valid, "iat in the future");
    }
  }

  if (want.require_token_use_id) {
    const json::value* use = payload.if_contains("token_use");
    if (use == nullptr || !use->is_string() || use->get_string() != "id") {
      return jwtFail(JwtError::wrong_token_use);
    }
  }
  if (want.nonce) {
    const json::value* nonce = payload.if_contains("nonce");
    if (nonce == nullptr || !nonce->is_string() || nonce->get_string() != *want.nonce) {
      return jwtFail(JwtError::wrong_nonce);
    }
  }

  const json::value* sub = payload.if_contains("sub");
  if (sub == nullptr || !sub->is_string() || sub->get_string().empty() || sub->get_string().size() > 255) {
    return jwtFail(JwtError::missing_claim, "sub");
  }
  claims.sub = std::string(sub->get_string());
  if (const json::value* email = payload.if_contains("email"); email != nullptr && email->is_string()) {
    claims.email = std::string(email->get_string().subview(0, std::min<std::size_t>(email->get_string().size(), 320)));
  }
  // Cognito sends a JSON boolean; some providers send the string "true".
  if (const json::value* ev = payload.if_contains("email_verified")) {
    claims.email_verified = (ev->is_bool() && ev->get_bool()) || (ev->is_string() && ev->get_string() == "true");
  }
  return claims;
}

Result<IdTokenClaims, JwtFailure> verifyIdToken(std::string_view token, KeyLookup& keys,
                                               const TokenExpectations& want, std::chrono::sys_seconds now) {
  auto jws = parseJws(token);
  if (!jws) {
    return fail(jws.error());
  }
  const std::optional<Jwk> key = keys.findKey(jws->kid);
  if (!key) {
    return jwtFail(JwtError::unknown_kid, printable(jws->kid));
  }
  const bool type_ok = (jws->alg == "RS256" && key->type == KeyType::rsa) ||
                       (jws->alg == "ES256" && key->type == KeyType::ec_p256);
  if (!type_ok || (!key->alg.empty() && key->alg != jws->alg)) {
    return jwtFail(JwtError::key_mismatch, fmt::format("{} with key {}", jws->alg, printable(key->kid)));
  }
  if (!verifySignature(*jws, *key)) {
    return jwtFail(JwtError::bad_signature);
  }
  return checkClaims(jws->payload, want, now);
}

}  // namespace oh::gateway::auth
