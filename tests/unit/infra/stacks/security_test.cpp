// Every security rule over every resource of every synthesized template, for the contexts a
// deployment can use: none may be non-compliant.
#include <gtest/gtest.h>

#include "stacks/rules/rule.h"
#include "test_app.h"

namespace oh::infra {
namespace {

void expectAllCompliant(const std::vector<StackSpec>& app) {
  for (const auto& finding : rules::checkApp(app)) {
    ADD_FAILURE() << finding.stack << "/" << finding.logical_id << " (" << finding.type << ") breaks " << finding.rule_id
                  << ": " << finding.explanation;
  }
  // The rules did look at something: buckets, groups, policies, storage, the launch template.
  std::size_t compliant = 0;
  for (const auto& stack : app) {
    for (const auto& id : stack.template_.resourceOrder()) {
      for (const auto& rule : rules::allRules()) {
        compliant += rule.check(stack.template_.resource(id)) == rules::Compliance::Compliant ? 1u : 0u;
      }
    }
  }
  EXPECT_GT(compliant, 40u);
}

TEST(SecurityTest, ExampleDeploymentIsCompliant) { expectAllCompliant(testing::testApp()); }

TEST(SecurityTest, MinimalContextIsCompliant) { expectAllCompliant(testing::testApp(testing::minimalContext())); }

TEST(SecurityTest, MainRegionUsEast1WithSuffixAndNoS3EndpointIsCompliant) {
  auto context = testing::exampleContext();
  context.region = "us-east-1";
  context.edge_stack_suffix = "Prod";
  context.skip_s3_endpoint = true;
  context.auth_callback_domains = {"openhands.example.com", "openhands.test.example.com"};
  expectAllCompliant(testing::testApp(context));
}

// The rules catch what they are for when it appears in a real template, and say where.
TEST(SecurityTest, InjectedViolationsAreFoundAndNamed) {
  auto app = testing::testApp();
  app.back().template_.addResource("Handler", "AWS::Lambda::Function");
  app[1].template_.addResource("OpenGroup", "AWS::EC2::SecurityGroupIngress",
                               {{"CidrIp", "0.0.0.0/0"}, {"IpProtocol", "tcp"}, {"FromPort", 22}, {"ToPort", 22}});
  const auto findings = rules::checkApp(app);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].stack, "OpenHands-Network");
  EXPECT_EQ(findings[0].logical_id, "OpenGroup");
  EXPECT_EQ(findings[0].rule_id, "NoOpenIngress");
  EXPECT_EQ(findings[1].stack, "OpenHands-Edge");
  EXPECT_EQ(findings[1].rule_id, "NoLambda");
}

}  // namespace
}  // namespace oh::infra
