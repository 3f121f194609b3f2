// Every security rule over every resource of every synthesized template, for the contexts a
// deployment can use: none may be non-compliant.
#include <gtest/gtest.h>

#include "rules/rule.h"
#include "test_app.h"

namespace oh::infra {
namespace {

void expectAllCompliant(const std::vector<StackSpec>& app) {
  std::size_t checked = 0;
  for (const auto& stack : app) {
    for (const auto& id : stack.template_.resourceOrder()) {
      const auto& resource = stack.template_.resource(id);
      for (const auto& rule : rules::allRules()) {
        const auto result = rule.check(resource);
        checked += result == rules::Compliance::Compliant ? 1u : 0u;
        EXPECT_NE(result, rules::Compliance::NonCompliant)
            << stack.name << "/" << id << " (" << resource.type << ") breaks " << rule.id << ": " << rule.explanation;
      }
    }
  }
  // The rules did look at something: buckets, groups, policies, storage, the launch template.
  EXPECT_GT(checked, 40u);
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

// The rules catch what they are for when it appears in a real template.
TEST(SecurityTest, AnInjectedLambdaIsCaught) {
  auto app = testing::testApp();
  app.back().template_.addResource("Handler", "AWS::Lambda::Function");
  bool caught = false;
  for (const auto& rule : rules::allRules()) {
    caught = caught || rule.check(app.back().template_.resource("Handler")) == rules::Compliance::NonCompliant;
  }
  EXPECT_TRUE(caught);
}

}  // namespace
}  // namespace oh::infra
