#include "cost/cost_estimate.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "stacks/app.h"

namespace oh::infra {
namespace {

const CostLine& find(const CostEstimate& e, const std::string& prefix) {
  const auto it = std::find_if(e.base.begin(), e.base.end(),
                               [&](const CostLine& l) { return l.component.rfind(prefix, 0) == 0; });
  if (it == e.base.end()) throw std::runtime_error("no line " + prefix);
  return *it;
}

// The billed items of the app's templates for `context` (a fixed gateway image: no hashing).
BilledResources billedOf(const AppContext& context) {
  DockerImageAsset image;
  image.source_hash = std::string(64, '0');
  image.directory = "/project";
  image.dockerfile = "deploy/gateway.Dockerfile";
  std::vector<boost::json::object> templates;
  for (const auto& stack : buildApp(context, image)) templates.push_back(stack.template_.toJson());
  return countBilledResources(templates);
}

CostEstimate estimate(const AppContext& context) { return estimateMonthlyCost(context, billedOf(context)); }

AppContext required() {
  AppContext c;
  c.vpc_id = "vpc-0123456789abcdef0";
  c.hosted_zone_id = "Z0123456789ABCDEFGHIJ";
  c.domain_name = "example.com";
  return c;
}

TEST(CostEstimate, ReferenceConfiguration) {
  const AppContext context = required();
  const CostEstimate e = estimate(context);
  EXPECT_NEAR(find(e, "EC2 m7g.xlarge").low_usd, 0.1632 * 730, 1e-9);
  EXPECT_NEAR(find(e, "EBS gp3").low_usd, 24.0, 1e-9);
  const auto& aurora = find(e, "Aurora");
  EXPECT_NEAR(aurora.low_usd, 0.5 * 730 * 0.12 + 1.0, 1e-9);
  EXPECT_NEAR(aurora.high_usd, 4 * 730 * 0.12 + 1.0, 1e-9);
  EXPECT_NEAR(find(e, "CloudFront").low_usd, 85.0, 1e-9);
  EXPECT_NEAR(find(e, "VPC endpoints").low_usd, 8 * 2 * 730 * 0.01 + 0.5, 1e-9);
  EXPECT_NEAR(e.bedrock.low_usd, 60.0, 1e-9);  // the README's example: 10M in + 2M out with Sonnet 4.5
  EXPECT_LT(e.baseLow(), e.baseHigh());
  for (const auto& line : e.base) EXPECT_FALSE(line.assumption.empty()) << line.component;
}

TEST(CostEstimate, FollowsTheConfiguration) {
  AppContext context = required();
  context.instance_type = "m7g.2xlarge";
  context.private_subnet_ids = {"subnet-00000001", "subnet-00000002", "subnet-00000003"};
  context.skip_s3_endpoint = true;
  context.bedrock_model = "bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0";
  const CostEstimate e = estimate(context);
  EXPECT_NEAR(find(e, "EC2 m7g.2xlarge").low_usd, 0.3264 * 730, 1e-9);
  const auto& endpoints = find(e, "VPC endpoints");
  EXPECT_NEAR(endpoints.low_usd, 8 * 3 * 730 * 0.01 + 0.5, 1e-9);
  EXPECT_NE(endpoints.assumption.find("skipS3Endpoint"), std::string::npos);
  EXPECT_NEAR(e.bedrock.low_usd, 10 * 1.0 + 2 * 5.0, 1e-9);
}

TEST(CostEstimate, UnknownPricesAreSaidNotGuessed) {
  AppContext context = required();
  context.instance_type = "x2gd.metal";
  context.bedrock_model = "bedrock/some.other-model";
  const CostEstimate e = estimate(context);
  EXPECT_EQ(find(e, "EC2 x2gd.metal").low_usd, 0.0);
  EXPECT_TRUE(std::any_of(e.notes.begin(), e.notes.end(),
                          [](const std::string& n) { return n.find("x2gd.metal") != std::string::npos; }));
  EXPECT_NE(e.bedrock.assumption.find("not in the table"), std::string::npos);
}

TEST(CostEstimate, TablePrintsEveryLineAndTheDate) {
  const CostEstimate e = estimate(required());
  const std::string table = renderCostTable(e);
  for (const auto& line : e.base) EXPECT_NE(table.find(line.assumption), std::string::npos) << line.component;
  EXPECT_NE(table.find("2025-11"), std::string::npos);
  EXPECT_NE(table.find("$60.00"), std::string::npos);
  EXPECT_NE(table.find("Base infrastructure"), std::string::npos);
}

// This test verifies the estimate counts what the synthesized templates create, counted here
// independently: every resource type has a billing rule, and the per-item lines (secrets with
// their replicas, alarms, interface endpoints, web ACL rules, load balancers) follow the templates.
TEST(CostEstimate, CountsEveryBilledItemOfTheTemplates) {
  AppContext context = required();
  context.region = "eu-west-1";  // replicas: Auth's to here, Compute's two to us-east-1
  DockerImageAsset image;
  image.source_hash = std::string(64, '0');
  int secrets = 0, alarms = 0, interface_endpoints = 0, rules = 0, load_balancers = 0;
  for (const auto& stack : buildApp(context, image)) {
    const auto t = stack.template_.toJson();
    for (const auto& [id, resource] : t.at("Resources").as_object()) {
      const auto type = std::string(resource.at("Type").as_string());
      EXPECT_NE(billingOf(type), nullptr) << type << " (" << stack.name << ") has no billing rule";
      const auto& p = resource.at("Properties").as_object();
      if (type == "AWS::SecretsManager::Secret") {
        secrets += 1 + (p.contains("ReplicaRegions") ? static_cast<int>(p.at("ReplicaRegions").as_array().size()) : 0);
      }
      alarms += type == "AWS::CloudWatch::Alarm";
      interface_endpoints += type == "AWS::EC2::VPCEndpoint" && p.at("VpcEndpointType") == "Interface";
      rules += type == "AWS::WAFv2::WebACL" ? static_cast<int>(p.at("Rules").as_array().size()) : 0;
      load_balancers += type == "AWS::ElasticLoadBalancingV2::LoadBalancer";
    }
  }
  EXPECT_EQ(secrets, 9);  // 6 secrets, 3 replicas
  const auto billed = billedOf(context);
  EXPECT_TRUE(billed.unclassified.empty());
  EXPECT_EQ(billed.secrets, secrets);
  EXPECT_EQ(billed.alarms, alarms);
  EXPECT_EQ(billed.interface_endpoints, interface_endpoints);
  EXPECT_EQ(billed.waf_rules, rules);
  EXPECT_EQ(billed.load_balancers, load_balancers);
  const CostEstimate e = estimateMonthlyCost(context, billed);
  EXPECT_NEAR(find(e, "Secrets Manager").low_usd, secrets * 0.40, 1e-9);
  EXPECT_NE(find(e, "Secrets Manager").assumption.find(std::to_string(secrets) + " secrets"), std::string::npos);
  EXPECT_NE(find(e, "CloudWatch").assumption.find(std::to_string(alarms) + " alarms"), std::string::npos);
  EXPECT_NE(find(e, "VPC endpoints").component.find(std::to_string(interface_endpoints) + " interface"), std::string::npos);
}

// This test verifies a resource type without a billing rule is named in the notes, not ignored.
TEST(CostEstimate, AnUnknownResourceTypeIsNamed) {
  boost::json::object t{{"Resources", boost::json::object{{"X", boost::json::object{{"Type", "AWS::Foo::Bar"}}},
                                                          {"Y", boost::json::object{{"Type", 5}}}}}};
  const auto billed = countBilledResources({t, boost::json::object{{"Resources", 3}}});
  EXPECT_EQ(billed.unclassified, (std::vector<std::string>{"AWS::Foo::Bar", ""}));
  const auto e = estimateMonthlyCost(required(), billed);
  EXPECT_TRUE(std::any_of(e.notes.begin(), e.notes.end(),
                          [](const std::string& n) { return n.find("AWS::Foo::Bar") != std::string::npos; }));
}

}  // namespace
}  // namespace oh::infra
