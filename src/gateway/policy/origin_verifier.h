#pragma once
// Checks the X-Origin-Verify header that CloudFront adds (DESIGN.md section 2): the value must
// equal the current or the previous secret, compared in constant time. Secrets are read from
// files (trailing whitespace trimmed) and re-read on SIGHUP; a failed reload keeps the old pair.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace oh::gateway {

class OriginVerifier {
public:
  // Reads the files; previous_file may be empty. Returns nullopt with `error` set when the
  // current secret is missing, empty or shorter than 16 bytes.
  static std::optional<OriginVerifier> fromFiles(const std::string& current_file,
                                                 const std::string& previous_file,
                                                 std::string& error);
  OriginVerifier(std::string current, std::string previous);

  // True when `presented` equals either secret; time independent of where they differ.
  bool verify(std::string_view presented) const;

private:
  std::string current_;
  std::string previous_;
};

}  // namespace oh::gateway
