// Each intrinsic serializes to exactly the JSON CloudFormation documents.
#include "cfn/intrinsics.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace oh::infra::cfn {
namespace {
namespace json = boost::json;

std::string text(const json::value& v) { return json::serialize(v); }

TEST(IntrinsicsTest, RefAndGetAtt) {
  EXPECT_EQ(text(ref("Alb")), R"({"Ref":"Alb"})");
  EXPECT_EQ(text(getAtt("Alb", "DNSName")), R"({"Fn::GetAtt":["Alb","DNSName"]})");
}

TEST(IntrinsicsTest, SubWithAndWithoutVariables) {
  EXPECT_EQ(text(sub("arn:${AWS::Partition}:s3:::b")), R"({"Fn::Sub":"arn:${AWS::Partition}:s3:::b"})");
  EXPECT_EQ(text(sub("${X}-y", json::object{{"X", ref("Z")}})),
            R"({"Fn::Sub":["${X}-y",{"X":{"Ref":"Z"}}]})");
}

TEST(IntrinsicsTest, JoinSelectSplitGetAZs) {
  EXPECT_EQ(text(join(",", json::array{"a", ref("B")})), R"({"Fn::Join":[",",["a",{"Ref":"B"}]]})");
  EXPECT_EQ(text(joinList(",", ref("Subnets"))), R"({"Fn::Join":[",",{"Ref":"Subnets"}]})");
  EXPECT_EQ(text(select(1, split(",", importValue("E")))),
            R"({"Fn::Select":[1,{"Fn::Split":[",",{"Fn::ImportValue":"E"}]}]})");
  EXPECT_EQ(text(getAZs()), R"({"Fn::GetAZs":""})");
  EXPECT_EQ(text(getAZs("us-west-2")), R"({"Fn::GetAZs":"us-west-2"})");
}

TEST(IntrinsicsTest, Conditions) {
  EXPECT_EQ(text(ifThen("IsProd", "a", noValue())), R"({"Fn::If":["IsProd","a",{"Ref":"AWS::NoValue"}]})");
  EXPECT_EQ(text(notOf(equals(region(), "us-east-1"))),
            R"({"Fn::Not":[{"Fn::Equals":[{"Ref":"AWS::Region"},"us-east-1"]}]})");
}

TEST(IntrinsicsTest, PseudoParameters) {
  EXPECT_EQ(text(accountId()), R"({"Ref":"AWS::AccountId"})");
  EXPECT_EQ(text(partition()), R"({"Ref":"AWS::Partition"})");
  EXPECT_EQ(text(stackName()), R"({"Ref":"AWS::StackName"})");
  EXPECT_EQ(text(urlSuffix()), R"({"Ref":"AWS::URLSuffix"})");
}

TEST(IntrinsicsTest, DynamicReferencesNeverCarryAValue) {
  EXPECT_EQ(secretsManagerReference("openhands/origin-verify"),
            "{{resolve:secretsmanager:openhands/origin-verify:SecretString}}");
  EXPECT_EQ(secretsManagerReference("openhands/db", "password"),
            "{{resolve:secretsmanager:openhands/db:SecretString:password}}");
  EXPECT_EQ(ssmReference("/aws/service/x"), "{{resolve:ssm:/aws/service/x}}");
}

}  // namespace
}  // namespace oh::infra::cfn
