// How records are kept in rows (store/record_codec.h): the spec's JSON read back from whatever
// a damaged or hand-edited row holds, and the text checks that keep both backends identical.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "store/record_codec.h"

namespace oh::control {
namespace {

constexpr std::string_view kReferenceSpec =
    R"({"image":"img","command":["a"],"working_dir":"/w","environment":[["K","V"]],)"
    R"("run_as_user":1,"run_as_group":null,"fs_group":2,"resource_factor":1.5})";

// The reference spec with one member set to value_json, or removed when value_json is empty.
std::string specWith(std::string_view member, std::string_view value_json) {
  boost::json::object spec = boost::json::parse(kReferenceSpec).as_object();
  if (value_json.empty()) {
    spec.erase(member);
  } else {
    spec[member] = boost::json::parse(value_json);
  }
  return boost::json::serialize(spec);
}

// This test verifies that the reference spec decodes to what it says.
TEST(RecordCodec, DecodesWhatEncodeWrites) {
  auto spec = decodeSpec(specWith("image", "\"img\""));
  ASSERT_TRUE(spec) << spec.error().reason;
  EXPECT_EQ(spec->image, "img");
  EXPECT_EQ(spec->command, std::vector<std::string>{"a"});
  EXPECT_EQ(spec->environment, (std::vector<std::pair<std::string, std::string>>{{"K", "V"}}));
  EXPECT_EQ(spec->run_as_user, 1u);
  EXPECT_EQ(spec->run_as_group, std::nullopt);
  EXPECT_EQ(spec->fs_group, 2u);
  EXPECT_EQ(spec->resource_factor, 1.5);
  auto again = decodeSpec(encodeSpec(*spec));
  ASSERT_TRUE(again) << again.error().reason;
  EXPECT_EQ(encodeSpec(*again), encodeSpec(*spec));
}

// This test verifies that a missing or mistyped member fails naming the member.
TEST(RecordCodec, AMissingOrMistypedMemberIsNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"image", ""},          {"image", "7"},          {"image", "null"},
      {"command", "\"ls\""},  {"command", "[1]"},      {"working_dir", "[]"},
      {"environment", "[[\"K\"]]"}, {"environment", "[[\"K\",1]]"}, {"environment", "{\"K\":\"V\"}"},
      {"run_as_user", "-1"},  {"run_as_user", "4294967296"}, {"run_as_user", "1.5"}, {"run_as_user", "\"0\""},
      {"run_as_user", ""},    {"resource_factor", "\"2\""},  {"resource_factor", ""},
  };
  for (const auto& [member, value] : cases) {
    const std::string json = specWith(member, value);
    auto spec = decodeSpec(json);
    ASSERT_FALSE(spec) << json;
    EXPECT_NE(spec.error().reason.find("\"" + member + "\""), std::string::npos) << json << ": " << spec.error().reason;
  }
}

// This test verifies the limits of the numbers: the extreme ids and an integral factor.
TEST(RecordCodec, AcceptsTheWholeRangeOfIds) {
  auto high = decodeSpec(specWith("run_as_user", "4294967295"));
  ASSERT_TRUE(high) << high.error().reason;
  EXPECT_EQ(high->run_as_user, 4294967295u);
  auto integral = decodeSpec(specWith("resource_factor", "2"));
  ASSERT_TRUE(integral) << integral.error().reason;
  EXPECT_EQ(integral->resource_factor, 2.0);
}

// This test verifies that text that is not a spec object fails with a reason and never throws,
// however deep or long.
TEST(RecordCodec, TextThatIsNotASpecFailsCleanly) {
  for (const std::string& text : {std::string(), std::string("{"), std::string("[]"), std::string("\"spec\""),
                                  std::string("null"), std::string("{} trailing"), std::string(100000, '['),
                                  std::string("{\"image\":\"\xff\"}"), std::string("\0{}", 3)}) {
    auto spec = decodeSpec(text);
    ASSERT_FALSE(spec) << text.substr(0, 40);
    EXPECT_NE(spec.error().reason.find("stored spec"), std::string::npos) << spec.error().reason;
  }
}

// This test verifies that members a later build adds are ignored by this one.
TEST(RecordCodec, IgnoresUnknownMembers) {
  std::string json = specWith("image", "\"img\"");
  json.insert(1, R"("gpu":{"count":1},)");
  auto spec = decodeSpec(json);
  ASSERT_TRUE(spec) << spec.error().reason;
  EXPECT_EQ(spec->image, "img");
}

// This test verifies the UTF-8 check against the forms PostgreSQL refuses.
TEST(RecordCodec, StorableTextIsWellFormedUtf8WithoutNul) {
  for (const char* ok : {"", "plain", "héllo", "日本", "🦀", "\x7f", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"}) {
    EXPECT_TRUE(checkStorableText("field", ok)) << ok;
  }
  for (const std::string& bad : {std::string("a\0b", 3), std::string("\xc0\xaf"), std::string("\xe0\x80\xaf"),
                                std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80"), std::string("\xf8\x88\x80\x80\x80"),
                                std::string("\xc3"), std::string("\x80"), std::string("\xe6\x97")}) {
    auto checked = checkStorableText("the field", bad);
    ASSERT_FALSE(checked);
    EXPECT_EQ(checked.error().reason.rfind("the field", 0), 0u) << checked.error().reason;
  }
}

// This test verifies the host-name form of ids and the desired-state words.
TEST(RecordCodec, IdKeysAndStateNames) {
  EXPECT_EQ(idKey("AbC09xyZ"), "abc09xyz");
  EXPECT_EQ(idKey("ÄB"), "Äb");  // only ASCII letters fold; ids are base62
  EXPECT_EQ(parseDesiredState(desiredStateName(DesiredState::paused)), DesiredState::paused);
  EXPECT_EQ(parseDesiredState(desiredStateName(DesiredState::running)), DesiredState::running);
  EXPECT_EQ(parseDesiredState("Running"), std::nullopt);
  EXPECT_EQ(parseDesiredState(""), std::nullopt);
}

}  // namespace
}  // namespace oh::control
