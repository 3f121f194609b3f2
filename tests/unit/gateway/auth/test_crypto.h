#pragma once
// Test-side crypto: signs tokens with the PEM fixtures, builds JWKS documents from them, and
// provides a settable clock and a deterministic RandomSource. Independent of the code under
// test except for base64url (itself tested in common_helpers_test.cpp).

#include "common/random_source.h"
#include "common/wall_clock.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

typedef struct evp_pkey_st EVP_PKEY;

namespace oh::gateway::auth::test {

enum class TestKey { rsa1, rsa2, ec1, rsa_weak };

// Private key for a fixture (loaded once per process).
EVP_PKEY* privateKey(TestKey key);

// header.payload.signature, RS256 for RSA keys and ES256 (raw r||s) for the EC key.
std::string signJwt(std::string_view header_json, std::string_view payload_json, TestKey key);
// HMAC-SHA256 with an arbitrary secret (for the "HS256 signed with the public key" attack).
std::string signHs256(std::string_view header_json, std::string_view payload_json, std::string_view secret);
// The public key as PEM text (what an attacker would use as an HMAC secret).
std::string publicKeyPem(TestKey key);

struct JwkSpec {
  std::string kid;
  TestKey key;
  std::string extra_members;  // e.g. R"("use":"enc",)" inserted into the JSON object
};
std::string jwksJson(const std::vector<JwkSpec>& keys);

class FakeClock final : public common::WallClock {
public:
  explicit FakeClock(std::int64_t unix_seconds) : now_(std::chrono::seconds(unix_seconds)) {}
  common::UnixSeconds now() const override { return now_; }
  void set(std::int64_t unix_seconds) { now_ = common::UnixSeconds(std::chrono::seconds(unix_seconds)); }
  void advance(std::chrono::seconds s) { now_ += s; }

private:
  common::UnixSeconds now_;
};

// A reproducible stream (splitmix64 from a fixed seed): same bytes on every run, no repeats.
class CountingRandom final : public common::RandomSource {
public:
  void fill(unsigned char* out, std::size_t size) override {
    for (std::size_t i = 0; i < size; ++i) {
      if (available_ == 0) {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        word_ = z ^ (z >> 31);
        available_ = 8;
      }
      out[i] = static_cast<unsigned char>(word_ & 0xFF);
      word_ >>= 8;
      --available_;
    }
  }

private:
  std::uint64_t state_ = 42;
  std::uint64_t word_ = 0;
  int available_ = 0;
};

}  // namespace oh::gateway::auth::test
