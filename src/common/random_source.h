#pragma once
// Randomness as an injected interface: production code uses the OS CSPRNG (through OpenSSL),
// tests pass a deterministic source so nonces, PKCE verifiers and ticket ids are reproducible.

#include <cstddef>
#include <string>

namespace oh::common {

class RandomSource {
public:
  virtual ~RandomSource() = default;
  // Fills `size` bytes at `out` with unpredictable bytes.
  virtual void fill(unsigned char* out, std::size_t size) = 0;

  // Convenience: `size` random bytes as a std::string.
  std::string bytes(std::size_t size);
};

// OpenSSL's RAND_bytes (seeded by the kernel); aborts if the CSPRNG fails, because every
// caller uses it for secrets and a predictable value would be worse than stopping.
class SystemRandomSource final : public RandomSource {
public:
  void fill(unsigned char* out, std::size_t size) override;
};

}  // namespace oh::common
