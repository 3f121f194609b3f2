#pragma once
// Checks the X-Origin-Verify header that CloudFront adds (DESIGN.md section 2): the value must
// equal the current or the previous secret, compared in constant time. Secrets are read from
// files (surrounding whitespace trimmed) and re-read on SIGHUP; a failed reload keeps the old pair.
//
// Usage:
//   std::string error;
//   auto check = OriginCheck::create(settings.origin.current_secret_file,
//                                    settings.origin.previous_secret_file, error);
//   if (!check) { log(error); exit(2); }
//   if (!check->verify(request["X-Origin-Verify"])) { answer 403; }
//   // on SIGHUP, from any thread:
//   if (!check->reload(error)) { log(error); }  // old secrets stay in force

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oh::gateway {

// Shorter secrets are refused: the deployment generates 32+ random characters, so a short one
// is a truncated file or a placeholder.
inline constexpr std::size_t kMinOriginSecretBytes = 16;
// A secret file larger than this is not a secret file.
inline constexpr std::size_t kMaxOriginSecretFileBytes = 4096;

// An immutable pair of secrets.
class OriginVerifier {
public:
  // Reads the files; previous_file may be empty. Returns nullopt with `error` set when a file
  // cannot be read or a secret is empty or shorter than kMinOriginSecretBytes. A file that
  // group or others may read is refused too (error names the file and the chmod that fixes it).
  static std::optional<OriginVerifier> fromFiles(const std::string& current_file,
                                                 const std::string& previous_file,
                                                 std::string& error);
  // Secrets given directly (tests, or a caller that read them elsewhere). An empty `previous`
  // means there is none. Lengths are not checked here.
  OriginVerifier(std::string current, std::string previous);

  // True when `presented` equals either secret. The time taken does not depend on where or
  // whether the values differ, nor on their lengths: SHA-256 digests of equal size are compared
  // with CRYPTO_memcmp, and both secrets are always compared. An empty value never matches.
  bool verify(std::string_view presented) const;

  bool hasPrevious() const { return has_previous_; }

private:
  using Digest = std::array<unsigned char, 32>;
  Digest current_digest_{};
  Digest previous_digest_{};
  bool has_previous_ = false;
};

// The verifier in force, swapped atomically on reload; safe to use from every thread.
class OriginCheck {
public:
  static std::unique_ptr<OriginCheck> create(std::string current_file, std::string previous_file,
                                             std::string& error);

  bool verify(std::string_view presented) const;

  // Re-reads both files. On failure returns false, sets `error`, and keeps the old secrets.
  bool reload(std::string& error);

  std::shared_ptr<const OriginVerifier> current() const { return verifier_.load(); }

private:
  OriginCheck(std::string current_file, std::string previous_file,
              std::shared_ptr<const OriginVerifier> verifier);

  const std::string current_file_;
  const std::string previous_file_;
  std::atomic<std::shared_ptr<const OriginVerifier>> verifier_;
};

}  // namespace oh::gateway
