#include "cost/cost_estimate.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace oh::infra {
namespace {

const CostLine& find(const CostEstimate& e, const std::string& prefix) {
  const auto it = std::find_if(e.base.begin(), e.base.end(),
                               [&](const CostLine& l) { return l.component.rfind(prefix, 0) == 0; });
  if (it == e.base.end()) throw std::runtime_error("no line " + prefix);
  return *it;
}

TEST(CostEstimate, ReferenceConfiguration) {
  const AppContext context;
  const CostEstimate e = estimateMonthlyCost(context);
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
  AppContext context;
  context.instance_type = "m7g.2xlarge";
  context.private_subnet_ids = {"subnet-00000001", "subnet-00000002", "subnet-00000003"};
  context.skip_s3_endpoint = true;
  context.bedrock_model = "bedrock/us.anthropic.claude-haiku-4-5-20251001-v1:0";
  const CostEstimate e = estimateMonthlyCost(context);
  EXPECT_NEAR(find(e, "EC2 m7g.2xlarge").low_usd, 0.3264 * 730, 1e-9);
  const auto& endpoints = find(e, "VPC endpoints");
  EXPECT_NEAR(endpoints.low_usd, 8 * 3 * 730 * 0.01 + 0.5, 1e-9);
  EXPECT_NE(endpoints.assumption.find("skipS3Endpoint"), std::string::npos);
  EXPECT_NEAR(e.bedrock.low_usd, 10 * 1.0 + 2 * 5.0, 1e-9);
}

TEST(CostEstimate, UnknownPricesAreSaidNotGuessed) {
  AppContext context;
  context.instance_type = "x2gd.metal";
  context.bedrock_model = "bedrock/some.other-model";
  const CostEstimate e = estimateMonthlyCost(context);
  EXPECT_EQ(find(e, "EC2 x2gd.metal").low_usd, 0.0);
  EXPECT_TRUE(std::any_of(e.notes.begin(), e.notes.end(),
                          [](const std::string& n) { return n.find("x2gd.metal") != std::string::npos; }));
  EXPECT_NE(e.bedrock.assumption.find("not in the table"), std::string::npos);
}

TEST(CostEstimate, TablePrintsEveryLineAndTheDate) {
  const CostEstimate e = estimateMonthlyCost(AppContext{});
  const std::string table = renderCostTable(e);
  for (const auto& line : e.base) EXPECT_NE(table.find(line.assumption), std::string::npos) << line.component;
  EXPECT_NE(table.find("2025-11"), std::string::npos);
  EXPECT_NE(table.find("$60.00"), std::string::npos);
  EXPECT_NE(table.find("Base infrastructure"), std::string::npos);
}

}  // namespace
}  // namespace oh::infra
