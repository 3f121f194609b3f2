#include "policy/origin_verifier.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

namespace oh::gateway {
namespace {

// SHA256() looks the algorithm up in OpenSSL 3's provider table on every call (about 1 us);
// fetching it once and reusing one context per thread makes a check cost the hash alone.
const EVP_MD* sha256Algorithm() {
  static EVP_MD* const algorithm = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return algorithm;
}

std::array<unsigned char, 32> sha256(std::string_view text) {
  struct ContextDeleter {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
  };
  thread_local const std::unique_ptr<EVP_MD_CTX, ContextDeleter> context(EVP_MD_CTX_new());
  std::array<unsigned char, 32> digest{};
  unsigned int length = 0;
  const EVP_MD* algorithm = sha256Algorithm();
  if (algorithm == nullptr || context == nullptr || EVP_DigestInit_ex2(context.get(), algorithm, nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), text.data(), text.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest.data(), &length) != 1 || length != digest.size()) {
    // Out of memory or no SHA-256 provider: fall back to the one-shot call rather than fail open.
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  }
  return digest;
}

std::string_view trimmed(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  const std::size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) {
    return {};
  }
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

// Reads one secret file; on failure returns false with `error` naming the file.
bool readSecret(const std::string& path, std::string& secret, std::string& error) {
  // O_NONBLOCK: opening a FIFO put in place of the file must not hang a SIGHUP reload; it
  // is refused just below as not a regular file (regular files ignore the flag).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    error = "cannot open origin secret file \"" + path + "\": " + std::strerror(errno);
    return false;
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    error = "origin secret file \"" + path + "\" is not a regular file";
    return false;
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    // Whoever reads the secret can bypass CloudFront (and its WAF) and forge the viewer address.
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(info.st_mode & 0777));
    ::close(fd);
    error = "origin secret file \"" + path + "\" can be read by group or others (mode " + mode +
            "); run chmod 600 " + path;
    return false;
  }
  std::string content;
  char buffer[1024];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      error = "cannot read origin secret file \"" + path + "\": " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (n == 0) {
      break;
    }
    content.append(buffer, static_cast<std::size_t>(n));
    if (content.size() > kMaxOriginSecretFileBytes) {
      ::close(fd);
      error = "origin secret file \"" + path + "\" is larger than " +
              std::to_string(kMaxOriginSecretFileBytes) + " bytes";
      return false;
    }
  }
  ::close(fd);
  secret = std::string(trimmed(content));
  if (secret.size() < kMinOriginSecretBytes) {
    error = "origin secret in \"" + path + "\" must be at least " + std::to_string(kMinOriginSecretBytes) +
            " bytes, but " + std::to_string(secret.size()) + " bytes were found";
    secret.clear();
    return false;
  }
  return true;
}

}  // namespace

std::optional<OriginVerifier> OriginVerifier::fromFiles(const std::string& current_file,
                                                        const std::string& previous_file,
                                                        std::string& error) {
  std::string current;
  if (current_file.empty()) {
    error = "no origin secret file is configured";
    return std::nullopt;
  }
  if (!readSecret(current_file, current, error)) {
    return std::nullopt;
  }
  std::string previous;
  if (!previous_file.empty() && !readSecret(previous_file, previous, error)) {
    return std::nullopt;
  }
  OriginVerifier verifier(std::move(current), std::move(previous));
  return verifier;
}

OriginVerifier::OriginVerifier(std::string current, std::string previous)
    : current_digest_(sha256(current)), previous_digest_(sha256(previous)), has_previous_(!previous.empty()) {
  // Only digests are kept, so the secrets themselves do not linger in this object.
  OPENSSL_cleanse(current.data(), current.size());
  OPENSSL_cleanse(previous.data(), previous.size());
}

bool OriginVerifier::verify(std::string_view presented) const {
  const auto digest = sha256(presented);
  // Both comparisons always run; the non-short-circuit `&` and `|` keep the branch count fixed.
  const bool matches_current = CRYPTO_memcmp(digest.data(), current_digest_.data(), digest.size()) == 0;
  const bool matches_previous =
      CRYPTO_memcmp(digest.data(), previous_digest_.data(), digest.size()) == 0;
  const bool non_empty = !presented.empty();
  return non_empty & (matches_current | (has_previous_ & matches_previous));
}

std::unique_ptr<OriginCheck> OriginCheck::create(std::string current_file, std::string previous_file,
                                                 std::string& error) {
  auto verifier = OriginVerifier::fromFiles(current_file, previous_file, error);
  if (!verifier) {
    return nullptr;
  }
  return std::unique_ptr<OriginCheck>(
      new OriginCheck(std::move(current_file), std::move(previous_file),
                      std::make_shared<const OriginVerifier>(std::move(*verifier))));
}

OriginCheck::OriginCheck(std::string current_file, std::string previous_file,
                         std::shared_ptr<const OriginVerifier> verifier)
    : current_file_(std::move(current_file)), previous_file_(std::move(previous_file)),
      verifier_(std::move(verifier)) {}

bool OriginCheck::verify(std::string_view presented) const { return verifier_.load()->verify(presented); }

bool OriginCheck::reload(std::string& error) {
  auto verifier = OriginVerifier::fromFiles(current_file_, previous_file_, error);
  if (!verifier) {
    return false;
  }
  verifier_.store(std::make_shared<const OriginVerifier>(std::move(*verifier)));
  return true;
}

}  // namespace oh::gateway
