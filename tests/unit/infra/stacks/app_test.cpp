// buildApp: the seven stacks, their regions, dependencies and tags, as the issue lists them.
#include "stacks/app.h"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "test_app.h"

namespace oh::infra {
namespace {
using testing::exampleContext;
using testing::minimalContext;
using testing::stackNamed;
using testing::testApp;
using Names = std::vector<std::string>;

TEST(AppTest, SevenStacksInDeploymentOrder) {
  const auto app = testApp();
  Names names;
  for (const auto& stack : app) {
    names.push_back(stack.name);
  }
  EXPECT_EQ(names, (Names{"OpenHands-Auth", "OpenHands-Network", "OpenHands-Monitoring", "OpenHands-Security",
                          "OpenHands-Database", "OpenHands-Compute", "OpenHands-Edge"}));
}

TEST(AppTest, AuthAndEdgeInUsEast1OthersInTheMainRegion) {
  for (const auto& stack : testApp()) {
    const bool edge_region = stack.name == "OpenHands-Auth" || stack.name == "OpenHands-Edge";
    EXPECT_EQ(stack.region, edge_region ? "us-east-1" : "us-west-2") << stack.name;
  }
}

TEST(AppTest, DependenciesAreExactlyTheIssues) {
  const auto app = testApp();
  EXPECT_EQ(stackNamed(app, "OpenHands-Auth").dependencies, Names{});
  EXPECT_EQ(stackNamed(app, "OpenHands-Network").dependencies, Names{});
  EXPECT_EQ(stackNamed(app, "OpenHands-Monitoring").dependencies, Names{});
  EXPECT_EQ(stackNamed(app, "OpenHands-Security").dependencies, (Names{"OpenHands-Network", "OpenHands-Monitoring"}));
  EXPECT_EQ(stackNamed(app, "OpenHands-Database").dependencies, (Names{"OpenHands-Network", "OpenHands-Security"}));
  EXPECT_EQ(stackNamed(app, "OpenHands-Compute").dependencies,
            (Names{"OpenHands-Network", "OpenHands-Security", "OpenHands-Monitoring", "OpenHands-Database"}));
  EXPECT_EQ(stackNamed(app, "OpenHands-Edge").dependencies, (Names{"OpenHands-Compute", "OpenHands-Auth"}));
}

TEST(AppTest, EveryDependencyIsAnEarlierStack) {
  const auto app = testApp();
  for (std::size_t i = 0; i < app.size(); ++i) {
    for (const auto& dependency : app[i].dependencies) {
      bool earlier = false;
      for (std::size_t j = 0; j < i; ++j) {
        earlier = earlier || app[j].name == dependency;
      }
      EXPECT_TRUE(earlier) << app[i].name << " depends on " << dependency;
    }
  }
}

TEST(AppTest, EveryStackIsTaggedWithTheProject) {
  for (const auto& stack : testApp()) {
    ASSERT_EQ(stack.tags.count("Project"), 1u) << stack.name;
    EXPECT_EQ(stack.tags.at("Project"), "OpenHands");
    EXPECT_FALSE(stack.description.empty());
  }
}

TEST(AppTest, EdgeStackSuffixNamesTheEdgeStackOnly) {
  auto context = exampleContext();
  context.edge_stack_suffix = "Test";
  const auto test_app = testApp(context);
  EXPECT_EQ(test_app.back().name, "OpenHands-Edge-Test");
  context.edge_stack_suffix = "Prod";
  context.domain_name = "prod.example.com";
  const auto prod_app = testApp(context);
  EXPECT_EQ(prod_app.back().name, "OpenHands-Edge-Prod");
  EXPECT_EQ(prod_app.front().name, "OpenHands-Auth");
}

TEST(AppTest, OnlyComputeCarriesTheGatewayImage) {
  for (const auto& stack : testApp()) {
    if (stack.name == "OpenHands-Compute") {
      ASSERT_EQ(stack.docker_images.size(), 1u);
      EXPECT_EQ(stack.docker_images[0].platform, "linux/arm64");
      EXPECT_EQ(stack.docker_images[0].source_hash, testing::fixedGatewayImage().source_hash);
    } else {
      EXPECT_TRUE(stack.docker_images.empty()) << stack.name;
    }
  }
}

TEST(AppTest, SynthesisIsDeterministic) {
  const auto a = testApp();
  const auto b = testApp();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(boost::json::serialize(a[i].template_.toJson()), boost::json::serialize(b[i].template_.toJson()));
  }
}

TEST(AppTest, OnlyTheThreeRequiredKeysStillSynthesize) {
  const auto app = testApp(minimalContext());
  ASSERT_EQ(app.size(), 7u);
  EXPECT_EQ(stackNamed(app, "OpenHands-Network").region, "us-east-1");
  // Without the VPC's subnets in the context, deploy asks for them (no default, no placeholder).
  const auto network = stackNamed(app, "OpenHands-Network").template_.toJson();
  EXPECT_EQ(network.at("Parameters").at("PrivateSubnetIds").as_object().if_contains("Default"), nullptr);
}

TEST(AppTest, TheRealBuildAppHashesTheProjectRoot) {
  auto context = minimalContext();
  context.project_root = "/nonexistent-openhands-project-root";
  const auto app = buildApp(context);
  const auto& compute = stackNamed(app, "OpenHands-Compute");
  ASSERT_EQ(compute.docker_images.size(), 1u);
  EXPECT_EQ(compute.docker_images[0].source_hash.size(), 64u);
}

}  // namespace
}  // namespace oh::infra
