#include "assembly/json_text.h"

#include <cmath>
#include <limits>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace oh::infra {
namespace {

namespace json = boost::json;

TEST(JsonText, MatchesJsonStringifyWithIndent) {
  const json::value v = json::parse(R"({"b":1,"a":[true,null,"x",{}],"e":[],"o":{"k":-2}})");
  // Insertion order is kept (never sorted), as JavaScript does.
  EXPECT_EQ(jsonText(v, 2),
            "{\n  \"b\": 1,\n  \"a\": [\n    true,\n    null,\n    \"x\",\n    {}\n  ],\n  \"e\": [],\n"
            "  \"o\": {\n    \"k\": -2\n  }\n}");
  EXPECT_EQ(jsonText(v, 0), R"({"b":1,"a":[true,null,"x",{}],"e":[],"o":{"k":-2}})");
  EXPECT_EQ(jsonText(json::parse(R"({"a":{"b":[1]}})"), 1), "{\n \"a\": {\n  \"b\": [\n   1\n  ]\n }\n}");
}

TEST(JsonText, EscapesAsJavaScript) {
  const json::value v = json::string("q\" b\\ / \n\t\r\b\f \x01 \x1f é ${AWS::Region}");
  EXPECT_EQ(jsonText(v, 0), "\"q\\\" b\\\\ / \\n\\t\\r\\b\\f \\u0001 \\u001f é ${AWS::Region}\"");
}

TEST(JsonText, NumbersAsJavaScript) {
  EXPECT_EQ(jsonText(json::value(0.5), 0), "0.5");
  EXPECT_EQ(jsonText(json::value(3.0), 0), "3");
  EXPECT_EQ(jsonText(json::value(-0.0), 0), "0");
  EXPECT_EQ(jsonText(json::value(1e21), 0), "1e+21");
  EXPECT_EQ(jsonText(json::value(1.5e-7), 0), "1.5e-7");
  EXPECT_EQ(jsonText(json::value(std::numeric_limits<double>::quiet_NaN()), 0), "null");
  EXPECT_EQ(jsonText(json::value(std::numeric_limits<double>::infinity()), 0), "null");
  EXPECT_EQ(jsonText(json::value(std::uint64_t{18446744073709551615ULL}), 0), "18446744073709551615");
  EXPECT_EQ(jsonText(json::value(std::int64_t{-9}), 0), "-9");
}

TEST(JsonText, RoundTripsThroughAParser) {
  const std::string text = R"({"x":[1,2.25,"a\u0000b",{"y":false}],"z":"\u00e9"})";
  const json::value v = json::parse(text);
  EXPECT_EQ(json::parse(jsonText(v, 2)), v);
  EXPECT_EQ(json::parse(jsonText(v, 1)), v);
}

}  // namespace
}  // namespace oh::infra
