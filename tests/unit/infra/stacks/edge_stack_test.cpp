// OpenHands-Edge: certificate, WAF, CloudFront and the Route 53 aliases, one stack per domain.
#include <gtest/gtest.h>

#include "stacks/edge_stack.h"
#include "template_assert.h"
#include "test_app.h"

namespace oh::infra {
namespace {
using testing::TemplateAssert;

TemplateAssert edgeOf(const AppContext& context) { return TemplateAssert::of(testing::testApp(context).back().template_); }
TemplateAssert edge() { return edgeOf(testing::exampleContext()); }

TEST(EdgeStackTest, CertificateCoversTheMainNameAndTheRuntimeWildcard) {
  EXPECT_TRUE(edge().hasResourceProperties("AWS::CertificateManager::Certificate", R"({
    "DomainName": "openhands.example.com", "SubjectAlternativeNames": ["*.runtime.openhands.example.com"],
    "ValidationMethod": "DNS",
    "DomainValidationOptions": [{"DomainName": "openhands.example.com", "HostedZoneId": "Z0123456789ABCDEFGHIJ"},
                                {"DomainName": "*.runtime.openhands.example.com", "HostedZoneId": "Z0123456789ABCDEFGHIJ"}]})"));
}

TEST(EdgeStackTest, WafHasCommonRulesWithBodySizeCountedBadInputsAndRateLimit) {
  EXPECT_TRUE(edge().hasResourceProperties("AWS::WAFv2::WebACL", R"({"Scope": "CLOUDFRONT", "Rules": [
    {"Priority": 0, "OverrideAction": {"None": {}}, "Statement": {"ManagedRuleGroupStatement": {
      "VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet",
      "RuleActionOverrides": [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]}}},
    {"Priority": 1, "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesKnownBadInputsRuleSet"}}},
    {"Priority": 2, "Action": {"Block": {}}, "Statement": {"RateBasedStatement": {
      "Limit": 50000, "AggregateKeyType": "IP", "EvaluationWindowSec": 300}}}]})"));
}

TEST(EdgeStackTest, DistributionServesBothNamesWithModernTlsAndNoCaching) {
  EXPECT_TRUE(edge().hasResourceProperties("AWS::CloudFront::Distribution", R"({"DistributionConfig": {
    "Aliases": ["openhands.example.com", "*.runtime.openhands.example.com"],
    "ViewerCertificate": {"AcmCertificateArn": {"Ref": "Certificate"}, "SslSupportMethod": "sni-only",
                          "MinimumProtocolVersion": "TLSv1.2_2021"},
    "HttpVersion": "http2and3", "PriceClass": "PriceClass_100",
    "WebACLId": {"Fn::GetAtt": ["WebAcl", "Arn"]},
    "DefaultCacheBehavior": {"CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
                             "OriginRequestPolicyId": {"Ref": "OriginRequestPolicy"},
                             "ResponseHeadersPolicyId": {"Ref": "ResponseHeadersPolicy"},
                             "ViewerProtocolPolicy": "redirect-to-https"}}})"));
}

TEST(EdgeStackTest, OriginIsTheOriginNameOverHttpsWithTheReplicatedSecret) {
  EXPECT_TRUE(edge().hasResourceProperties("AWS::CloudFront::Distribution", R"({"DistributionConfig": {"Origins": [{
    "DomainName": "{{resolve:secretsmanager:openhands/origin-host:SecretString:originHost}}",
    "CustomOriginConfig": {"OriginProtocolPolicy": "https-only", "HTTPSPort": 443},
    "OriginCustomHeaders": [{"HeaderName": "X-Origin-Verify",
                             "HeaderValue": "{{resolve:secretsmanager:openhands/origin-verify:SecretString}}"}]}]}})"));
}

TEST(EdgeStackTest, OriginRequestPolicyForwardsEveryViewerValueAndTheViewerAddress) {
  EXPECT_TRUE(edge().hasResourceProperties("AWS::CloudFront::OriginRequestPolicy", R"({"OriginRequestPolicyConfig": {
    "Name": "openhands-origin-openhands-example-com",
    "HeadersConfig": {"HeaderBehavior": "allViewerAndWhitelistCloudFront", "Headers": ["CloudFront-Viewer-Address"]},
    "CookiesConfig": {"CookieBehavior": "all"}, "QueryStringsConfig": {"QueryStringBehavior": "all"}}})"));
  EXPECT_EQ(stacks::originRequestPolicyName("a.b_c*d"), "openhands-origin-a-b_c-d");
}

