// The template model: section order, resource attributes, logical-ID validation and
// byte-identical serialization for identical input.
#include "cfn/template.h"

#include <stdexcept>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "cfn/intrinsics.h"

namespace oh::infra::cfn {
namespace {
namespace json = boost::json;

Template sample() {
  Template t;
  t.setDescription("sample");
  t.addParameter("Size", Parameter{"Number", json::value(3), "how many", {"1", "3"}, true});
  t.addMapping("Regions", json::object{{"us-east-1", json::object{{"Id", "pl-1"}}}});
  t.addCondition("IsEast", equals(region(), "us-east-1"));
  auto& bucket = t.addResource("Bucket", "AWS::S3::Bucket", {{"VersioningConfiguration", json::object{{"Status", "Enabled"}}}});
  bucket.deletion_policy = DeletionPolicy::Retain;
  bucket.update_replace_policy = DeletionPolicy::Retain;
  auto& topic = t.addResource("Topic", "AWS::SNS::Topic");
  topic.depends_on = {"Bucket"};
  topic.condition = "IsEast";
  t.addOutput("BucketName", Output{ref("Bucket"), "the bucket", json::value("Stack-Bucket"), std::nullopt});
  return t;
}

TEST(TemplateTest, SectionsAppearInDocumentedOrder) {
  const auto doc = sample().toJson();
  std::vector<std::string> keys;
  for (const auto& entry : doc) {
    keys.emplace_back(entry.key());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"AWSTemplateFormatVersion", "Description", "Parameters", "Mappings",
                                            "Conditions", "Resources", "Outputs"}));
  EXPECT_EQ(doc.at("AWSTemplateFormatVersion"), "2010-09-09");
}

TEST(TemplateTest, ResourcesKeepInsertionOrderAndAttributes) {
  const auto doc = sample().toJson();
  const auto& resources = doc.at("Resources").as_object();
  ASSERT_EQ(resources.size(), 2u);
  EXPECT_EQ(resources.begin()->key(), "Bucket");
  EXPECT_EQ(json::serialize(resources.at("Bucket")),
            R"({"Type":"AWS::S3::Bucket","Properties":{"VersioningConfiguration":{"Status":"Enabled"}},)"
            R"("UpdateReplacePolicy":"Retain","DeletionPolicy":"Retain"})");
  EXPECT_EQ(json::serialize(resources.at("Topic")),
            R"({"Type":"AWS::SNS::Topic","DependsOn":["Bucket"],"Condition":"IsEast"})");
}

TEST(TemplateTest, ParametersAndOutputsSerializeAllFields) {
  const auto doc = sample().toJson();
  EXPECT_EQ(json::serialize(doc.at("Parameters")),
            R"({"Size":{"Type":"Number","Default":3,"Description":"how many","AllowedValues":["1","3"],"NoEcho":true}})");
  EXPECT_EQ(json::serialize(doc.at("Outputs")),
            R"({"BucketName":{"Description":"the bucket","Value":{"Ref":"Bucket"},"Export":{"Name":"Stack-Bucket"}}})");
}

TEST(TemplateTest, EmptyTemplateStillHasResourcesSection) {
  const auto doc = Template{}.toJson();
  EXPECT_EQ(json::serialize(doc), R"({"AWSTemplateFormatVersion":"2010-09-09","Resources":{}})");
}

TEST(TemplateTest, SerializationIsDeterministic) {
  EXPECT_EQ(json::serialize(sample().toJson()), json::serialize(sample().toJson()));
}

TEST(TemplateTest, RejectsDuplicateAndMalformedLogicalIds) {
  Template t;
  t.addResource("Vpc", "AWS::EC2::VPC");
  EXPECT_THROW(t.addResource("Vpc", "AWS::EC2::VPC"), std::logic_error);
  EXPECT_THROW(t.addResource("my-bucket", "AWS::S3::Bucket"), std::logic_error);
  EXPECT_THROW(t.addResource("", "AWS::S3::Bucket"), std::logic_error);
  EXPECT_THROW(t.addResource(std::string(256, 'A'), "AWS::S3::Bucket"), std::logic_error);
  EXPECT_THROW(t.addResource("NoType", ""), std::logic_error);
  t.addOutput("Out", Output{"x", "", std::nullopt, std::nullopt});
  EXPECT_THROW(t.addOutput("Out", Output{"y", "", std::nullopt, std::nullopt}), std::logic_error);
  EXPECT_THROW(t.addParameter("bad_name", Parameter{"String", std::nullopt, "", {}, false}), std::logic_error);
  EXPECT_THROW(t.addCondition("Bad Name", true), std::logic_error);
}

TEST(TemplateTest, LookupOfUnknownResourceThrows) {
  const Template t = sample();
  EXPECT_TRUE(t.hasResource("Bucket"));
  EXPECT_FALSE(t.hasResource("Nope"));
  EXPECT_THROW((void)t.resource("Nope"), std::out_of_range);
  EXPECT_EQ(t.resource("Topic").type, "AWS::SNS::Topic");
  EXPECT_EQ(t.resourceOrder(), (std::vector<std::string>{"Bucket", "Topic"}));
}

}  // namespace
}  // namespace oh::infra::cfn
