// TemplateAssert itself: partial objects, exact arrays, $arrayWith, $absent, and failures that
// say where they differ (an assertion helper that cannot fail would hide every other test).
#include "template_assert.h"

#include <gtest/gtest.h>

#include "cfn/intrinsics.h"

namespace oh::infra::testing {
namespace {
namespace json = boost::json;

cfn::Template sample() {
  cfn::Template t;
  t.addResource("Bucket", "AWS::S3::Bucket",
                {{"Tags", json::array{json::object{{"Key", "a"}, {"Value", "1"}}, json::object{{"Key", "b"}, {"Value", "2"}}}},
                 {"VersioningConfiguration", json::object{{"Status", "Enabled"}}}})
      .deletion_policy = cfn::DeletionPolicy::Retain;
  t.addResource("Other", "AWS::S3::Bucket");
  t.addOutput("Name", cfn::Output{cfn::ref("Bucket"), "", json::value("E-Name"), std::nullopt});
  return t;
}

TEST(TemplateAssertTest, PartialObjectsMatch) {
  const auto t = TemplateAssert::of(sample());
  EXPECT_TRUE(t.hasResourceProperties("AWS::S3::Bucket", R"({"VersioningConfiguration":{"Status":"Enabled"}})"));
  EXPECT_FALSE(t.hasResourceProperties("AWS::S3::Bucket", R"({"VersioningConfiguration":{"Status":"Suspended"}})"));
  EXPECT_FALSE(t.hasResourceProperties("AWS::SNS::Topic", "{}"));
  EXPECT_TRUE(t.hasResource("AWS::S3::Bucket", R"({"DeletionPolicy":"Retain"})"));
}

TEST(TemplateAssertTest, ArraysAreExactUnlessArrayWith) {
  const auto t = TemplateAssert::of(sample());
  EXPECT_FALSE(t.hasResourceProperties("AWS::S3::Bucket", R"({"Tags":[{"Key":"a"}]})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::S3::Bucket", R"({"Tags":[{"Key":"a"},{"Key":"b"}]})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::S3::Bucket", R"({"Tags":{"$arrayWith":[{"Key":"b","Value":"2"}]}})"));
  EXPECT_FALSE(t.hasResourceProperties("AWS::S3::Bucket", R"({"Tags":{"$arrayWith":[{"Key":"c"}]}})"));
}

TEST(TemplateAssertTest, AbsentAndCounts) {
  const auto t = TemplateAssert::of(sample());
  EXPECT_TRUE(t.resourceMatches("Bucket", R"({"Properties":{"BucketName":{"$absent":true}}})"));
  EXPECT_FALSE(t.resourceMatches("Bucket", R"({"Properties":{"Tags":{"$absent":true}}})"));
  EXPECT_TRUE(t.resourceCountIs("AWS::S3::Bucket", 2));
  EXPECT_FALSE(t.resourceCountIs("AWS::S3::Bucket", 1));
  EXPECT_FALSE(t.resourceMatches("Missing", "{}"));
}

TEST(TemplateAssertTest, OutputsAndMessages) {
  const auto t = TemplateAssert::of(sample());
  EXPECT_TRUE(t.hasOutput("Name", R"({"Export":{"Name":"E-Name"}})"));
  EXPECT_FALSE(t.hasOutput("Name", R"({"Export":{"Name":"Other"}})"));
  EXPECT_FALSE(t.hasOutput("Nope"));
  const auto failure = t.hasResourceProperties("AWS::S3::Bucket", R"({"VersioningConfiguration":{"Status":"X"}})");
  EXPECT_NE(std::string(failure.message()).find("$.Properties.VersioningConfiguration.Status"), std::string::npos)
      << failure.message();
}

TEST(TemplateAssertTest, NumbersCompareByValue) {
  std::string why;
  EXPECT_TRUE(jsonMatches(json::value(1), json::value(1.0), why));
  EXPECT_FALSE(jsonMatches(json::value(1), json::value("1"), why));
}

}  // namespace
}  // namespace oh::infra::testing
