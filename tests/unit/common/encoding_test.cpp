// Tests for the shared helpers in src/common: base64, constant-time compare, randomness.

#include "common/base64.h"
#include "common/constant_time.h"
#include "common/random_source.h"

#include <gtest/gtest.h>

namespace oh::common {
namespace {

// RFC 4648 section 10 vectors, in both alphabets.
TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64Encode(""), "");
  EXPECT_EQ(base64Encode("f"), "Zg==");
  EXPECT_EQ(base64Encode("fo"), "Zm8=");
  EXPECT_EQ(base64Encode("foo"), "Zm9v");
  EXPECT_EQ(base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64UrlEncode("f"), "Zg");
  EXPECT_EQ(base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64Encode("\xfb\xff"), "+/8=");
}

// Decoding round-trips every byte value and every length.
TEST(Base64Test, RoundTripsAllBytes) {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all.push_back(static_cast<char>(i));
  }
  for (std::size_t n = 0; n <= all.size(); n += 7) {
    const std::string part = all.substr(0, n);
    EXPECT_EQ(base64UrlDecode(base64UrlEncode(part)), part);
  }
}

// Padding, the standard alphabet, whitespace, bad lengths and non-canonical trailing bits fail.
TEST(Base64Test, UrlDecodeIsStrict) {
  EXPECT_FALSE(base64UrlDecode("Zg=="));
  EXPECT_FALSE(base64UrlDecode("Zm8="));
  EXPECT_FALSE(base64UrlDecode("+/8"));
  EXPECT_FALSE(base64UrlDecode("Zm 9v"));
  EXPECT_FALSE(base64UrlDecode("Zm9v\n"));
  EXPECT_FALSE(base64UrlDecode("Z"));
  EXPECT_FALSE(base64UrlDecode("Zh"));  // 'h' leaves non-zero unused bits: "Zg" is the canonical form
  EXPECT_FALSE(base64UrlDecode(std::string_view("Zm\0v", 4)));
  EXPECT_TRUE(base64UrlDecode("Zg"));
  EXPECT_EQ(base64UrlDecode(""), std::string());
}

TEST(ConstantTimeTest, ComparesContentAndLength) {
  EXPECT_TRUE(constantTimeEqual("secret", "secret"));
  EXPECT_TRUE(constantTimeEqual("", ""));
  EXPECT_FALSE(constantTimeEqual("secret", "secreT"));
  EXPECT_FALSE(constantTimeEqual("secret", "secret2"));
  EXPECT_FALSE(constantTimeEqual("", "x"));
}

// The system source fills the whole buffer and does not repeat itself.
TEST(RandomSourceTest, SystemSourceGivesDistinctValues) {
  SystemRandomSource random;
  const std::string a = random.bytes(32);
  const std::string b = random.bytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_NE(a, std::string(32, '\0'));
  EXPECT_TRUE(random.bytes(0).empty());
}

}  // namespace
}  // namespace oh::common