TEST(EdgeStackTest, ResponseHeadersPolicyNameIsUniquePerDomain) {
  auto context = testing::exampleContext();
  EXPECT_TRUE(edgeOf(context).hasResourceProperties(
      "AWS::CloudFront::ResponseHeadersPolicy",
      R"({"ResponseHeadersPolicyConfig": {"Name": "openhands-cors-openhands-example-com",
          "CorsConfig": {"AccessControlAllowOrigins": {"Items": ["https://openhands.example.com"]}}}})"));
  context.domain_name = "test.example.com";
  context.edge_stack_suffix = "Test";
  EXPECT_TRUE(edgeOf(context).hasResourceProperties(
      "AWS::CloudFront::ResponseHeadersPolicy",
      R"({"ResponseHeadersPolicyConfig": {"Name": "openhands-cors-openhands-test-example-com"}})"));
  EXPECT_EQ(stacks::responseHeadersPolicyName(std::string(200, 'a')).size(), 128u);
  EXPECT_EQ(stacks::responseHeadersPolicyName("a.b_c*d"), "openhands-cors-a-b_c-d");
}

TEST(EdgeStackTest, AliasesForTheMainNameAndTheRuntimeWildcard) {
  const auto t = edge();
  EXPECT_TRUE(t.resourceCountIs("AWS::Route53::RecordSet", 4));
  for (const char* name : {"openhands.example.com.", "*.runtime.openhands.example.com."}) {
    for (const char* type : {"A", "AAAA"}) {
      EXPECT_TRUE(t.hasResourceProperties("AWS::Route53::RecordSet", boost::json::object{
          {"Name", name}, {"Type", type}, {"HostedZoneId", "Z0123456789ABCDEFGHIJ"},
          {"AliasTarget", boost::json::object{{"DNSName", boost::json::object{{"Fn::GetAtt", boost::json::array{"Distribution", "DomainName"}}}},
                                              {"HostedZoneId", "Z2FDTNDATAQYW2"}}}}))
          << name << " " << type;
    }
  }
}

TEST(EdgeStackTest, TwoDomainsGiveTwoDistinctEdgeStacks) {
  auto test = testing::exampleContext();
  test.domain_name = "test.example.com";
  test.edge_stack_suffix = "Test";
  auto prod = testing::exampleContext();
  prod.domain_name = "prod.example.com";
  prod.edge_stack_suffix = "Prod";
  const auto test_edge = testing::testApp(test).back();
  const auto prod_edge = testing::testApp(prod).back();
  EXPECT_EQ(test_edge.name, "OpenHands-Edge-Test");
  EXPECT_EQ(prod_edge.name, "OpenHands-Edge-Prod");
  EXPECT_EQ(test_edge.region, "us-east-1");
  // Both reach the primary deployment's origin, whatever domain their own context names.
  EXPECT_TRUE(TemplateAssert::of(test_edge.template_)
                  .hasResourceProperties("AWS::CloudFront::Distribution", R"({"DistributionConfig":{"Origins":[
                    {"DomainName":"{{resolve:secretsmanager:openhands/origin-host:SecretString:originHost}}"}]}})"));
  EXPECT_TRUE(TemplateAssert::of(prod_edge.template_)
                  .hasResourceProperties("AWS::CloudFront::Distribution",
                                         R"({"DistributionConfig":{"Aliases":["openhands.prod.example.com","*.runtime.openhands.prod.example.com"]}})"));
}

TEST(EdgeStackTest, NoLambdaAtEdgeAndNoCrossRegionImports) {
  const auto t = edge();
  const auto text = boost::json::serialize(t.json());
  EXPECT_EQ(text.find("Lambda"), std::string::npos);
  EXPECT_EQ(text.find("Fn::ImportValue"), std::string::npos);
}

// This test verifies the WAF logs blocked and counted requests, without cookies or tokens, to
// a log group here with a retention, and an alarm on blocked requests notifies a topic here.
TEST(EdgeStackTest, WafLogsWithRetentionAndAnAlarmOnBlockedRequests) {
  const auto t = edge();
  EXPECT_TRUE(t.hasResourceProperties("AWS::WAFv2::WebACL", R"({"Name": "openhands-openhands-example-com"})"));
  EXPECT_TRUE(t.hasResource("AWS::Logs::LogGroup", R"({"Properties": {
    "LogGroupName": "aws-waf-logs-openhands-openhands-example-com", "RetentionInDays": 90},
    "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::WAFv2::LoggingConfiguration", R"({
    "ResourceArn": {"Fn::GetAtt": ["WebAcl", "Arn"]},
    "LogDestinationConfigs": [{"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${WafLogGroup}"}],
    "RedactedFields": [{"SingleHeader": {"Name": "cookie"}}, {"SingleHeader": {"Name": "authorization"}}],
    "LoggingFilter": {"DefaultBehavior": "DROP", "Filters": [{"Behavior": "KEEP", "Conditions": [
      {"ActionCondition": {"Action": "BLOCK"}}, {"ActionCondition": {"Action": "COUNT"}}]}]}})"));
  EXPECT_TRUE(t.hasResourceProperties("AWS::CloudWatch::Alarm", R"({
    "Namespace": "AWS/WAFV2", "MetricName": "BlockedRequests", "Statistic": "Sum", "Threshold": 500,
    "Dimensions": [{"Name": "WebACL", "Value": "openhands-openhands-example-com"}, {"Name": "Rule", "Value": "ALL"}],
    "AlarmActions": [{"Ref": "EdgeAlertTopic"}]})"));
}

}  // namespace
}  // namespace oh::infra
