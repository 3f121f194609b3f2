#include "common/strict_json.h"

#include <string>

#include <gtest/gtest.h>

namespace oh::common {
namespace {

// Well-formed JSON within the depth comes back as Boost would parse it.
TEST(StrictJson, AcceptsWellFormed) {
  auto value = parseStrictJson(R"({"a":[1,"x",{"b":null}],"c":true})", 3);
  ASSERT_TRUE(value) << value.error().reason;
  EXPECT_EQ(value->at("a").as_array().size(), 3u);
}

// A key given twice in one object is refused and named; the same key in two objects is not.
TEST(StrictJson, RefusesDuplicateKeys) {
  auto twice = parseStrictJson(R"({"image":"a","image":"b"})", 3);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().reason, "duplicate key \"image\"");
  auto nested = parseStrictJson(R"({"e":{"k":1,"k":2}})", 3);
  ASSERT_FALSE(nested);
  EXPECT_EQ(nested.error().reason, "duplicate key \"k\"");
  // Escapes are compared decoded: "\u0069mage" is "image".
  EXPECT_FALSE(parseStrictJson(R"({"image":"a","\u0069mage":"b"})", 3));
  EXPECT_TRUE(parseStrictJson(R"({"a":{"k":1},"b":{"k":2}})", 3));
}

// Nesting deeper than asked for is refused, however it is built.
TEST(StrictJson, RefusesDeepNesting) {
  EXPECT_TRUE(parseStrictJson(R"({"a":{"b":[1]}})", 3));
  EXPECT_FALSE(parseStrictJson(R"({"a":{"b":[[1]]}})", 3));
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  EXPECT_FALSE(parseStrictJson(deep, 3));
}

// Invalid UTF-8, comments, trailing commas, trailing data and truncation are all refused.
TEST(StrictJson, RefusesMalformed) {
  for (const char* text : {"{\"a\":\"\xff\"}", "{\"\xc3\":1}", "{\"a\":1,}", "{\"a\":1} x", "{\"a\":1}{}",
                           "{/*c*/\"a\":1}", "{\"a\":", "", "nul", "{\"a\":\"\\ud800\"}"}) {
    EXPECT_FALSE(parseStrictJson(text, 3)) << text;
  }
}

// A long duplicate key is cut in the message, never inside a UTF-8 sequence.
TEST(StrictJson, DuplicateKeyMessageIsShortValidUtf8) {
  std::string key = std::string(63, 'k') + "\xc3\xa9" + std::string(100, 'k');
  auto twice = parseStrictJson("{\"" + key + "\":1,\"" + key + "\":2}", 3);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().reason, "duplicate key \"" + std::string(63, 'k') + "\"");
}

}  // namespace
}  // namespace oh::common
