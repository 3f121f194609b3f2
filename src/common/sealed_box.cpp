#include "common/sealed_box.h"

#include "common/base64.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <memory>

namespace oh::common {
namespace {

constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// Fetched once: OpenSSL 3's implicit fetch inside EVP_aes_256_gcm() costs about a microsecond
// per call, paid on every request that carries a cookie.
const EVP_CIPHER* aesGcm() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* u8(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

}  // namespace

unsigned char SealedBox::keyId(std::string_view key) {
  // Derived from the key so no extra configuration is needed; a collision between current and
  // previous (1 in 256) is handled by trying both keys.
  std::string input = "oh-gateway sealed-box key id\n";
  input += key;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(u8(input), input.size(), digest);
  return digest[0];
}

Result<SealedBox> SealedBox::create(std::string current_key, std::optional<std::string> previous_key) {
  if (current_key.size() != kKeyBytes || (previous_key && previous_key->size() != kKeyBytes)) {
    return failure("sealed box keys must be 32 bytes");
  }
  Key current{keyId(current_key), std::move(current_key)};
  std::optional<Key> previous;
  if (previous_key) {
    previous = Key{keyId(*previous_key), std::move(*previous_key)};
  }
  return SealedBox(std::move(current), std::move(previous));
}

std::size_t SealedBox::sealedSize(std::size_t n) {
  const std::size_t raw = 1 + kNonceBytes + n + kTagBytes;
  return (raw * 4 + 2) / 3;
}

std::string SealedBox::seal(std::string_view purpose, std::string_view plaintext, RandomSource& random) const {
  std::string out(1 + kNonceBytes + plaintext.size() + kTagBytes, '\0');
  out[0] = static_cast<char>(current_.id);
  random.fill(u8(out) + 1, kNonceBytes);
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok = ctx && EVP_EncryptInit_ex2(ctx.get(), aesGcm(), u8(current_.bytes), u8(out) + 1, nullptr) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, u8(purpose), static_cast<int>(purpose.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), u8(out) + 1 + kNonceBytes, &len, u8(plaintext),
                              static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), nullptr, &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                                u8(out) + 1 + kNonceBytes + plaintext.size()) == 1;
  if (!ok) {
    std::abort();  // AES-GCM with a valid key cannot fail short of memory exhaustion
  }
  return base64UrlEncode(out);
}

Result<std::string> SealedBox::open(std::string_view purpose, std::string_view sealed) const {
  if (sealed.size() > kMaxSealedBytes) {
    return failure("sealed value too large");
  }
  auto raw = base64UrlDecode(sealed);
  if (!raw) {
    return failure("sealed value is not base64url");
  }
  if (raw->size() < 1 + kNonceBytes + kTagBytes) {
    return failure("sealed value truncated");
  }
  const auto id = static_cast<unsigned char>((*raw)[0]);
  const std::size_t text_len = raw->size() - 1 - kNonceBytes - kTagBytes;
  bool known_id = false;
  for (const Key* key : {&current_, previous_ ? &*previous_ : nullptr}) {
    if (key == nullptr || key->id != id) {
      continue;
    }
    known_id = true;
    std::string plain(text_len, '\0');
    std::string tag = raw->substr(1 + kNonceBytes + text_len);
    std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    const bool ok =
        ctx && EVP_DecryptInit_ex2(ctx.get(), aesGcm(), u8(key->bytes), u8(*raw) + 1, nullptr) == 1 &&
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, u8(purpose), static_cast<int>(purpose.size())) == 1 &&
        EVP_DecryptUpdate(ctx.get(), u8(plain), &len, u8(*raw) + 1 + kNonceBytes, static_cast<int>(text_len)) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), u8(tag)) == 1 &&
        EVP_DecryptFinal_ex(ctx.get(), u8(plain) + text_len, &len) == 1;
    if (ok) {
      return plain;
    }
  }
  return failure(known_id ? "sealed value failed authentication" : "sealed value uses an unknown key");
}

}  // namespace oh::common
