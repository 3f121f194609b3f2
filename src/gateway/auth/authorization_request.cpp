#include "auth/authorization_request.h"

#include "common/base64.h"

#include <openssl/sha.h>

#include <algorithm>

namespace oh::gateway::auth {

std::string makeCodeVerifier(common::RandomSource& random, std::size_t length) {
  length = std::clamp<std::size_t>(length, 43, 128);
  // base64url of n bytes gives ceil(4n/3) characters; draw enough and cut to length.
  std::string verifier = common::base64UrlEncode(random.bytes((length * 3 + 3) / 4));
  verifier.resize(length);
  return verifier;
}

std::string codeChallengeS256(std::string_view verifier) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest);
  return common::base64UrlEncode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string makeOpaqueToken(common::RandomSource& random) { return common::base64UrlEncode(random.bytes(32)); }

PendingLogin newPendingLogin(common::RandomSource& random, std::string return_path) {
  PendingLogin login;
  login.state = makeOpaqueToken(random);
  login.nonce = makeOpaqueToken(random);
  login.code_verifier = makeCodeVerifier(random);
  login.return_path = std::move(return_path);
  return login;
}

std::string buildAuthorizeUrl(const OidcProvider& provider, const AuthorizeParams& params, const PendingLogin& login) {
  const std::string challenge = codeChallengeS256(login.code_verifier);
  // The endpoint was validated when the provider settings were loaded; value() cannot fail then.
  return appendQuery(provider.authorization_endpoint, {{"response_type", "code"},
                                                       {"client_id", params.client_id},
                                                       {"redirect_uri", params.redirect_uri},
                                                       {"scope", params.scope},
                                                       {"state", login.state},
                                                       {"nonce", login.nonce},
                                                       {"code_challenge", challenge},
                                                       {"code_challenge_method", "S256"}})
      .value_or(std::string());
}

}  // namespace oh::gateway::auth
