#include "stacks/edge_stack.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "cfn/intrinsics.h"
#include "stacks/names.h"
#include "stacks/stack_common.h"

namespace oh::infra::stacks {
namespace json = boost::json;

namespace {

// AWS-managed CloudFront policies (same IDs in every account).
constexpr const char* kCachingDisabledPolicy = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
// The hosted zone every CloudFront alias target lives in.
constexpr const char* kCloudFrontHostedZoneId = "Z2FDTNDATAQYW2";

json::object visibility(const char* metric) {
  return json::object{{"SampledRequestsEnabled", true}, {"CloudWatchMetricsEnabled", true}, {"MetricName", metric}};
}

json::object managedRuleGroup(const char* name, int priority, json::array overrides) {
  json::object statement{{"VendorName", "AWS"}, {"Name", name}};
  if (!overrides.empty()) {
    statement["RuleActionOverrides"] = std::move(overrides);
  }
  return json::object{{"Name", name},
                      {"Priority", priority},
                      {"OverrideAction", json::object{{"None", json::object{}}}},
                      {"Statement", json::object{{"ManagedRuleGroupStatement", std::move(statement)}}},
                      {"VisibilityConfig", visibility(name)}};
}

void addWaf(cfn::Template& t, const EdgeStackProps& props) {
  json::array rules{
      // Uploads and long prompts exceed the rule set's 8 KB body limit: count, don't block.
      managedRuleGroup("AWSManagedRulesCommonRuleSet", 0,
                       json::array{json::object{{"Name", "SizeRestrictions_BODY"},
                                                {"ActionToUse", json::object{{"Count", json::object{}}}}}}),
      managedRuleGroup("AWSManagedRulesKnownBadInputsRuleSet", 1, {}),
      json::object{{"Name", "RateLimitPerIp"},
                   {"Priority", 2},
                   {"Action", json::object{{"Block", json::object{}}}},
                   {"Statement", json::object{{"RateBasedStatement",
                                               json::object{{"Limit", props.rate_limit_per_5_minutes},
                                                            {"AggregateKeyType", "IP"},
                                                            {"EvaluationWindowSec", 300}}}}},
                   {"VisibilityConfig", visibility("RateLimitPerIp")}}};
  t.addResource("WebAcl", "AWS::WAFv2::WebACL",
                {{"Name", webAclName(props.main_host)},
                 {"Scope", "CLOUDFRONT"},
                 {"Description", "OpenHands " + props.main_host},
                 {"DefaultAction", json::object{{"Allow", json::object{}}}},
                 {"Rules", std::move(rules)},
                 {"VisibilityConfig", visibility("OpenHandsWebAcl")}});
}

// Every viewer header, cookie and query string (the AWS-managed AllViewer policy's choice, so
// the gateway routes on the viewer's Host), plus CloudFront-Viewer-Address ("ip:port" of the
// viewer as CloudFront saw it), which the gateway rate-limits on: X-Forwarded-For's first
// entry is whatever the viewer wrote.
void addOriginRequestPolicy(cfn::Template& t, const EdgeStackProps& props) {
  t.addResource("OriginRequestPolicy", "AWS::CloudFront::OriginRequestPolicy",
                {{"OriginRequestPolicyConfig",
                  json::object{{"Name", originRequestPolicyName(props.main_host)},
                               {"Comment", "OpenHands: all viewer values and the viewer address, for " + props.main_host},
                               {"HeadersConfig", json::object{{"HeaderBehavior", "allViewerAndWhitelistCloudFront"},
                                                              {"Headers", json::array{"CloudFront-Viewer-Address"}}}},
                               {"CookiesConfig", json::object{{"CookieBehavior", "all"}}},
                               {"QueryStringsConfig", json::object{{"QueryStringBehavior", "all"}}}}}});
}

// WAF logs in CloudWatch Logs here in us-east-1 (a CLOUDFRONT web ACL logs only here), encrypted
// at rest by CloudWatch Logs, kept props.waf_log_retention_days: only the requests a rule blocked
// or counted, without the Cookie and Authorization headers (sessions and tokens).
void addWafLogs(cfn::Template& t, const EdgeStackProps& props) {
  keepOnDelete(t.addResource("WafLogGroup", "AWS::Logs::LogGroup",
                             {{"LogGroupName", "aws-waf-logs-" + webAclName(props.main_host)},
                              {"RetentionInDays", props.waf_log_retention_days}}),
               cfn::DeletionPolicy::Delete);
  const auto kept = [](const char* action) {
    return json::object{{"ActionCondition", json::object{{"Action", action}}}};
  };
  t.addResource("WafLogging", "AWS::WAFv2::LoggingConfiguration",
                {{"ResourceArn", cfn::getAtt("WebAcl", "Arn")},
                 // The log group's ARN without the ":*" GetAtt adds, which WAF refuses.
                 {"LogDestinationConfigs",
                  json::array{cfn::sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${WafLogGroup}")}},
                 {"RedactedFields", json::array{json::object{{"SingleHeader", json::object{{"Name", "cookie"}}}},
                                                json::object{{"SingleHeader", json::object{{"Name", "authorization"}}}}}},
                 {"LoggingFilter",
                  json::object{{"DefaultBehavior", "DROP"},
                               {"Filters", json::array{json::object{{"Behavior", "KEEP"},
                                                                    {"Requirement", "MEETS_ANY"},
                                                                    {"Conditions", json::array{kept("BLOCK"), kept("COUNT")}}}}}}}});
}

// Alarms here notify a topic here: CloudWatch alarms publish only within their region.
void addWafAlarm(cfn::Template& t, const EdgeStackProps& props) {
  t.addResource("EdgeAlertTopic", "AWS::SNS::Topic", {{"DisplayName", "OpenHands edge alerts " + props.main_host}});
  addTlsOnlyTopicPolicy(t, "EdgeAlertTopicPolicy", "EdgeAlertTopic");
  t.addResource("WafBlockedAlarm", "AWS::CloudWatch::Alarm",
                {{"AlarmDescription", "WAF blocked more than " + std::to_string(props.waf_blocked_alarm_threshold) +
                                          " requests in 5 minutes for " + props.main_host},
                 {"Namespace", "AWS/WAFV2"},
                 {"MetricName", "BlockedRequests"},
                 {"Dimensions", json::array{json::object{{"Name", "WebACL"}, {"Value", webAclName(props.main_host)}},
                                            json::object{{"Name", "Rule"}, {"Value", "ALL"}}}},
                 {"Statistic", "Sum"},
                 {"Period", 300},
                 {"EvaluationPeriods", 1},
                 {"Threshold", props.waf_blocked_alarm_threshold},
                 {"ComparisonOperator", "GreaterThanThreshold"},
                 {"TreatMissingData", "notBreaching"},
                 {"AlarmActions", json::array{cfn::ref("EdgeAlertTopic")}},
                 {"OKActions", json::array{cfn::ref("EdgeAlertTopic")}}});
}

void addDistribution(cfn::Template& t, const EdgeStackProps& props) {
  addOriginRequestPolicy(t, props);
  t.addResource("ResponseHeadersPolicy", "AWS::CloudFront::ResponseHeadersPolicy",
                {{"ResponseHeadersPolicyConfig",
                  json::object{
                      {"Name", responseHeadersPolicyName(props.main_host)},
                      {"Comment", "OpenHands CORS and HSTS for " + props.main_host},
                      {"CorsConfig",
                       json::object{{"AccessControlAllowCredentials", false},
                                    {"AccessControlAllowHeaders", json::object{{"Items", json::array{"*"}}}},
                                    {"AccessControlAllowMethods", json::object{{"Items", json::array{"ALL"}}}},
                                    {"AccessControlAllowOrigins",
                                     json::object{{"Items", json::array{"https://" + props.main_host}}}},
                                    {"AccessControlMaxAgeSec", 600},
                                    {"OriginOverride", false}}},
                      {"SecurityHeadersConfig",
                       json::object{{"StrictTransportSecurity", json::object{{"AccessControlMaxAgeSec", 31536000},
                                                                            {"IncludeSubdomains", true},
                                                                            {"Override", true}}}}}}}});

  json::array origin_headers{json::object{
      {"HeaderName", names::kOriginHeader},
      // Resolved by CloudFormation from the us-east-1 replica; never a value in the template.
      {"HeaderValue", cfn::secretsManagerReference(names::kOriginVerifySecret)}}};
  json::object origin{{"Id", "origin"},
                      // The primary domain's origin name, from the replica Compute writes, so
                      // every domain's Edge stack reaches the same ALB.
                      {"DomainName", cfn::secretsManagerReference(names::kOriginHostSecret, "originHost")},
                      {"CustomOriginConfig", json::object{{"OriginProtocolPolicy", "https-only"},
                                                          {"HTTPSPort", 443},
                                                          {"OriginSSLProtocols", json::array{"TLSv1.2"}},
                                                          {"OriginReadTimeout", 60},
                                                          {"OriginKeepaliveTimeout", 60}}},
                      {"OriginCustomHeaders", std::move(origin_headers)}};
  json::object behavior{
      {"TargetOriginId", "origin"},
      {"ViewerProtocolPolicy", "redirect-to-https"},
      {"AllowedMethods", json::array{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}},
      {"CachedMethods", json::array{"GET", "HEAD"}},
      {"CachePolicyId", kCachingDisabledPolicy},
      {"OriginRequestPolicyId", cfn::ref("OriginRequestPolicy")},
      {"ResponseHeadersPolicyId", cfn::ref("ResponseHeadersPolicy")},
      {"Compress", true}};
  t.addResource("Distribution", "AWS::CloudFront::Distribution",
                {{"DistributionConfig",
                  json::object{{"Enabled", true},
                               {"Comment", "OpenHands " + props.main_host},
                               {"Aliases", json::array{props.main_host, props.runtime_wildcard}},
                               {"ViewerCertificate", json::object{{"AcmCertificateArn", cfn::ref("Certificate")},
                                                                  {"SslSupportMethod", "sni-only"},
                                                                  {"MinimumProtocolVersion", "TLSv1.2_2021"}}},
                               {"HttpVersion", "http2and3"},
                               {"IPV6Enabled", true},
                               {"PriceClass", "PriceClass_100"},
                               {"WebACLId", cfn::getAtt("WebAcl", "Arn")},
                               {"Origins", json::array{std::move(origin)}},
                               {"DefaultCacheBehavior", std::move(behavior)}}}});
}

void addAliases(cfn::Template& t, const EdgeStackProps& props) {
  const std::pair<const char*, std::string> names_by_id[] = {{"MainRecord", props.main_host},
                                                             {"RuntimeRecord", props.runtime_wildcard}};
  for (const auto& [id, name] : names_by_id) {
    for (const char* type : {"A", "AAAA"}) {
      t.addResource(std::string(id) + (std::string(type) == "A" ? "" : "Ipv6"), "AWS::Route53::RecordSet",
                    {{"HostedZoneId", props.hosted_zone_id},
                     {"Name", name + "."},
                     {"Type", type},
                     {"AliasTarget", json::object{{"DNSName", cfn::getAtt("Distribution", "DomainName")},
                                                  {"HostedZoneId", kCloudFrontHostedZoneId},
                                                  {"EvaluateTargetHealth", false}}}});
    }
  }
}

}  // namespace

namespace {

// Policy names are unique per account and allow [A-Za-z0-9_-] up to 128 characters.
std::string policyName(std::string name, const std::string& main_host) {
  for (const char c : main_host) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    name.push_back(keep ? c : '-');
  }
  return name.substr(0, 128);
}

}  // namespace

std::string responseHeadersPolicyName(const std::string& main_host) { return policyName("openhands-cors-", main_host); }

std::string originRequestPolicyName(const std::string& main_host) { return policyName("openhands-origin-", main_host); }

std::string webAclName(const std::string& main_host) { return policyName("openhands-", main_host); }

StackSpec buildEdgeStack(const EdgeStackProps& props) {
  StackSpec stack = newStack(props.stack_name, names::kEdgeRegion,
                             "OpenHands edge for " + props.main_host + ": CloudFront, WAF, certificate and DNS",
                             {names::kComputeStack, names::kAuthStack});
  stack.tags["Domain"] = props.main_host;
  auto& t = stack.template_;

  t.addResource("Certificate", "AWS::CertificateManager::Certificate",
                {{"DomainName", props.main_host},
                 {"SubjectAlternativeNames", json::array{props.runtime_wildcard}},
                 {"ValidationMethod", "DNS"},
                 {"DomainValidationOptions",
                  json::array{json::object{{"DomainName", props.main_host}, {"HostedZoneId", props.hosted_zone_id}},
                              json::object{{"DomainName", props.runtime_wildcard},
                                           {"HostedZoneId", props.hosted_zone_id}}}}});
  addWaf(t, props);
  addWafLogs(t, props);
  addWafAlarm(t, props);
  addDistribution(t, props);
  addAliases(t, props);

  t.addOutput("Url", cfn::Output{json::value("https://" + props.main_host), "OpenHands", std::nullopt, std::nullopt});
  t.addOutput("DistributionId", cfn::Output{cfn::ref("Distribution"), "CloudFront distribution", std::nullopt, std::nullopt});
  t.addOutput("EdgeAlertTopicArn",
              cfn::Output{cfn::ref("EdgeAlertTopic"), "Edge alarms (subscribe to it)", std::nullopt, std::nullopt});
  t.addOutput("DistributionDomainName",
              cfn::Output{cfn::getAtt("Distribution", "DomainName"), "CloudFront domain", std::nullopt, std::nullopt});
  return stack;
}

}  // namespace oh::infra::stacks
