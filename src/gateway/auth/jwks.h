#pragma once
// JSON Web Key Sets (RFC 7517) as published by Cognito and OIDC providers: the signing keys
// the gateway accepts ID tokens from. Only RSA (>= 2048 bits, for RS256) and EC P-256 (for
// ES256) signature keys are loaded; anything else is skipped with a note, never an error,
// because providers publish extra keys (encryption keys, other curves) beside the ones we use.

#include "auth/result.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

typedef struct evp_pkey_st EVP_PKEY;

namespace oh::gateway::auth {

enum class KeyType { rsa, ec_p256 };

struct PublicKeyDeleter {
  void operator()(EVP_PKEY* key) const;
};
// Immutable after construction; shared between the cache and verifications in flight.
using PublicKeyPtr = std::shared_ptr<EVP_PKEY>;

struct Jwk {
  std::string kid;
  KeyType type = KeyType::rsa;
  std::string alg;  // the key's "alg" member if present ("RS256"/"ES256"), else empty
  PublicKeyPtr key;
};

struct JwkSet {
  std::vector<Jwk> keys;
  std::vector<std::string> skipped;  // one line per ignored key, for the log
};

// Parses a JWKS document. Fails only when the document is not a JSON object with a "keys"
// array, or is larger than max_bytes; individual bad keys are skipped.
Result<JwkSet> parseJwks(std::string_view json, std::size_t max_bytes = 256 * 1024);

// Looks up a verification key by kid. Implemented by JwksCache; tests use a fixed set.
class KeyLookup {
public:
  virtual ~KeyLookup() = default;
  // nullopt when the kid is unknown (after any refetch the implementation allows). A copy, so
  // the key stays alive while a verification uses it even if the set is replaced meanwhile.
  virtual std::optional<Jwk> findKey(std::string_view kid) = 0;
};

// A fixed set of keys (tests, and the snapshot held by JwksCache).
class StaticKeys final : public KeyLookup {
public:
  explicit StaticKeys(JwkSet set) : set_(std::move(set)) {}
  std::optional<Jwk> findKey(std::string_view kid) override { return find(kid); }
  std::optional<Jwk> find(std::string_view kid) const;
  const JwkSet& set() const { return set_; }

private:
  JwkSet set_;
};

}  // namespace oh::gateway::auth
