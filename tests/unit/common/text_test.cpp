#include "common/text.h"

#include <gtest/gtest.h>

namespace oh::common {
namespace {

// Only SP and HTAB are optional whitespace; other control characters are content.
TEST(TrimOws, RemovesSpacesAndTabsOnly) {
  EXPECT_EQ(trimOws(" \t value \t "), "value");
  EXPECT_EQ(trimOws(""), "");
  EXPECT_EQ(trimOws(" \t "), "");
  EXPECT_EQ(trimOws("\r\nvalue\r\n"), "\r\nvalue\r\n");
}

// Case folding is ASCII only and lengths must match.
TEST(LowercaseAscii, AsciiLettersOnly) {
  EXPECT_EQ(lowercaseAscii("4oE9wHT2-XYZ.runtime"), "4oe9wht2-xyz.runtime");
  EXPECT_EQ(lowercaseAscii(""), "");
  EXPECT_EQ(lowercaseAscii("\xc3\x89" "A"), "\xc3\x89" "a") << "bytes outside ASCII are kept";
}

TEST(EqualsIgnoreCase, AsciiOnly) {
  EXPECT_TRUE(equalsIgnoreCase("Content-Type", "content-TYPE"));
  EXPECT_FALSE(equalsIgnoreCase("host", "hosts"));
  EXPECT_FALSE(equalsIgnoreCase("\xc3\x89", "\xc3\xa9"));
  EXPECT_TRUE(equalsIgnoreCase("", ""));
}

// Every hex digit in both cases; everything else is -1.
// This test verifies the prefix, suffix and substring forms, empty needles and no false match
// past the end.
TEST(AffixIgnoreCase, PrefixSuffixContains) {
  EXPECT_TRUE(startsWithIgnoreCase("X-Cognito-User-Id", "x-cognito-"));
  EXPECT_FALSE(startsWithIgnoreCase("X-Cog", "x-cognito-"));
  EXPECT_TRUE(endsWithIgnoreCase("8080-abc.RUNTIME.oh.test", "runtime.oh.test"));
  EXPECT_FALSE(endsWithIgnoreCase("oh.test", "runtime.oh.test"));
  EXPECT_TRUE(containsIgnoreCase("text/html,application/xhtml+xml", "TEXT/HTML"));
  EXPECT_TRUE(containsIgnoreCase("abc", ""));
  EXPECT_FALSE(containsIgnoreCase("application/jso", "application/json"));
  EXPECT_EQ(toLowerAscii('Q'), 'q');
  EXPECT_EQ(toLowerAscii('\xC4'), '\xC4');
}

TEST(HexDigitValue, DigitsAndRejects) {
  EXPECT_EQ(hexDigitValue('0'), 0);
  EXPECT_EQ(hexDigitValue('9'), 9);
  EXPECT_EQ(hexDigitValue('a'), 10);
  EXPECT_EQ(hexDigitValue('F'), 15);
  EXPECT_EQ(hexDigitValue('g'), -1);
  EXPECT_EQ(hexDigitValue('\0'), -1);
  EXPECT_EQ(hexDigitValue('\xff'), -1);
}

// One round only: %252F decodes to %2F, not to a slash.
TEST(PercentDecode, OneRound) {
  EXPECT_EQ(percentDecode("%2F%2f"), "//");
  EXPECT_EQ(percentDecode("%252F"), "%2F");
  EXPECT_EQ(percentDecode("a+b"), "a+b");
  EXPECT_EQ(percentDecode("a+b", true), "a b");
  EXPECT_EQ(percentDecode("%00"), std::string(1, '\0'));
}

// A '%' without two hex digits after it is malformed, wherever it is.
TEST(PercentDecode, MalformedEscapes) {
  EXPECT_FALSE(percentDecode("%"));
  EXPECT_FALSE(percentDecode("abc%2"));
  EXPECT_FALSE(percentDecode("%zz"));
  EXPECT_FALSE(percentDecode("%%41"));
}

// Markup and both quote kinds are escaped; other bytes (UTF-8 included) pass unchanged.
TEST(PercentEncode, EverythingButRfc3986Unreserved) {
  EXPECT_EQ(percentEncode("{\"label\":[\"a.b=c d\"]}"), "%7B%22label%22%3A%5B%22a.b%3Dc%20d%22%5D%7D");
  EXPECT_EQ(percentEncode("Az09-._~"), "Az09-._~");
  EXPECT_EQ(percentEncode(std::string("\0\xff", 2)), "%00%FF");
  EXPECT_EQ(percentDecode(percentEncode("/?#&%+")), "/?#&%+");
}

TEST(EscapeHtml, MarkupAndQuotes) {
  EXPECT_EQ(escapeHtml("<a href=\"x\" title='y'>&</a>"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(escapeHtml(""), "");
  EXPECT_EQ(escapeHtml("caf\xc3\xa9"), "caf\xc3\xa9");
}

}  // namespace
}  // namespace oh::common

namespace oh::common {
namespace {

// Text is cut at the limit, or before it when the limit falls inside a UTF-8 sequence.
TEST(TruncateUtf8, NeverSplitsASequence) {
  EXPECT_EQ(truncateUtf8("abc", 5), "abc");
  EXPECT_EQ(truncateUtf8("abcdef", 3), "abc");
  EXPECT_EQ(truncateUtf8("a\xc3\xa9z", 2), "a");        // é is 2 bytes
  EXPECT_EQ(truncateUtf8("a\xc3\xa9z", 3), "a\xc3\xa9");
  EXPECT_EQ(truncateUtf8("\xe2\x82\xac", 2), "");       // € is 3 bytes
  EXPECT_EQ(truncateUtf8("", 0), "");
}

}  // namespace
}  // namespace oh::common
