#pragma once
// Authenticated encryption for values the browser carries for us (session cookies, the
// sign-in flow cookie) and for secrets the control plane stores (sandbox keys): AES-256-GCM
// with a random 96-bit nonce, the purpose string as associated data (a value sealed for one
// purpose, host or sandbox cannot be replayed as another), and a one-byte key id so a rotated
// key (current + previous) keeps old values readable.
//
// Wire format, then base64url: key_id(1) || nonce(12) || ciphertext || tag(16).

#include "common/random_source.h"
#include "common/result.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace oh::common {

class SealedBox {
public:
  static constexpr std::size_t kKeyBytes = 32;

  // Keys are kKeyBytes (see the gateway's auth/key_file.h). previous is optional (key rotation).
  static Result<SealedBox> create(std::string current_key, std::optional<std::string> previous_key = std::nullopt);

  std::string seal(std::string_view purpose, std::string_view plaintext, RandomSource& random) const;

  // Fails with a reason on bad encoding, unknown key id, truncation, or a tag mismatch.
  Result<std::string> open(std::string_view purpose, std::string_view sealed) const;

  // Length of seal()'s output for a plaintext of n bytes.
  static std::size_t sealedSize(std::size_t plaintext_bytes);

  static constexpr std::size_t kMaxSealedBytes = 8 * 1024;

private:
  struct Key {
    unsigned char id = 0;
    std::string bytes;
  };
  SealedBox(Key current, std::optional<Key> previous) : current_(std::move(current)), previous_(std::move(previous)) {}
  static unsigned char keyId(std::string_view key);

  Key current_;
  std::optional<Key> previous_;
};

}  // namespace oh::common
